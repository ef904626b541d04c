// TCP throughput through one session: a client session sends to a server
// session, both in the engine, driven through the router exactly as the
// renderer drives it. With `subscriber`, a bridge subscriber encodes every
// event batch into a wire frame as the WebSocket transport does for a
// connected window (the realistic app path).
import net from 'node:net';
import { createRouter } from '../../main/bridge/router.js';
import { Engine } from '../../main/engine/engine.js';
import { encodeFrame } from '../../shared/contract/wire.js';
import { CHUNK, pumpSessions, routerCall, throughput, type ThroughputResult } from './session-pump.js';

export type { ThroughputResult };

export async function sessionThroughput(opts: { maxBytes: number; maxMs: number; subscriber: boolean }): Promise<ThroughputResult> {
  const engine = new Engine();
  const router = createRouter(engine);
  let framedBytes = 0;
  const unsubscribe = opts.subscriber ? router.subscribe((events) => (framedBytes += encodeFrame({ events }).byteLength)) : () => undefined;
  const call = routerCall(router);
  try {
    const server = await call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
    const bound = await call('socket.bind', { id: server.id, address: '127.0.0.1', port: 0 });
    await call('socket.listen', { id: server.id, backlog: 1 });
    const client = await call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
    await call('socket.connect', { id: client.id, address: '127.0.0.1', port: bound.local!.port, timeoutMs: 5000 });
    return { ...(await pumpSessions(engine, call, { listener: server.id, client: client.id }, opts)), framedBytes };
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
  return throughput(sent, elapsed);
}
