// What the TCP and Unix stream benchmarks share: calling the router as the
// renderer does, and timing 1 MiB sendall calls (8 in flight) from a client
// session to the session its listener accepted, until the receiver's byte
// counter equals what was sent; and the same pump over plain Node `net`, the
// floor under any session. Each benchmark passes only where it listens.
import net from 'node:net';
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

/** Where a benchmark's stream sockets meet: a Unix socket path, or an ephemeral TCP port on a host. */
export type StreamEndpoint = { path: string } | { host: string };

/** A listening session and a client session connected to it, at `at`. */
export async function connectedSessions(call: ReturnType<typeof routerCall>, at: StreamEndpoint): Promise<{ listener: number; client: number }> {
  const family = 'path' in at ? 'AF_UNIX' : 'AF_INET';
  const server = await call('socket.create', { family, type: 'SOCK_STREAM' });
  const bound = await call('socket.bind', 'path' in at ? { id: server.id, address: at.path } : { id: server.id, address: at.host, port: 0 });
  await call('socket.listen', { id: server.id, backlog: 1 });
  const client = await call('socket.create', { family, type: 'SOCK_STREAM' });
  const to = 'path' in at ? { address: at.path } : { address: at.host, port: bound.local!.port };
  await call('socket.connect', { id: client.id, ...to, timeoutMs: 5000 });
  return { listener: server.id, client: client.id };
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

/**
 * Plain Node `net` in one process, CHUNK-sized writes (waiting for drain) at
 * `at`, timed until the server has seen the end: the floor under any session.
 * `label` names the run in errors.
 */
export async function pumpNodeNet(label: string, at: StreamEndpoint, opts: { maxBytes: number; maxMs: number }): Promise<ThroughputResult> {
  let received = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((r) => (done = r));
  const server = net.createServer((sock) => {
    sock.on('data', (d: Buffer) => (received += d.byteLength));
    sock.on('end', () => done());
  });
  try {
    await new Promise<void>((r) => server.listen('path' in at ? { path: at.path } : { port: 0, host: at.host }, r));
    const sock = 'path' in at ? net.connect(at.path) : net.connect((server.address() as net.AddressInfo).port, at.host);
    await new Promise<void>((r) => sock.once('connect', r));
    const payload = Buffer.alloc(CHUNK, 0x61);
    const t0 = process.hrtime.bigint();
    const deadline = Date.now() + opts.maxMs;
    let sent = 0;
    while (sent < opts.maxBytes && Date.now() < deadline) {
      sent += CHUNK;
      if (!sock.write(payload)) await new Promise((r) => sock.once('drain', r));
    }
    sock.end();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([finished, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${label}: no end within 30 s`)), 30_000)))]);
    clearTimeout(timer);
    const elapsed = process.hrtime.bigint() - t0;
    if (received !== sent) throw new Error(`${label}: received ${received} of ${sent}`);
    return throughput(sent, elapsed);
  } finally {
    server.close();
  }
}
