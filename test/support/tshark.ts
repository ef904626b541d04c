// tshark as the judge: dissect a pcapng we wrote and read fields and
// checksum verdicts off Wireshark's own dissectors, and capture on lo into
// pcapng for our parsers. Every child process is bounded in time.
//
// tshark -T json reports a checksum verdict as <proto>.checksum.status:
// "0" bad, "1" good, "2" unverified, "3" not present (UDP over IPv4 with
// checksum 0), "4" illegal (UDP over IPv6 with checksum 0). IPv4, UDP and TCP
// are only verified with <proto>.check_checksum:TRUE (off by default in
// tshark 4.0); ICMP and ICMPv6 always are.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasTool } from './peers.js';

/** tshark's JSON tree of one packet: layer name → fields and subtrees. Values are strings, objects or arrays of them. */
export type TsharkTree = { [key: string]: TsharkValue };
export type TsharkValue = string | TsharkTree | TsharkValue[];

export interface TsharkPacket {
  /** 1-based frame number. */
  number: number;
  /** frame.protocols split: ['ip', 'icmp', 'data']. */
  protocols: string[];
  /** The layers as tshark gives them (duplicate keys merged into arrays). */
  layers: TsharkTree;
}

export type ChecksumStatus = 'bad' | 'good' | 'unverified' | 'not-present' | 'illegal';

const STATUS: Readonly<Record<string, ChecksumStatus>> = { 0: 'bad', 1: 'good', 2: 'unverified', 3: 'not-present', 4: 'illegal' };

/** The -o options that make tshark verify IPv4, TCP and UDP checksums. */
export const CHECKSUM_PREFS = ['-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE'];

const TSHARK_TIMEOUT_MS = 30_000;

function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'sockbench-tshark-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Runs `tshark -r <file> ...args` on the bytes of a capture file; resolves
 * with its stdout (e.g. a rewritten file with `-w - -F pcapng`), rejects with
 * its stderr when it fails or takes longer than timeoutMs.
 */
export function tsharkRead(file: Uint8Array, args: string[], timeoutMs = TSHARK_TIMEOUT_MS): Promise<Buffer> {
  const tmp = tempDir();
  const path = join(tmp.dir, 'in.pcapng');
  writeFileSync(path, file);
  return new Promise<Buffer>((resolve, reject) => {
    const ts = spawn('tshark', ['-r', path, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    ts.stdout.on('data', (d: Buffer) => out.push(d));
    ts.stderr.on('data', (d: Buffer) => (err = (err + String(d)).replace(/^Running as user .*\n/m, '')));
    const timer = setTimeout(() => {
      ts.kill('SIGKILL');
      reject(new Error(`tshark -r did not finish within ${timeoutMs} ms: ${err}`));
    }, timeoutMs);
    ts.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    ts.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error(`tshark -r exited with ${code}: ${err.trim()}`));
    });
  }).finally(tmp.remove);
}

/**
 * Every packet of a pcapng file as tshark dissects it (-V -T json, checksums
 * verified). Rejects when tshark fails or reports the file damaged.
 */
export async function dissect(pcapng: Uint8Array, opts: { timeoutMs?: number; extraArgs?: string[] } = {}): Promise<TsharkPacket[]> {
  const out = await tsharkRead(pcapng, ['-n', '-V', '-T', 'json', '--no-duplicate-keys', ...CHECKSUM_PREFS, ...(opts.extraArgs ?? [])], opts.timeoutMs);
  const json = out.toString('utf8');
  const docs = JSON.parse(json.trim() === '' ? '[]' : json) as { _source: { layers: TsharkTree } }[];
  return docs.map((d, i) => {
    const layers = d._source.layers;
    const frame = layers.frame;
    const protocols = frame && typeof frame === 'object' && !Array.isArray(frame) && typeof frame['frame.protocols'] === 'string' ? frame['frame.protocols'].split(':') : [];
    return { number: i + 1, protocols, layers };
  });
}

/** Every value of `name` under `v`, depth first, in document order. */
function collect(v: TsharkValue, name: string, out: string[]): void {
  if (typeof v === 'string') return;
  if (Array.isArray(v)) {
    for (const x of v) collect(x, name, out);
    return;
  }
  for (const [k, x] of Object.entries(v)) {
    if (k === name) {
      if (typeof x === 'string') out.push(x);
      else if (Array.isArray(x)) for (const y of x) if (typeof y === 'string') out.push(y);
    }
    if (typeof x !== 'string') collect(x, name, out);
  }
}

/**
 * Every value of field `name` ('ip.ttl', 'udp.checksum.status'…) in the
 * packet. The layer the name starts with ('ip') is searched first (the
 * outer header first when there are several), then the rest of the packet,
 * so fields of a datagram quoted in an ICMP error come after the real ones.
 */
export function fields(pkt: TsharkPacket, name: string): string[] {
  const out: string[] = [];
  const layer = name.split('.')[0]!;
  const own = pkt.layers[layer];
  if (own !== undefined) collect(own, name, out);
  for (const [k, v] of Object.entries(pkt.layers)) if (k !== layer) collect(v, name, out);
  return out;
}

/** The first value of field `name` (see fields()), or undefined when tshark shows none. */
export function field(pkt: TsharkPacket, name: string): string | undefined {
  return fields(pkt, name)[0];
}

