// TCP throughput through one session: a client session sends to a server
// session, both in the engine, driven through the router exactly as the
// renderer drives it. With `subscriber`, a bridge subscriber encodes every
// event batch into a wire frame as the WebSocket transport does for a
// connected window (the realistic app path).
import net from 'node:net';
import { createRouter } from '../../main/bridge/router.js';
import { Engine } from '../../main/engine/engine.js';
import { encodeFrame } from '../../shared/contract/wire.js';
import type { MethodName, Params, Result } from '../../shared/contract/index.js';
import { sleep } from './stats.js';

const CHUNK = 1024 * 1024;
const IN_FLIGHT = 8;

export interface ThroughputResult {
  bytes: number;
  seconds: number;
  gbitPerSec: number;
  /** With a subscriber: bytes of event frames produced for the window. */
  framedBytes?: number;
}

function result(bytes: number, ns: bigint): ThroughputResult {
  const seconds = Number(ns) / 1e9;
  return { bytes, seconds, gbitPerSec: (bytes * 8) / seconds / 1e9 };
}

export async function sessionThroughput(opts: { maxBytes: number; maxMs: number; subscriber: boolean }): Promise<ThroughputResult> {
  const engine = new Engine();
  const router = createRouter(engine);
  let framedBytes = 0;
  const unsubscribe = opts.subscriber ? router.subscribe((events) => (framedBytes += encodeFrame({ events }).byteLength)) : () => undefined;
  const call = async <M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> => {
    const r = await router.handle(method, params);
    if (!r.ok) throw new Error(`${method}: ${r.error.message}`);
    return r.result as Result<M>;
  };
  try {
    const server = await call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
    const bound = await call('socket.bind', { id: server.id, address: '127.0.0.1', port: 0 });
    await call('socket.listen', { id: server.id, backlog: 1 });
    const client = await call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
    await call('socket.connect', { id: client.id, address: '127.0.0.1', port: bound.local!.port, timeoutMs: 5000 });
    let accepted = engine.list().find((s) => s.parent === server.id);
    while (!accepted) {
      await sleep(1);
      accepted = engine.list().find((s) => s.parent === server.id);
    }

    const payload = new Uint8Array(CHUNK).fill(0x61);
    const t0 = process.hrtime.bigint();
    const deadline = Date.now() + opts.maxMs;
    let sent = 0;
    const inFlight = new Set<Promise<unknown>>();
    while (sent < opts.maxBytes && Date.now() < deadline) {
      const p = call('socket.sendall', { id: client.id, data: payload }).finally(() => inFlight.delete(p));
      inFlight.add(p);
      sent += CHUNK;
      if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    const receiver = accepted;
    while (receiver.counters.bytesIn < sent) await new Promise((r) => setImmediate(r));
    const elapsed = process.hrtime.bigint() - t0;
    if (receiver.counters.bytesIn !== sent) throw new Error(`received ${receiver.counters.bytesIn} of ${sent} bytes`);
    return { ...result(sent, elapsed), framedBytes };
  } finally {
    unsubscribe();
    await engine.close();
  }
}

/** Plain Node `net` on loopback, same chunk size: the floor under any session. */
export async function nodeNetThroughput(opts: { maxBytes: number; maxMs: number }): Promise<ThroughputResult> {
  let received = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((r) => (done = r));
  const server = net.createServer((sock) => {
    sock.on('data', (d: Buffer) => (received += d.byteLength));
    sock.on('end', () => done());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const sock = net.connect(port, '127.0.0.1');
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
  await finished;
  const elapsed = process.hrtime.bigint() - t0;
  server.close();
  if (received !== sent) throw new Error(`node net: received ${received} of ${sent}`);
  return result(sent, elapsed);
}
