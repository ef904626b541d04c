// ICMP figures: Sockbench's Ping through the real raw-socket helper
// (dist/raw-helper.cjs, sandboxed, as the app and the CLI start it) next to
// iputils ping and hping3 in the same run, on 127.0.0.1 only. Every run is
// bounded by a count and a time limit.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RawHelper } from '../../main/raw/raw-helper.js';
import { Ping, type PingOptions, type PingSent, type PingSummary } from '../../main/raw/ping.js';
import { fromRawHelper, type ProbeTransport } from '../../main/raw/probe-transport.js';
import { rawPrivilege } from '../../main/raw/privilege.js';
import { hasTool } from '../support/peers.js';
import { median } from './stats.js';
import { sessionSendRepeat } from './udp-rate.js';

const TARGET = '127.0.0.1';
const helperEntry = fileURLToPath(new URL('../../dist/raw-helper.cjs', import.meta.url));

export interface RawBench {
  transport: ProbeTransport;
  stop(): Promise<void>;
}

/** The helper as the app starts it; null (with the reason) when this process may not open raw sockets. */
export async function startRawHelper(): Promise<RawBench | string> {
  if (!rawPrivilege().privileged) return 'no CAP_NET_RAW / not root';
  const helper = new RawHelper({ entry: helperEntry });
  const ready = new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('raw helper not ready within 10 s')), 10_000);
    helper.once('ready', () => {
      clearTimeout(t);
      resolve();
    });
  });
  helper.start();
  await ready;
  return { transport: fromRawHelper(helper), stop: () => helper.stop() };
}

/** Runs one Ping to 127.0.0.1, stopped after `maxMs` whatever its count. */
async function runPing(t: ProbeTransport, o: Omit<PingOptions, 'target'>, maxMs: number): Promise<{ summary: PingSummary; rtts: number[]; sent: PingSent[] }> {
  const ping = new Ping(t, { target: TARGET, timeoutMs: 1000, ...o });
  const rtts: number[] = [];
  const sent: PingSent[] = [];
  ping.on('reply', (r) => {
    if (!r.dup && !r.late) rtts.push(r.rttUs);
  });
  ping.on('sent', (s) => sent.push(s));
  const guard = setTimeout(() => ping.stop(), maxMs);
  try {
    return { summary: await ping.start(), rtts, sent };
  } finally {
    clearTimeout(guard);
  }
}

export interface RttFigures {
  n: number;
  received: number;
  medianUs: number;
  mdevUs: number;
  minUs: number;
  avgUs: number;
  maxUs: number;
}

/** Sockbench's Ping: `count` probes every `intervalMs`; median of the per-reply RTTs, mdev as ping computes it. */
export async function sockbenchPingRtt(t: ProbeTransport, count: number, intervalMs: number): Promise<RttFigures> {
  const { summary, rtts } = await runPing(t, { count, intervalMs }, count * intervalMs + 15_000);
  const r = summary.stats.rtt;
  if (!r) throw new Error('no replies');
  return { n: summary.stats.transmitted, received: summary.stats.received, medianUs: median(rtts), mdevUs: r.mdevUs, minUs: r.minUs, avgUs: r.avgUs, maxUs: r.maxUs };
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 << 20, killSignal: 'SIGKILL' }, (err, stdout, stderr) =>
      resolve({ stdout, stderr, code: err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null) : 0 }),
    );
  });
}

/**
 * iputils ping, without -q so every reply's `time=` is printed (ping prints
 * it to the µs below 1 ms); the median is computed from those lines, mdev and
 * the rest are ping's own summary line. Null when ping is missing.
 */
export async function systemPingRtt(count: number, intervalMs: number): Promise<RttFigures | null> {
  if (!hasTool('ping')) return null;
  const out = await run('ping', ['-n', '-c', String(count), '-i', String(intervalMs / 1000), '-W', '1', TARGET], count * intervalMs + 20_000);
  const times = [...out.stdout.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]) * 1000);
  const sum = /= ([\d.]+)\/([\d.]+)\/([\d.]+)\/([\d.]+) ms/.exec(out.stdout);
  const tx = /(\d+) packets transmitted, (\d+) received/.exec(out.stdout);
  if (!sum || !tx || times.length === 0) throw new Error(`ping printed no summary (exit ${out.code}): ${(out.stderr || out.stdout).slice(-200)}`);
  return {
    n: Number(tx[1]), received: Number(tx[2]), medianUs: median(times),
    minUs: Number(sum[1]) * 1000, avgUs: Number(sum[2]) * 1000, maxUs: Number(sum[3]) * 1000, mdevUs: Number(sum[4]) * 1000,
  };
}