/** A numeric field ('ip.ttl' "3", 'ip.id' "0x1234") as a number; throws when missing or not a number. */
export function fieldNumber(pkt: TsharkPacket, name: string): number {
  const v = requireField(pkt, name);
  const n = /^0x[0-9a-f]+$/i.test(v) ? parseInt(v, 16) : /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : NaN;
  if (Number.isNaN(n)) throw new Error(`frame ${pkt.number}: ${name} is ${JSON.stringify(v)}, not a number`);
  return n;
}

/** Like field(), but throws naming the packet and its protocols when the field is missing. */
export function requireField(pkt: TsharkPacket, name: string): string {
  const v = field(pkt, name);
  if (v === undefined) throw new Error(`tshark shows no ${name} in frame ${pkt.number} (${pkt.protocols.join(':')})`);
  return v;
}

/** tshark's checksum verdict for the first (outermost) `proto` header of the packet; throws when it shows none. */
export function checksumStatus(pkt: TsharkPacket, proto: 'ip' | 'icmp' | 'icmpv6' | 'tcp' | 'udp'): ChecksumStatus {
  const v = requireField(pkt, `${proto}.checksum.status`);
  const s = STATUS[v];
  if (!s) throw new Error(`frame ${pkt.number}: ${proto}.checksum.status is ${v}, not one of 0..4`);
  return s;
}

/** The expert-info messages tshark attached to the packet ("Bad checksum [should be 0x…]"…). */
export function expertMessages(pkt: TsharkPacket): string[] {
  const out: string[] = [];
  collect(pkt.layers, '_ws.expert.message', out);
  return out;
}

export interface CaptureOptions {
  /** Stop after this many packets (tshark -c); without it, at the timeout. */
  count?: number;
  /** Longest the capture runs, action included; default 20 s. */
  timeoutMs?: number;
  /** Longest to wait for the capture to start; default 15 s. */
  startTimeoutMs?: number;
}

/**
 * Captures on `iface` (e.g. 'lo') with a BPF capture filter into pcapng:
 * starts dumpcap (tshark's capture engine; tshark itself when dumpcap is
 * not on the PATH), waits until it really captures, runs `action`, then
 * waits for `count` packets or the timeout and stops it (SIGINT, so the
 * file is complete; SIGKILL if it does not exit). Resolves with the file's
 * bytes; rejects if the capture never starts (a bad filter, no such
 * interface, no privilege), fails, or the action throws.
 *
 * "Really captures": both tools print "Capturing on 'Loopback: lo'" before
 * the interface is opened and the filter compiled (a bad filter fails after
 * it). dumpcap's later "File: <path>" line, and the section header it writes
 * into the file, come once the interface is open with its filter; we wait
 * for either.
 */
export async function capture(iface: string, filter: string, action: () => Promise<void>, opts: CaptureOptions = {}): Promise<Uint8Array> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const startTimeoutMs = opts.startTimeoutMs ?? 15_000;
  const tool = hasTool('dumpcap') ? 'dumpcap' : 'tshark';
  const tmp = tempDir();
  const path = join(tmp.dir, 'capture.pcapng');
  const args = ['-i', iface, '-f', filter, '-w', path];
  if (tool === 'tshark') args.push('-n', '-F', 'pcapng');
  if (opts.count !== undefined) args.push('-c', String(opts.count));
  // The tool's own bound: a little past ours, in whole seconds.
  args.push('-a', `duration:${Math.ceil((startTimeoutMs + timeoutMs) / 1000) + 5}`);
  const proc = spawn(tool, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) => {
    proc.once('close', (code) => {
      exitCode = code;
      resolve();
    });
    proc.once('error', (e) => {
      err += `\n${e.message}`;
      exitCode = -1;
      resolve();
    });
  });
  // Without the warning every run as root starts with.
  proc.stderr.on('data', (d: Buffer) => (err = (err + String(d)).replace(/^Running as user .*\n/m, '')));
  const bounded = (p: Promise<unknown>, ms: number): Promise<boolean> =>
    new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), ms);
      void p.then(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  const fileStarted = (): boolean => {
    try {
      return statSync(path).size >= 28; // a Section Header Block
    } catch {
      return false;
    }
  };
  const stopped = (): Error => new Error(`${tool} exited with ${exitCode} before capturing on ${iface} (filter "${filter}"): ${err.trim()}`);
  try {
    const startBy = Date.now() + startTimeoutMs;
    // Bounded: one round per 20 ms until startBy.
    while (!/^File: /m.test(err) && !(/Capturing on/.test(err) && fileStarted())) {
      if (exitCode !== undefined) throw stopped();
      if (Date.now() > startBy) throw new Error(`${tool} did not start capturing on ${iface} within ${startTimeoutMs} ms: ${err.trim()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    if (exitCode !== undefined) throw stopped();
    const deadline = Date.now() + timeoutMs;
    await action();
    if (opts.count !== undefined) await bounded(exited, Math.max(0, deadline - Date.now()));
    else await new Promise((r) => setTimeout(r, Math.min(300, Math.max(0, deadline - Date.now()))));
    if (exitCode === undefined) {
      proc.kill('SIGINT');
      if (!(await bounded(exited, 5_000))) throw new Error(`${tool} did not stop on SIGINT: ${err.trim()}`);
    }
    if (exitCode !== 0 && exitCode !== null) throw new Error(`${tool} exited with ${exitCode}: ${err.trim()}`);
    return new Uint8Array(readFileSync(path));
  } finally {
    if (exitCode === undefined) {
      proc.kill('SIGKILL');
      await bounded(exited, 2_000);
    }
    tmp.remove();
  }
}
