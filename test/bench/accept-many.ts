// 1,000 concurrent TCP clients accepted by one listener. Three processes:
// this one orchestrates; a server child (accept-server.ts: an Engine driven
// through the router, or plain node:net as the anchor) measures its own
// memory; a client child opens the connections and keeps them idle, so the
// clients' memory never counts against the server.
//
// Time: from the client's first net.connect() call to the server's n-th
// accepted connection (session.created with parent = the listener, or
// net.Server 'connection'). Both read CLOCK_MONOTONIC (process.hrtime), which
// is one clock for every process on the machine.
// Memory: the server's RSS and V8 heap after all are accepted, minus before
// (after gc() twice, --expose-gc), divided by n. Kernel socket memory is not
// in RSS and is not counted.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export type AcceptMode = 'engine-auto' | 'engine-manual' | 'net';

export interface AcceptRun {
  mode: AcceptMode;
  n: number;
  /** First connect → n-th accepted (auto / net); null for manual. */
  ms: number | null;
  /** Manual: n socket.accept calls one after another, all already queued. */
  manualMs: number | null;
  /** Manual: the listener's accept-queue length the engine showed before accepting. */
  pendingBefore: number | null;
  /** The clients' own view: first connect → n-th 'connect' event. */
  clientConnectMs: number;
  rssPerConnKiB: number;
  heapPerConnKiB: number;
  externalPerConnKiB: number;
  gc: boolean;
  fdLimit: { server: string; client: string };
}

const SERVER = fileURLToPath(new URL('./accept-server.ts', import.meta.url));

/** Opens n connections at once and keeps them idle until stdin closes. */
const CLIENT = `
const net = require('node:net');
const fs = require('node:fs');
const [port, n] = [Number(process.argv[1]), Number(process.argv[2])];
let limit = 'unknown';
try { limit = fs.readFileSync('/proc/self/limits', 'utf8').split('\\n').find((l) => l.startsWith('Max open files')).trim().split(/\\s+/)[3]; } catch {}
const say = (m) => process.stdout.write(JSON.stringify(m) + '\\n');
const socks = [];
let connected = 0, failed = 0;
const t0 = process.hrtime.bigint();
for (let i = 0; i < n; i++) {
  const s = net.connect(port, '127.0.0.1');
  s.on('connect', () => { if (++connected === n) say({ type: 'connected', t0Ns: String(t0), allNs: String(process.hrtime.bigint()), fdLimit: limit }); });
  s.on('error', (e) => { if (++failed === 1) say({ type: 'error', message: e.message + ' (fd limit ' + limit + ')' }); });
  socks.push(s);
}
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
setTimeout(() => process.exit(3), 60000).unref();
`;

/**
 * Runs the command with the open-files limit raised to 4096 when it is lower.
 * Node already raises its soft limit to the hard one at startup; this helps
 * only where the hard limit itself is low and we may raise it (root).
 */
const RAISE_NOFILE =
  'n=$(ulimit -n); if [ "$n" != unlimited ] && [ "$n" -lt 4096 ]; then ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; fi; exec "$@"';

interface Child {
  proc: ChildProcess;
  next(type: string, timeoutMs: number): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

function child(args: string[]): Child {
  const proc = spawn('sh', ['-c', RAISE_NOFILE, 'sh', process.execPath, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const inbox: Record<string, unknown>[] = [];
  let wake: (() => void) | undefined;
  let exited: string | undefined;
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  createInterface({ input: proc.stdout! }).on('line', (l) => {
    try {
      inbox.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      return;
    }
    wake?.();
  });
  const gone = new Promise<void>((r) =>
    proc.once('exit', (code, signal) => {
      exited = `exited (${signal ?? code})`;
      wake?.();
      r();
    }),
  );
  return {
    proc,
    async next(type, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const i = inbox.findIndex((m) => m.type === type || m.type === 'error');
        if (i >= 0) {
          const m = inbox.splice(i, 1)[0]!;
          if (m.type === 'error') throw new Error(String(m.message));
          return m;
        }
        if (exited) throw new Error(`child ${exited} before "${type}": ${stderr.trim()}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no "${type}" within ${timeoutMs} ms`);
        await new Promise<void>((r) => {
          const t = setTimeout(r, left);
          wake = () => {
            clearTimeout(t);
            r();
          };
        });
      }
    },
    async stop() {
      if (exited) return;
      proc.stdin!.end();
      await Promise.race([gone, new Promise((r) => setTimeout(r, 2000))]);
      if (!exited) proc.kill('SIGKILL');
      await gone;
    },
  };
}

const kib = (bytes: number, n: number) => bytes / n / 1024;

export async function acceptMany(mode: AcceptMode, n: number): Promise<AcceptRun> {
  const server = child(['--expose-gc', '--import', 'tsx', SERVER, mode, String(n)]);
  let client: Child | undefined;
  try {
    const ready = await server.next('ready', 20_000);
    client = child(['-e', CLIENT, String(ready.port), String(n)]);
    const connected = await client.next('connected', 30_000);
    const t0 = BigInt(connected.t0Ns as string);
    const clientConnectMs = Number(BigInt(connected.allNs as string) - t0) / 1e6;
    if (mode === 'engine-manual') server.proc.stdin!.write('go\n');
    const accepted = await server.next('accepted', 30_000);
    const mem = (await server.next('memory', 10_000)) as { before: Record<string, number>; after: Record<string, number> };
    const delta = (k: string) => mem.after[k]! - mem.before[k]!;
    return {
      mode,
      n,
      ms: accepted.lastAcceptedNs ? Number(BigInt(accepted.lastAcceptedNs as string) - t0) / 1e6 : null,
      manualMs: accepted.manualNs ? Number(BigInt(accepted.manualNs as string)) / 1e6 : null,
      pendingBefore: (accepted.pending as number | null | undefined) ?? null,
      clientConnectMs,
      rssPerConnKiB: kib(delta('rss'), n),
      heapPerConnKiB: kib(delta('heapUsed'), n),
      externalPerConnKiB: kib(delta('external'), n),
      gc: ready.gc === true,
      fdLimit: { server: String(ready.fdLimit), client: String(connected.fdLimit) },
    };
  } finally {
    await client?.stop();
    await server.stop();
  }
}