export interface FloodFigures {
  transmitted: number;
  received: number;
  seconds: number;
  pps: number;
}

/** Sockbench's flood (as hping3 --flood: sent by the helper without waiting for replies; all replies are still matched). */
export async function sockbenchFlood(t: ProbeTransport, count: number, maxMs: number): Promise<FloodFigures> {
  const { summary, sent } = await runPing(t, { count, flood: true, size: 56 }, maxMs);
  if (sent.length < 2) throw new Error(`only ${sent.length} probe(s) sent`);
  const first = sent[0]?.tUs ?? 0;
  const last = sent[sent.length - 1]?.tUs ?? 0;
  const seconds = (last - first) / 1e6;
  return { transmitted: summary.stats.transmitted, received: summary.stats.received, seconds, pps: (sent.length - 1) / seconds };
}

/**
 * hping3 --icmp --flood for `seconds` (hping3 ignores -c with --flood, so
 * `timeout -s INT` ends it and it prints its summary); packets transmitted ÷
 * the wall time from spawn to exit (includes its start-up, a few ms). Null
 * when hping3 is missing.
 */
export async function hping3Flood(seconds: number): Promise<FloodFigures | null> {
  if (!hasTool('hping3') || !hasTool('timeout')) return null;
  const t0 = process.hrtime.bigint();
  const out = await run('timeout', ['-s', 'INT', String(seconds), 'hping3', '--icmp', '--flood', '-q', TARGET], seconds * 1000 + 10_000);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const text = out.stdout + out.stderr;
  const m = /(\d+) packets transmitted, (\d+) packets received/.exec(text);
  if (!m) throw new Error(`hping3 printed no summary (exit ${out.code}): ${text.slice(-200)}`);
  return { transmitted: Number(m[1]), received: Number(m[2]), seconds: wall, pps: Number(m[1]) / wall };
}

/**
 * iputils ping -f -c N -q: ping's own flood, which waits for each reply (or
 * 10 ms) before the next probe (Sockbench's and hping3's do not); rate = transmitted ÷ ping's
 * "time" (first send to last reply). Null when ping is missing.
 */
export async function systemPingFlood(count: number): Promise<FloodFigures | null> {
  if (!hasTool('ping')) return null;
  const out = await run('ping', ['-n', '-f', '-q', '-c', String(count), '-W', '1', TARGET], 30_000);
  const m = /(\d+) packets transmitted, (\d+) received.*time (\d+)ms/.exec(out.stdout);
  if (!m) throw new Error(`ping -f printed no summary (exit ${out.code}): ${(out.stderr || out.stdout).slice(-200)}`);
  const seconds = Number(m[3]) / 1000;
  return { transmitted: Number(m[1]), received: Number(m[2]), seconds, pps: Number(m[1]) / seconds };
}

export interface PacedFigures {
  requestedPps: number;
  sent: number;
  seconds: number;
  achievedPps: number;
  errorPercent: number;
}

/**
 * Ping paced at `pps` (interval 1000/pps ms; below 1 ms that is a paced
 * flood, sent by the helper on its schedule) for `count` probes; the achieved
 * rate is (sent − 1) ÷ (last send − first send), both stamped by the helper
 * just before sendto(2).
 */
export async function sockbenchPingPaced(t: ProbeTransport, pps: number, count: number): Promise<PacedFigures> {
  const intervalMs = 1000 / pps;
  const { sent } = await runPing(t, { count, intervalMs, flood: intervalMs < 1, size: 56 }, count * intervalMs * 1.5 + 5000);
  if (sent.length < 2) throw new Error(`only ${sent.length} probe(s) sent`);
  const seconds = (sent[sent.length - 1]!.tUs - sent[0]!.tUs) / 1e6;
  const achievedPps = (sent.length - 1) / seconds;
  return { requestedPps: pps, sent: sent.length, seconds, achievedPps, errorPercent: (achievedPps / pps - 1) * 100 };
}

/**
 * The engine's paced UDP sender (socket.sendRepeat with intervalUs, through
 * the router) at `pps` for `count` datagrams of 64 B to a bound, unread
 * socket; achieved = (sent − 1) ÷ the call's elapsed time (its clock starts at
 * the first send and stops after the last).
 */
export async function udpPaced(pps: number, count: number): Promise<PacedFigures> {
  const { sent, seconds } = await sessionSendRepeat({ data: new Uint8Array(64), count, intervalUs: 1e6 / pps });
  const achievedPps = (sent - 1) / seconds;
  return { requestedPps: pps, sent, seconds, achievedPps, errorPercent: (achievedPps / pps - 1) * 100 };
}
