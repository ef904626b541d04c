// TCP against another process, as users use it: one end is socat on the
// other core, the other a session (through the router, as the page calls it)
// or the `sockbench` CLI (dist/cli.cjs, output to /dev/null as `> /dev/null`).
// Each run is bounded by bytes and by time; the anchor (iperf3) is measured in
// the same run by run.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRouter } from '../../main/bridge/router.js';
import { Workbench } from '../../main/workbench.js';
import { freePort, hasTool } from '../support/peers.js';
import { CHUNK, routerCall, throughput, type ThroughputResult } from './session-pump.js';
import { sleep } from './stats.js';

const cli = fileURLToPath(new URL('../../dist/cli.cjs', import.meta.url));
const IN_FLIGHT = 8;
/** socat's block: one read or write of 1 MiB per call, as the measurement. */
const SOCAT_BLOCK = String(1024 * 1024);

export const socatPresent = () => hasTool('socat');

interface Proc {
  proc: ChildProcess;
  exited: Promise<number | null>;
  stderr: () => string;
  kill(): void;
}

function start(cmd: string, args: string[], onStderr?: (text: string) => void): Proc {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
    onStderr?.(stderr);
  });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code, signal) => r(signal ? null : code)));
  return { proc, exited, stderr: () => stderr, kill: () => void (proc.exitCode === null && proc.signalCode === null && proc.kill('SIGKILL')) };
}

