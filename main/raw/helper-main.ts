// The raw-socket helper process (bundled to dist/raw-helper.cjs). It may run
// with privileges the app does not have (CAP_NET_RAW, root through pkexec,
// the macOS admin prompt or UAC), so it does only this: open raw sockets,
// send given bytes to given addresses, and stream received packets back with
// timestamps. It talks in length-prefixed frames (./framing.ts), checks every
// request, and runs nothing. Its channel is one of:
// - stdin/stdout (started directly, or through pkexec, which keeps our pipes);
// - `--connect <socket> --token-file <file>`: where the elevated process cannot
//   inherit the app's pipes, it connects to the app's Unix socket (a named
//   pipe on Windows) and first sends the token read from that file (the one
//   file it ever reads, once), then the same frames.
// It exits when the channel closes. Its native code: raw-socket, and
// sockbench_stamp for the kernel's receive stamps.
import './fatal.js';
import { readFileSync } from 'node:fs';
import { Socket, connect } from 'node:net';
import { constants as osConstants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { FrameReader, decodePayload, frameOf } from './framing.js';
import { MAX_FRAME, MAX_JSON, isHandle, requestProblem, type HelperEvent, type Reply, type Request } from './helper-protocol.js';
import { RawSockets, toWire, type KernelStamps, type RawSocketError } from './helper-sockets.js';
import { loadAddon } from '../core/addon.js';

// One clock for the process: µs since this origin (hrtime is monotonic and system-wide).
const origin = process.hrtime.bigint();
const now = (): number => Number(process.hrtime.bigint() - origin) / 1000;
/** A CLOCK_MONOTONIC reading in ns (hrtime's clock) on the same scale. */
const originNs = Number(origin);
const fromMonotonicNs = (ns: number): number => (ns - originNs) / 1000;

/** Packets are dropped (and counted) while this much output waits for the app. */
const OUT_HIGH = 8 * 1024 * 1024;
/** Stop reading requests while sends of this many bytes are queued. */
const IN_HIGH = 8 * 1024 * 1024;

/** One line on stderr and out (no stack trace: the app shows the line). */
function fatal(message: string, code = 64): never {
  process.stderr.write(`raw helper: ${message}\n`);
  process.exit(code);
}

/** `--connect <address> --token-file <file>` (both or neither), nothing else. */
function parseArgs(argv: string[]): { connect: string; tokenFile: string } | undefined {
  if (argv.length === 0) return undefined;
  const got: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    if ((flag !== '--connect' && flag !== '--token-file') || value === undefined || flag in got) fatal(`usage: raw-helper [--connect <socket> --token-file <file>] (got ${JSON.stringify(argv)})`);
    got[flag] = value;
  }
  if (!got['--connect'] || !got['--token-file']) fatal('--connect and --token-file go together');
  return { connect: got['--connect'], tokenFile: got['--token-file'] };
}

/** The token: 64 hex digits, read once. */
function readToken(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (e) {
    fatal(`cannot read the token file ${file}: ${(e as Error).message}`);
  }
  if (!/^[0-9a-f]{64}$/.test(text)) fatal(`the token file ${file} does not hold a token`);
  return text;
}

let input: Readable;
let out: Writable;
const connectTo = parseArgs(process.argv.slice(2));
if (connectTo) {
  const token = readToken(connectTo.tokenFile);
  const conn = connect(connectTo.connect);
  let connected = false;
  conn.on('connect', () => (connected = true));
  // Before connecting: say why, and go. After: the app went away, which ends us (below).
  conn.on('error', (e) => {
    if (!connected) fatal(`cannot connect to ${connectTo.connect}: ${e.message}`, 69);
  });
  conn.write(token); // first, before any frame (writes queue until connected)
  input = conn;
  out = conn;
} else {
  input = process.stdin;
  // A pipe as a non-blocking socket (process.stdout blocks on pipes on Linux,
  // which would stall receiving and skew the timestamps); anything else as is.
  try {
    out = new Socket({ fd: 1, readable: false, writable: true });
  } catch {
    out = process.stdout;
  }
  out.on('error', () => process.exit(0)); // the app went away
}

const dropped = new Map<number, number>();
out.on('drain', () => {
  for (const [handle, count] of dropped) post({ event: 'dropped', handle, count });
  dropped.clear();
});

