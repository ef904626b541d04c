// Real tools measured in the same run, so ratios survive a noisy machine.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasTool } from '../support/peers.js';
import { freePort } from '../support/peers.js';
import { sleep } from './stats.js';

/** iperf3 single TCP stream on loopback for `seconds`; Gbit/s received, or null when iperf3 is missing. */
export async function iperf3(seconds: number): Promise<number | null> {
  if (!hasTool('iperf3')) return null;
  const port = await freePort();
  const server = spawn('iperf3', ['-s', '-1', '-p', String(port), '-B', '127.0.0.1'], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 50; i++) {
      await sleep(100);
      const json = await new Promise<string | null>((resolve) => {
        execFile('iperf3', ['-c', '127.0.0.1', '-p', String(port), '-t', String(seconds), '-J'], { timeout: (seconds + 15) * 1000 }, (err, out) =>
          resolve(err ? null : out),
        );
      });
      if (json) {
        const report = JSON.parse(json) as { end: { sum_received: { bits_per_second: number } } };
        return report.end.sum_received.bits_per_second / 1e9;
      }
    }
    throw new Error('iperf3 client could not reach its server');
  } finally {
    server.kill('SIGKILL');
  }
}

export interface SocatResult {
  bytes: number;
  seconds: number;
  gbitPerSec: number;
  /** Which bound ended the run: every byte was moved, or time ran out (bytes then read from /proc/<pid>/io). */
  boundedBy: 'bytes' | 'time';
}

/** Bytes a process has read so far (its `rchar` in /proc/<pid>/io, Linux), or NaN. */
function bytesRead(pid: number | undefined): number {
  try {
    const m = /^rchar:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

/**
 * socat moving `bytes` zeros over a Unix stream socket: one socat listens on a
 * path in a temp dir and writes what it receives to /dev/null, another reads
 * /dev/zero (readbytes) and connects. Timed end to end, from starting the
 * sender until both have exited; bounded by `maxMs`. `block` is socat's -b
 * (its default is 8192 bytes per read/write). Null when socat is missing.
 */
export async function socatUnix(opts: { bytes: number; maxMs: number; block?: number }): Promise<SocatResult | null> {
  if (!hasTool('socat')) return null;
  const dir = mkdtempSync(join(tmpdir(), 'sockbench-socat-'));
  const path = join(dir, 'socat.sock');
  const block = opts.block ? ['-b', String(opts.block)] : [];
  const start = (args: string[]) => {
    const proc = spawn('socat', [...block, '-u', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-1000)));
    const exit = new Promise<void>((resolve, reject) =>
      proc.once('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`socat ${args.join(' ')}: ${signal ?? `exit ${code}`} ${stderr.trim()}`)))),
    );
    exit.catch(() => undefined); // judged below; a run killed at the time bound is not a failure
    return { proc, exit, alive: () => proc.exitCode === null && proc.signalCode === null };
  };
  const rx = start([`UNIX-LISTEN:${path}`, 'OPEN:/dev/null']);
  let tx: ReturnType<typeof start> | undefined;
  try {
    for (let i = 0; i < 500 && !existsSync(path) && rx.alive(); i++) await sleep(2);
    if (!existsSync(path)) throw new Error('socat receiver did not listen within 1 s');
    await sleep(20); // bind comes just before listen: let it get there
    const before = bytesRead(rx.proc.pid);
    const t0 = process.hrtime.bigint();
    tx = start([`OPEN:/dev/zero,readbytes=${opts.bytes}`, `UNIX-CONNECT:${path}`]);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      Promise.all([rx.exit, tx.exit]).then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), opts.maxMs))),
    ]);
    clearTimeout(timer);
    const ns = process.hrtime.bigint() - t0;
    let bytes = opts.bytes;
    if (timedOut) {
      bytes = bytesRead(rx.proc.pid) - before;
      if (!Number.isFinite(bytes)) throw new Error(`socat did not move ${opts.bytes} bytes within ${opts.maxMs} ms, and /proc/<pid>/io is unreadable`);
    } else {
      await Promise.all([rx.exit, tx.exit]); // rejects when either failed
    }
    const seconds = Number(ns) / 1e9;
    return { bytes, seconds, gbitPerSec: (bytes * 8) / seconds / 1e9, boundedBy: timedOut ? 'time' : 'bytes' };
  } finally {
    for (const p of [rx, tx]) if (p?.alive()) p.proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}