/** Resolves when `p` printed `pattern` on stderr (or rejects after `ms`, or when it exits first). */
function stderrSays(p: Proc, pattern: RegExp, ms: number): Promise<bigint> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${pattern.source}" within ${ms} ms: ${p.stderr().slice(-300)}`)), ms);
    const check = (text: string) => {
      if (!pattern.test(text)) return;
      clearTimeout(timer);
      resolve(process.hrtime.bigint());
    };
    p.proc.stderr!.on('data', () => check(p.stderr()));
    void p.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code}) before "${pattern.source}": ${p.stderr().slice(-300)}`));
    });
  });
}

async function bounded<T>(what: Promise<T>, ms: number, label: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([what, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${label}: not done within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A listening session receives `bytes` zeros from `socat -b 1M -u
 * OPEN:/dev/zero TCP:…`; timed from starting socat until the accepted
 * session's bytesIn equals what was sent (at `maxMs`, what it has by then).
 */
export async function sessionReceivesFromSocat(opts: { bytes: number; maxMs: number }): Promise<ThroughputResult> {
  const workbench = new Workbench();
  const call = routerCall(createRouter(workbench));
  let tx: Proc | undefined;
  try {
    const server = await call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
    const bound = await call('socket.bind', { id: server.id, address: '127.0.0.1', port: 0 });
    await call('socket.listen', { id: server.id, backlog: 4 });
    const t0 = process.hrtime.bigint();
    tx = start('socat', ['-b', SOCAT_BLOCK, '-u', `OPEN:/dev/zero,readbytes=${opts.bytes}`, `TCP:127.0.0.1:${bound.local!.port}`]);
    const deadline = Date.now() + opts.maxMs;
    const received = () => workbench.engine.list().find((s) => s.parent === server.id)?.counters.bytesIn ?? 0;
    while (received() < opts.bytes && Date.now() < deadline) await sleep(1);
    const elapsed = process.hrtime.bigint() - t0;
    if (received() === 0) throw new Error(`the session received nothing: ${tx.stderr().slice(-300)}`);
    return throughput(received(), elapsed);
  } finally {
    tx?.kill();
    await workbench.close();
  }
}

/**
 * A session connects to `socat -b 1M -u TCP-LISTEN:… OPEN:/dev/null` and
 * sends 1 MiB `socket.sendall` calls (8 in flight) until `bytes` or `maxMs`,
 * then closes; timed from the first send until socat has read everything and
 * exited (it exits at the end of the stream).
 */
export async function sessionSendsToSocat(opts: { bytes: number; maxMs: number }): Promise<ThroughputResult> {
  const port = await freePort();
  const rx = start('socat', ['-d', '-d', '-b', SOCAT_BLOCK, '-u', `TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr`, 'OPEN:/dev/null']);
  const workbench = new Workbench();
  const call = routerCall(createRouter(workbench));
  try {
    await stderrSays(rx, /listening on/, 5000);
    const s = await call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
    await call('socket.connect', { id: s.id, address: '127.0.0.1', port, timeoutMs: 5000 });
    return await pump(call, s.id, rx, opts);
  } finally {
    rx.kill();
    await workbench.close();
  }
}

async function pump(call: ReturnType<typeof routerCall>, id: number, rx: Proc, opts: { bytes: number; maxMs: number }): Promise<ThroughputResult> {
  const payload = new Uint8Array(CHUNK).fill(0x61);
  const t0 = process.hrtime.bigint();
  const deadline = Date.now() + opts.maxMs;
  let sent = 0;
  const inFlight = new Set<Promise<unknown>>();
  while (sent < opts.bytes && Date.now() < deadline) {
    const p = call('socket.sendall', { id, data: payload }).finally(() => inFlight.delete(p));
    inFlight.add(p);
    sent += CHUNK;
    if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  await call('socket.close', { id });
  const code = await bounded(rx.exited, 30_000, 'socat sink');
  const elapsed = process.hrtime.bigint() - t0;
  if (code !== 0) throw new Error(`socat sink exited ${code}: ${rx.stderr().slice(-300)}`);
  return throughput(sent, elapsed);
}

/**
 * `sockbench listen tcp 127.0.0.1:PORT --count 1 > /dev/null` receiving
 * `bytes` from `socat -b 1M`: timed from starting socat (the CLI is already
 * listening) until the CLI has exited (it exits once the connection ended).
 */
export async function cliListenReceives(opts: { bytes: number; maxMs: number }): Promise<ThroughputResult> {
  const port = await freePort();
  const sb = start(process.execPath, [cli, 'listen', 'tcp', `127.0.0.1:${port}`, '--count', '1']);
  let tx: Proc | undefined;
  try {
    await stderrSays(sb, /listening on/, 10_000);
    const t0 = process.hrtime.bigint();
    tx = start('socat', ['-b', SOCAT_BLOCK, '-u', `OPEN:/dev/zero,readbytes=${opts.bytes}`, `TCP:127.0.0.1:${port}`]);
    const code = await bounded(sb.exited, opts.maxMs + 30_000, 'sockbench listen');
    const elapsed = process.hrtime.bigint() - t0;
    if (code !== 0 || (await tx.exited) !== 0) throw new Error(`sockbench listen exited ${code}, socat ${tx.proc.exitCode}: ${sb.stderr().slice(-300)} ${tx.stderr().slice(-300)}`);
    return throughput(opts.bytes, elapsed);
  } finally {
    tx?.kill();
    sb.kill();
  }
}

/**
 * `sockbench connect tcp 127.0.0.1:PORT > /dev/null` receiving `bytes` from
 * `socat -b 1M -u OPEN:/dev/zero TCP-LISTEN:…`: timed from socat accepting
 * the connection (its `-d -d` line; the CLI's start-up is left out) until the
 * CLI has exited at the end of the stream.
 */
export async function cliConnectReceives(opts: { bytes: number; maxMs: number }): Promise<ThroughputResult> {
  const port = await freePort();
  const tx = start('socat', ['-d', '-d', '-b', SOCAT_BLOCK, '-u', `OPEN:/dev/zero,readbytes=${opts.bytes}`, `TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr`]);
  let sb: Proc | undefined;
  try {
    await stderrSays(tx, /listening on/, 5000);
    const accepted = stderrSays(tx, /accepting connection/, 15_000);
    sb = start(process.execPath, [cli, 'connect', 'tcp', `127.0.0.1:${port}`]);
    const t0 = await accepted;
    const code = await bounded(sb.exited, opts.maxMs + 30_000, 'sockbench connect');
    const elapsed = process.hrtime.bigint() - t0;
    if (code !== 0) throw new Error(`sockbench connect exited ${code}: ${sb.stderr().slice(-300)}`);
    return throughput(opts.bytes, elapsed);
  } finally {
    sb?.kill();
    tx.kill();
  }
}

/**
 * `sockbench connect tcp 127.0.0.1:PORT --send @FILE` (a file of `bytes`)
 * to `socat -b 1M -u TCP-LISTEN:… OPEN:/dev/null`: timed from socat accepting
 * the connection until socat has read the end of the stream and exited (the
 * CLI reads its file before it connects).
 */
export async function cliConnectSends(opts: { bytes: number }): Promise<ThroughputResult> {
  const dir = mkdtempSync(join(tmpdir(), 'sockbench-tcp-peer-'));
  const file = join(dir, 'payload');
  const port = await freePort();
  let rx: Proc | undefined;
  let sb: Proc | undefined;
  try {
    writeFileSync(file, Buffer.alloc(opts.bytes, 0x61));
    rx = start('socat', ['-d', '-d', '-b', SOCAT_BLOCK, '-u', `TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr`, 'OPEN:/dev/null']);
    await stderrSays(rx, /listening on/, 5000);
    const accepted = stderrSays(rx, /accepting connection/, 15_000);
    sb = start(process.execPath, [cli, 'connect', 'tcp', `127.0.0.1:${port}`, '--send', `@${file}`]);
    const t0 = await accepted;
    const code = await bounded(rx.exited, 60_000, 'socat sink');
    const elapsed = process.hrtime.bigint() - t0;
    if (code !== 0) throw new Error(`socat sink exited ${code}: ${rx.stderr().slice(-300)}`);
    await bounded(sb.exited, 10_000, 'sockbench connect');
    return throughput(opts.bytes, elapsed);
  } finally {
    sb?.kill();
    rx?.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}
