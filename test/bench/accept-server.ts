// Child process of accept-many.ts: the server side of "1,000 concurrent TCP
// clients accepted by one listener", in a process of its own so its memory
// figure holds the server and nothing else (no clients, no earlier benchmark).
//
//   node --expose-gc --import tsx test/bench/accept-server.ts <mode> <n>
//
// mode: engine-auto   a listener session (acceptMode 'auto') in an Engine,
//                     every call through createRouter(workbench).handle(...)
//       engine-manual the same with acceptMode 'manual': on "go" (stdin) it
//                     calls socket.accept n times, one after another
//       net           plain node:net createServer (the anchor)
//
// Speaks JSON lines on stdout; exits when stdin closes or after 60 s.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { createRouter } from '../../main/bridge/router.js';
import { Workbench } from '../../main/workbench.js';
import { routerCall } from './session-pump.js';

const mode = process.argv[2];
const n = Number(process.argv[3]);
const BACKLOG = 1024;

setTimeout(() => process.exit(3), 60_000).unref();
const say = (msg: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(msg)}\n`);

/** The soft limit on open files this process runs with (what `ulimit -n` says). */
function fdLimit(): string {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    return line?.trim().split(/\s+/)[3] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

const gc = (globalThis as { gc?: () => void }).gc;
const settle = () => new Promise((r) => setTimeout(r, 100));
async function memory(): Promise<{ rss: number; heapUsed: number; external: number }> {
  await settle();
  if (gc) {
    gc();
    gc();
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external };
}

const lines = createInterface({ input: process.stdin });
const commands: string[] = [];
let wake: (() => void) | undefined;
lines.on('line', (l) => {
  commands.push(l.trim());
  wake?.();
});
lines.on('close', () => process.exit(0));
async function command(): Promise<string> {
  while (commands.length === 0) await new Promise<void>((r) => (wake = r));
  return commands.shift()!;
}

async function main(): Promise<void> {
  if (!Number.isInteger(n) || n < 1) throw new Error(`bad n: ${process.argv[3]}`);
  let accepted = 0;
  let lastAccepted = 0n;
  let allAccepted: () => void = () => undefined;
  const done = new Promise<void>((r) => (allAccepted = r));
  const onAccept = () => {
    if (++accepted === n) {
      lastAccepted = process.hrtime.bigint();
      allAccepted();
    }
  };

  let port: number;
  let manualAccept: (() => Promise<{ pending: number | null; ns: bigint }>) | undefined;
  if (mode === 'net') {
    const sockets: net.Socket[] = [];
    const server = net.createServer((sock) => {
      sockets.push(sock); // kept, idle, as the engine keeps its sessions
      onAccept();
    });
    await new Promise<void>((r) => server.listen({ port: 0, host: '127.0.0.1', backlog: BACKLOG }, r));
    port = (server.address() as net.AddressInfo).port;
  } else if (mode === 'engine-auto' || mode === 'engine-manual') {
    const workbench = new Workbench();
    const call = routerCall(createRouter(workbench));
    const listener = await call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
    const bound = await call('socket.bind', { id: listener.id, address: '127.0.0.1', port: 0 });
    const acceptMode = mode === 'engine-auto' ? 'auto' : 'manual';
    await call('socket.listen', { id: listener.id, backlog: BACKLOG, acceptMode });
    port = bound.local!.port;
    workbench.onEvent((ev) => {
      if (ev.name === 'session.created' && (ev.payload as { parent?: number }).parent === listener.id) onAccept();
    });
    if (acceptMode === 'manual') {
      manualAccept = async () => {
        // The engine looks at the queue every 250 ms: wait for a fresh look, so `pending` is the kernel's count now.
        await new Promise((r) => setTimeout(r, 300));
        const listed = await call('session.list', {});
        const pending = listed.sessions.find((s) => s.id === listener.id)?.pending ?? null;
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < n; i++) await call('socket.accept', { id: listener.id });
        return { pending, ns: process.hrtime.bigint() - t0 };
      };
    }
  } else {
    throw new Error(`unknown mode ${mode}`);
  }

  const before = await memory();
  say({ type: 'ready', port, fdLimit: fdLimit(), gc: gc !== undefined });

  if (manualAccept) {
    if ((await command()) !== 'go') throw new Error('expected go');
    const { pending, ns } = await manualAccept();
    await done;
    say({ type: 'accepted', accepted, manualNs: String(ns), pending });
  } else {
    await done;
    say({ type: 'accepted', accepted, lastAcceptedNs: String(lastAccepted) });
  }
  const after = await memory();
  say({ type: 'memory', before, after });
  await new Promise(() => undefined); // idle until stdin closes
}

main().catch((e: Error) => {
  say({ type: 'error', message: e.message });
  process.exit(2);
});
