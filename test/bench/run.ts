// `npm run bench`: Sockbench next to real tools in the same run. Prints a
// table and writes test-results/bench.json. Never pass/fail on timing.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { iperf3 } from './anchors.js';
import { bridgeRoundTrip } from './bridge-rtt.js';
import { median } from './stats.js';
import { nodeNetThroughput, sessionThroughput } from './tcp-throughput.js';

const RUNS = 3;
const TCP_BYTES = 4 * 1024 ** 3;
const TCP_MS = 5000;

// A stuck benchmark must not hang CI or a terminal.
setTimeout(() => {
  console.error('bench: gave up after 10 minutes');
  process.exit(1);
}, 600_000).unref();

interface Row {
  figure: string;
  value: string;
  anchor: string;
  ratio: string;
  target: string;
}
const rows: Row[] = [];
const json: Record<string, unknown> = { date: new Date().toISOString(), node: process.version, cpus: cpus().length };
const fmt = (n: number, digits = 2) => n.toFixed(digits);

async function medianOf(label: string, run: () => Promise<number>): Promise<{ median: number; runs: number[] }> {
  const runs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const v = await run();
    runs.push(v);
    console.error(`  ${label} run ${i + 1}/${RUNS}: ${fmt(v)}`);
  }
  return { median: median(runs), runs };
}

console.error('bench: bridge round trip (WebSocket transport)…');
const rtt = await bridgeRoundTrip({ calls: 5000, maxMs: 20_000 });
json.bridgeRoundTrip = rtt;
for (const r of rtt) {
  rows.push({
    figure: `bridge round trip, ${r.method} (n=${r.n})`,
    value: `median ${fmt(r.medianUs, 0)} µs, p90 ${fmt(r.p90Us, 0)}, p99 ${fmt(r.p99Us, 0)}`,
    anchor: '—',
    ratio: '—',
    target: `median < 1000 µs: ${r.medianUs < 1000 ? 'met' : 'NOT met'}`,
  });
}

console.error('bench: TCP throughput (Gbit/s, median of 3)…');
const ip = await medianOf('iperf3', async () => {
  const v = await iperf3(TCP_MS / 1000);
  if (v === null) throw new Error('iperf3 missing');
  return v;
}).catch((e: Error) => {
  console.error(`  iperf3 anchor skipped: ${e.message}`);
  return null;
});
const nodeNet = await medianOf('node net', async () => (await nodeNetThroughput({ maxBytes: TCP_BYTES, maxMs: TCP_MS })).gbitPerSec);
const engineOnly = await medianOf('session (engine only)', async () =>
  (await sessionThroughput({ maxBytes: TCP_BYTES, maxMs: TCP_MS, subscriber: false })).gbitPerSec,
);
const withBridge = await medianOf('session (engine + bridge subscriber)', async () =>
  (await sessionThroughput({ maxBytes: TCP_BYTES, maxMs: TCP_MS, subscriber: true })).gbitPerSec,
);
json.tcpGbitPerSec = { iperf3: ip, nodeNet, engineOnly, withBridge };

const vsIperf = (v: number) => (ip ? `${fmt(v / ip.median)}× iperf3` : 'iperf3 skipped');
rows.push({ figure: 'TCP, iperf3 -c (anchor)', value: ip ? `${fmt(ip.median)} Gbit/s` : 'skipped: iperf3 not installed', anchor: '—', ratio: '—', target: '—' });
rows.push({ figure: 'TCP, plain node net', value: `${fmt(nodeNet.median)} Gbit/s`, anchor: 'iperf3', ratio: vsIperf(nodeNet.median), target: '—' });
for (const [label, r] of [
  ['TCP through one session (engine only)', engineOnly],
  ['TCP through one session (engine + bridge subscriber)', withBridge],
] as const) {
  rows.push({
    figure: label,
    value: `${fmt(r.median)} Gbit/s`,
    anchor: 'iperf3',
    ratio: `${vsIperf(r.median)}, ${fmt(r.median / nodeNet.median)}× node net`,
    target: ip ? `≥ 0.6× iperf3: ${r.median / ip.median >= 0.6 ? 'met' : 'NOT met'}` : '≥ 0.6× iperf3',
  });
}

mkdirSync('test-results', { recursive: true });
writeFileSync('test-results/bench.json', JSON.stringify({ ...json, rows }, null, 2));

const cols: (keyof Row)[] = ['figure', 'value', 'anchor', 'ratio', 'target'];
const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => r[c].length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
console.log(line(cols));
console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
for (const r of rows) console.log(line(cols.map((c) => r[c])));
console.log('written: test-results/bench.json');
process.exit(0);
