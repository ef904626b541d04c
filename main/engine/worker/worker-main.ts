// The socket worker process (bundled to dist/socket-worker.cjs, forked by
// SocketWorker with 'advanced' serialization). It owns the sockets Node's
// net/dgram cannot make (AF_UNIX datagrams, SOCK_SEQPACKET) and the only
// native event code, so a native crash costs this process, not the app.
// It imports only node:* and the addon; it opens no files and runs nothing.
import { Outbox } from './outbox.js';
import { isAck, requestProblem, isHandle, type Request, type Reply } from './worker-protocol.js';
import { Sockets, sysError, toWire } from './sockets.js';

// Two ways to talk to the main process: a forked child's IPC, or Electron's
// utilityProcess port (the desktop app); the messages are the same.
const port = (process as { parentPort?: { postMessage(m: unknown): void; on(e: 'message', fn: (ev: { data: unknown }) => void): void } }).parentPort;
if (!process.send && !port) {
  console.error('socket worker: start me with child_process.fork or utilityProcess.fork (I talk over IPC only)');
  process.exit(2);
}
const send = (msg: object): void => {
  if (port) port.postMessage(msg);
  else if (process.connected) process.send!(msg);
};
const onMessage = (fn: (m: unknown) => void): void => {
  if (port) port.on('message', (ev) => fn(ev.data));
  else process.on('message', fn);
};

const genArg = process.argv.find((a) => a.startsWith('--generation='));
const generation = Math.max(1, Math.min(2 ** 20, Number.parseInt(genArg?.slice(13) ?? '1', 10) || 1));

const outbox = new Outbox(send, () => sockets.resume());
const sockets = new Sockets(outbox, generation);

function reply(r: Reply): void {
  const data = r.ok ? (r.result as { data?: unknown } | null)?.data : undefined;
  outbox.post(r, data instanceof Uint8Array ? data.length : 0);
}

onMessage((m: unknown) => {
  if (isAck(m)) return outbox.acked(m.ack);
  const problem = requestProblem(m);
  if (problem) {
    const rid = typeof m === 'object' && m !== null && isHandle((m as { rid?: unknown }).rid) ? (m as { rid: number }).rid : null;
    reply({ rid, ok: false, error: toWire(sysError('EINVAL', 'request', `bad request: ${problem}`)) });
    return;
  }
  const { rid, op, args } = m as Request;
  const fail = (e: unknown) => reply({ rid, ok: false, error: toWire(e) });
  try {
    // Synchronous ops answer at once, so replies keep the requests' order.
    const out = sockets.run(op, args as never);
    if (out instanceof Promise) out.then((result) => reply({ rid, ok: true, result }), fail);
    else reply({ rid, ok: true, result: out });
  } catch (e) {
    fail(e);
  }
});

// The app went away: our sockets are no use to anyone.
process.on('disconnect', () => process.exit(0));

outbox.post({ event: 'ready', pid: process.pid });
