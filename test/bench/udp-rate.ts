// UDP datagrams of 64 B sent per second: a session's repeated send
// (socket.sendRepeat through the router, as the composer calls it) next to
// packetsender's CLI flood in the same run. Both send to a socket that is
// bound but never read, so the receiver costs nothing and the kernel drops
// what does not fit: this measures the sender.
import { execFile } from 'node:child_process';
import { createRouter } from '../../main/bridge/router.js';
import { Engine } from '../../main/engine/engine.js';
import { native } from '../../main/engine/native.js';
import { hasTool } from '../support/peers.js';

const PAYLOAD = 'a'.repeat(64);

/** A bound UDP socket nobody reads: the destination of both floods. */
function sink(): { port: number; close(): void } {
  const n = native();
  const fd = n.socket('AF_INET', 'SOCK_DGRAM');
  n.bind(fd, { family: 'AF_INET', address: '127.0.0.1', port: 0 });
  const a = n.getsockname(fd);
  return { port: a.family === 'AF_UNIX' ? 0 : a.port, close: () => n.close(fd) };
}

/** Datagrams per second sent by one session. */
export async function sessionUdpRate(count: number): Promise<number> {
  const dst = sink();
  const engine = new Engine();
  const router = createRouter(engine);
  try {
    const created = await router.handle('socket.create', { family: 'AF_INET', type: 'SOCK_DGRAM' });
    if (!created.ok) throw new Error(created.error.message);
    const id = (created.result as { id: number }).id;
    const r = await router.handle('socket.sendRepeat', { id, data: new TextEncoder().encode(PAYLOAD), count, address: '127.0.0.1', port: dst.port });
    if (!r.ok) throw new Error(r.error.message);
    const { sent, seconds } = r.result as { sent: number; seconds: number };
    return sent / seconds;
  } finally {
    await engine.close();
    dst.close();
  }
}

/** packetsender -u --num N --usdelay 0: its own "Effective rate", or null when it is missing. */
export async function packetsenderUdpRate(count: number): Promise<number | null> {
  if (!hasTool('packetsender')) return null;
  const dst = sink();
  try {
    const out = await new Promise<string>((resolve, reject) => {
      execFile('packetsender', ['-u', '--num', String(count), '--usdelay', '0', '127.0.0.1', String(dst.port), PAYLOAD], { timeout: 120_000 }, (err, stdout) =>
        err ? reject(err) : resolve(stdout),
      );
    });
    const m = /Effective rate = ([\d.]+) packets per second/.exec(out);
    if (!m) throw new Error(`packetsender printed no rate: ${out.slice(0, 200)}`);
    return Number(m[1]);
  } finally {
    dst.close();
  }
}
