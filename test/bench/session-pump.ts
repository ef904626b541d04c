// What the TCP and Unix stream benchmarks share: calling the router as the
// renderer does, and timing 1 MiB sendall calls (8 in flight) from a client
// session to the session its listener accepted, until the receiver's byte
// counter equals what was sent.
import type { Router } from '../../main/bridge/router.js';
import type { Engine } from '../../main/engine/engine.js';
import type { MethodName, Params, Result } from '../../shared/contract/index.js';
import { sleep } from './stats.js';

export const CHUNK = 1024 * 1024;
const IN_FLIGHT = 8;

export interface ThroughputResult {
  bytes: number;
  seconds: number;
  gbitPerSec: number;
  /** With a subscriber: bytes of event frames produced for the window. */
  framedBytes?: number;
}

export function throughput(bytes: number, ns: bigint): ThroughputResult {
  const seconds = Number(ns) / 1e9;
  return { bytes, seconds, gbitPerSec: (bytes * 8) / seconds / 1e9 };
}

export function routerCall(router: Router) {
  return async <M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> => {
    const r = await router.handle(method, params);
    if (!r.ok) throw new Error(`${method}: ${r.error.message}`);
    return r.result as Result<M>;
  };
}

export async function pumpSessions(
  engine: Engine,
  call: ReturnType<typeof routerCall>,
  ids: { listener: number; client: number },
  opts: { maxBytes: number; maxMs: number },
): Promise<ThroughputResult> {
  const waitUntil = Date.now() + 5000;
  let accepted = engine.list().find((s) => s.parent === ids.listener);
  while (!accepted) {
    if (Date.now() > waitUntil) throw new Error('the listener did not accept within 5 s');
    await sleep(1);
    accepted = engine.list().find((s) => s.parent === ids.listener);
  }
  const payload = new Uint8Array(CHUNK).fill(0x61);
  const t0 = process.hrtime.bigint();
  const deadline = Date.now() + opts.maxMs;
  let sent = 0;
  const inFlight = new Set<Promise<unknown>>();
  while (sent < opts.maxBytes && Date.now() < deadline) {
    const p = call('socket.sendall', { id: ids.client, data: payload }).finally(() => inFlight.delete(p));
    inFlight.add(p);
    sent += CHUNK;
    if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  const receiver = accepted;
  const drainBy = Date.now() + 30_000;
  while (receiver.counters.bytesIn < sent && Date.now() < drainBy) await new Promise((r) => setImmediate(r));
  const elapsed = process.hrtime.bigint() - t0;
  if (receiver.counters.bytesIn !== sent) throw new Error(`received ${receiver.counters.bytesIn} of ${sent} bytes`);
  return throughput(sent, elapsed);
}
