// Throughput of the crafter's codecs, so the crafter can feed a flood:
// buildStack (fields resolved, lengths and every checksum computed) and
// parseStack (every field read back, checksums verified), packets/s for a
// 64-byte ICMP echo (ipv4 + icmp + 36 bytes of data) and a 1,500-byte TCP
// segment (ipv4 + tcp + 1,460 bytes). Each packet differs from the last
// (seq counts up), as with a variable field, so nothing is cached. Bounded
// by a packet count and a time limit; figures only, never pass/fail.
// Alone: node --import tsx test/bench/codecs.ts
import { buildStack, parseStack, type Layer } from '../../shared/packet/index.js';
import { median } from './stats.js';

export interface CodecCase {
  name: string;
  bytes: number;
  /** The stack for packet n. */
  stack: (n: number) => Layer[];
}

export const CODEC_CASES: CodecCase[] = [
  {
    name: 'ICMP echo, 64 B (ipv4 + icmp + 36 B)',
    bytes: 64,
    stack: (n): Layer[] => [
      { kind: 'ipv4', fields: { dst: '127.0.0.1', id: n & 0xffff } },
      { kind: 'icmp', fields: { type: 8, id: 0x4242, seq: n & 0xffff } },
      { kind: 'payload', fields: { load: PAYLOAD_36 } },
    ],
  },
  {
    name: 'TCP segment, 1500 B (ipv4 + tcp + 1460 B)',
    bytes: 1500,
    stack: (n): Layer[] => [
      { kind: 'ipv4', fields: { dst: '127.0.0.1', flags: 2, id: n & 0xffff } },
      { kind: 'tcp', fields: { sport: 40000, dport: 9, seq: (n * 1460) % 2 ** 32, ack: 1, flags: 0x18, window: 65535 } },
      { kind: 'payload', fields: { load: PAYLOAD_1460 } },
    ],
  },
];

const PAYLOAD_36 = Uint8Array.from({ length: 36 }, (_, i) => i);
const PAYLOAD_1460 = Uint8Array.from({ length: 1460 }, (_, i) => i & 0xff);

export interface CodecFigures {
  name: string;
  bytes: number;
  /** Medians over the runs. */
  buildPps: number;
  parsePps: number;
  buildMbitPerSec: number;
  runs: { buildPps: number[]; parsePps: number[] };
  packetsPerRun: { build: number[]; parse: number[] };
}

/** Runs fn(n) for n = 0, 1, … until maxPackets or maxMs; packets/s. */
function rate(fn: (n: number) => void, maxPackets: number, maxMs: number): { pps: number; n: number } {
  const start = process.hrtime.bigint();
  const limit = start + BigInt(Math.round(maxMs * 1e6));
  let n = 0;
  while (n < maxPackets) {
    const end = Math.min(n + 256, maxPackets);
    for (; n < end; n++) fn(n);
    if (process.hrtime.bigint() > limit) break;
  }
  const s = Number(process.hrtime.bigint() - start) / 1e9;
  return { pps: n / s, n };
}

export function codecThroughput(opts: { maxPackets?: number; maxMs?: number; runs?: number } = {}): CodecFigures[] {
  const maxPackets = opts.maxPackets ?? 200_000;
  const maxMs = opts.maxMs ?? 1500;
  const runs = opts.runs ?? 3;
  return CODEC_CASES.map((c) => {
    // The bytes parse reads: built once, outside the timing.
    const first = buildStack(c.stack(0));
    if (!first.ok) throw new Error(`${c.name}: ${first.message}`);
    if (first.bytes.length !== c.bytes) throw new Error(`${c.name}: built ${first.bytes.length} bytes, not ${c.bytes}`);
    const samples = Array.from({ length: 64 }, (_, i) => {
      const b = buildStack(c.stack(i));
      if (!b.ok) throw new Error(b.message);
      return b.bytes;
    });
    let sink = 0;
    const build = (n: number): void => {
      const b = buildStack(c.stack(n));
      if (!b.ok) throw new Error(b.message);
      sink ^= b.bytes[10]!;
    };
    const parse = (n: number): void => {
      const p = parseStack(samples[n & 63]!, 'ipv4');
      if (p.checksums[1] !== 'good') throw new Error(`${c.name}: parsed checksum ${String(p.checksums[1])}`);
      sink ^= p.layers.length;
    };
    // Warm up the JIT on both paths.
    rate(build, 2000, 200);
    rate(parse, 2000, 200);
    const b: { pps: number; n: number }[] = [];
    const p: { pps: number; n: number }[] = [];
    for (let i = 0; i < runs; i++) {
      b.push(rate(build, maxPackets, maxMs));
      p.push(rate(parse, maxPackets, maxMs));
    }
    if (sink === -1) console.error(sink); // keep the work observable
    const buildPps = median(b.map((r) => r.pps));
    return {
      name: c.name,
      bytes: c.bytes,
      buildPps,
      parsePps: median(p.map((r) => r.pps)),
      buildMbitPerSec: (buildPps * c.bytes * 8) / 1e6,
      runs: { buildPps: b.map((r) => r.pps), parsePps: p.map((r) => r.pps) },
      packetsPerRun: { build: b.map((r) => r.n), parse: p.map((r) => r.n) },
    };
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const f of codecThroughput()) {
    console.log(`${f.name}: build+checksum ${Math.round(f.buildPps).toLocaleString('en')} packets/s (${f.buildMbitPerSec.toFixed(0)} Mbit/s), parse ${Math.round(f.parsePps).toLocaleString('en')} packets/s`);
  }
}
