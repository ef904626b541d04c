// UDP datagrams of 64 B sent per second: a session's repeated send
// (socket.sendRepeat through the router, as the composer calls it) next to
// packetsender's CLI flood in the same run. Both send to a socket that is
// bound but never read, so the receiver costs nothing and the kernel drops
// what does not fit: this measures the sender.
import { execFile } from 'node:child_process';
import { createRouter } from '../../main/bridge/router.js';
import { Workbench } from '../../main/workbench.js';
import { native } from '../../main/engine/native.js';
import { hasTool } from '../support/peers.js';
import { routerCall } from './session-pump.js';

const PAYLOAD = 'a'.repeat(64);

/** A bound UDP socket nobody reads: the destination of both floods. */
function sink(): { port: number; close(): void } {
  const n = native();
  const fd = n.socket('AF_INET', 'SOCK_DGRAM');
  n.bind(fd, { family: 'AF_INET', address: '127.0.0.1', port: 0 });
  const a = n.getsockname(fd);
  return { port: a.family === 'AF_UNIX' ? 0 : a.port, close: () => n.close(fd) };
}

/**
 * One session's socket.sendRepeat (through the router, as the composer calls
 * it) of `count` copies of `data` to a bound socket nobody reads, every
 * `intervalUs` when given: what the call reports (its clock starts at the
 * first send and stops after the last).
 */
export async function sessionSendRepeat(opts: { data: Uint8Array; count: number; intervalUs?: number }): Promise<{ sent: number; seconds: number }> {
  const dst = sink();
  const workbench = new Workbench();
  const call = routerCall(createRouter(workbench));
  try {
    const { id } = await call('socket.create', { family: 'AF_INET', type: 'SOCK_DGRAM' });
    const { sent, seconds } = await call('socket.sendRepeat', { id, ...opts, address: '127.0.0.1', port: dst.port });
    return { sent, seconds };
  } finally {
    await workbench.close();
    dst.close();
  }
}

/** Datagrams per second sent by one session. */
export async function sessionUdpRate(count: number): Promise<number> {
  const { sent, seconds } = await sessionSendRepeat({ data: new TextEncoder().encode(PAYLOAD), count });
  return sent / seconds;
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