// Frames posted in one turn of the event loop leave in one write (a flood
// is tens of thousands of frames a second; a syscall each would be the limit).
let ending = false;
let batch: Uint8Array[] = [];
let batchBytes = 0;
function post(msg: Reply | HelperEvent): void {
  if (ending) return;
  const f = frameOf(msg);
  batch.push(f);
  batchBytes += f.byteLength;
  if (batch.length === 1) setImmediate(flush);
}
function flush(): void {
  if (!batch.length) return;
  const all = batch.length === 1 ? batch[0]! : Buffer.concat(batch, batchBytes);
  batch = [];
  batchBytes = 0;
  out.write(all);
}

const bad = (rid: number | null, message: string): Reply => ({ rid, ok: false, error: { code: 'BAD_REQUEST', errno: -osConstants.errno.EINVAL, message: `bad request: ${message}`, syscall: 'request' } });

const sockets = new RawSockets(
  now,
  (handle, bytes, from, tUs, ipHeader) => {
    if (out.writableLength + batchBytes > OUT_HIGH) return void dropped.set(handle, (dropped.get(handle) ?? 0) + 1);
    post({ event: 'packet', handle, bytes, from, tUs, ipHeader });
  },
  (handle, error, closed) => post({ event: 'socket-error', handle, error, closed }),
  kernelStamps(),
  fromMonotonicNs,
);

/** The kernel-stamps addon, or null (receive times are then taken here). */
function kernelStamps(): KernelStamps | null {
  try {
    return loadAddon<KernelStamps>('sockbench_stamp.node');
  } catch {
    return null;
  }
}

const asBytes = (a: Float64Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

let queued = 0;
function run(req: Request): void {
  const { rid } = req;
  const fail = (e: unknown) => post({ rid, ok: false, error: toWire(e as RawSocketError) });
  try {
    switch (req.op) {
      case 'open':
        return post({ rid, ok: true, result: sockets.open(req.args as Request<'open'>['args']) });
      case 'close':
        return post({ rid, ok: true, result: sockets.close((req.args as Request<'close'>['args']).handle) });
      case 'setFilter':
        return post({ rid, ok: true, result: sockets.setFilter(req.args as Request<'setFilter'>['args']) });
      case 'flood': {
        const args = req.args as Request<'flood'>['args'];
        const { handle } = args;
        sockets.flood(args, {
          sent: (first, tUs, error) => post({ event: 'flood-sent', handle, first, tUs: asBytes(tUs), ...(error && { error }) }),
          replies: (records) => post({ event: 'flood-replies', handle, replies: asBytes(records) }),
        }, (result) => post({ rid, ok: true, result }));
        return;
      }
      case 'floodStop':
        return post({ rid, ok: true, result: sockets.floodStop((req.args as Request<'floodStop'>['args']).handle) });
      case 'send': {
        const args = req.args as Request<'send'>['args'];
        const size = args.bytes.byteLength + 64;
        queued += size;
        if (queued > IN_HIGH) input.pause();
        const done = () => {
          queued -= size;
          if (queued <= IN_HIGH / 2 && input.isPaused()) input.resume();
        };
        sockets.send(args).then((result) => post({ rid, ok: true, result }), fail).finally(done);
        return;
      }
    }
  } catch (e) {
    fail(e);
  }
}

const reader = new FrameReader(MAX_FRAME);
input.on('data', (chunk: Buffer) => {
  for (const c of reader.push(chunk)) {
    if ('oversize' in c) {
      post(bad(null, `a frame of ${c.oversize} bytes is over the ${MAX_FRAME}-byte limit (skipped)`));
      continue;
    }
    let m: unknown;
    try {
      m = decodePayload(c.frame, MAX_JSON);
    } catch (e) {
      post(bad(null, (e as Error).message));
      continue;
    }
    const problem = requestProblem(m);
    if (problem) {
      const rid = (m as { rid?: unknown } | null)?.rid;
      post(bad(isHandle(rid) ? (rid as number) : null, problem));
      continue;
    }
    run(m as Request);
  }
});

// The app closed our stdin or the connection (or went away): nothing more will be asked.
function end(): void {
  if (ending) return;
  ending = true;
  sockets.closeAll();
  out.end(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
}
input.on('end', end);
input.on('error', end);
input.on('close', end);

const permission = (process as { permission?: { has(scope: string): boolean } }).permission;
post({ event: 'ready', pid: process.pid, originNs: String(origin), sandboxed: !!permission && !permission.has('fs.write') && !permission.has('child') });
