// AF_UNIX stream throughput through one session: a client session connected
// to a server session bound to a path in a temp dir, both in the engine,
// driven through the router as the renderer drives it; 1 MiB socket.sendall
// calls with up to 8 in flight, timed until the accepted session's byte
// counter equals what was sent (as tcp-throughput.ts does over TCP).
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRouter } from '../../main/bridge/router.js';
import { Engine } from '../../main/engine/engine.js';
import { CHUNK, pumpSessions, routerCall, throughput, type ThroughputResult } from './session-pump.js';

export async function unixSessionThroughput(opts: { maxBytes: number; maxMs: number }): Promise<ThroughputResult> {
  const dir = mkdtempSync(join(tmpdir(), 'sockbench-unix-'));
  const path = join(dir, 'server.sock');
  const engine = new Engine();
  const router = createRouter(engine);
  const call = routerCall(router);
  try {
    const server = await call('socket.create', { family: 'AF_UNIX', type: 'SOCK_STREAM' });
    await call('socket.bind', { id: server.id, address: path });
    await call('socket.listen', { id: server.id, backlog: 1 });
    const client = await call('socket.create', { family: 'AF_UNIX', type: 'SOCK_STREAM' });
    await call('socket.connect', { id: client.id, address: path, timeoutMs: 5000 });
    return await pumpSessions(engine, call, { listener: server.id, client: client.id }, opts);
  } finally {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Plain Node `net` over a Unix socket path in one process, same chunk size: the floor under any session. */
export async function nodeNetUnixThroughput(opts: { maxBytes: number; maxMs: number }): Promise<ThroughputResult> {
  const dir = mkdtempSync(join(tmpdir(), 'sockbench-unix-'));
  const path = join(dir, 'node.sock');
  let received = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((r) => (done = r));
  const server = net.createServer((sock) => {
    sock.on('data', (d: Buffer) => (received += d.byteLength));
    sock.on('end', () => done());
  });
  try {
    await new Promise<void>((r) => server.listen(path, r));
    const sock = net.connect(path);
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
    await Promise.race([finished, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('node net (unix): no end within 30 s')), 30_000)))]);
    clearTimeout(timer);
    const elapsed = process.hrtime.bigint() - t0;
    if (received !== sent) throw new Error(`node net (unix): received ${received} of ${sent}`);
    return throughput(sent, elapsed);
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
