// Ping statistics computed exactly as iputils ping (20221126, the version on
// the build machines) computes and prints them — ping/ping_common.c,
// finish() — plus percentiles and a log-spaced histogram.
//
//   loss  = (float)((tx − rx) × 100.0 / tx), printed with %g
//   avg   = (long)(tsum / n)                        tsum, tsum2: doubles of µs
//   var   = (long long)((tsum2 − tsum² / n) / n)     when tsum < INT_MAX
//         = (long long)(tsum2 / n − avg²)           otherwise
//   mdev  = llsqrt(var)                             iputils' integer Newton loop (see llsqrt)
//   n     = nreceived + nrepeats (iputils counts duplicates' times too; Ping
//           gives this module only the RTTs it counts, see ping.ts)
//
// RTTs are integer microseconds, as ping's triptime is. The accumulator keeps
// min/max/sums exactly for any number of samples; for percentiles and the
// histogram it keeps every sample up to `maxSamples`, then a uniform random
// reservoir of that size (and says so: percentilesExact = false).

const INT_MAX = 2 ** 31 - 1;

export interface RttSummary {
  /** Number of RTTs summarised. */
  count: number;
  minUs: number;
  avgUs: number;
  maxUs: number;
  mdevUs: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  /** False once more samples arrived than the accumulator keeps (percentiles then come from a reservoir). */
  percentilesExact: boolean;
}

export interface HistogramBucket {
  /** Inclusive lower edge, µs. */
  loUs: number;
  /** Exclusive upper edge, µs. */
  hiUs: number;
  count: number;
}

export interface PingStats {
  transmitted: number;
  received: number;
  duplicates: number;
  /** ICMP errors about our probes plus local send errors (ping's "+N errors"). */
  errors: number;
  /** Replies that came after their probe's timeout (not received, not in the RTTs). */
  late: number;
  /** The value ping prints: a float, e.g. 33.3333 for 1 lost of 3. */
  lossPercent: number;
  rtt: RttSummary | null;
  histogram: HistogramBucket[];
}

/**
 * iputils' llsqrt, step for step: Newton's method on integers, stopping when
 * the estimate no longer decreases and returning that last estimate — which
 * is at times one above the floor of the root (llsqrt(3) = 2, llsqrt(15) = 4).
 * ping prints this value, so it is kept. a ≤ 0 gives a.
 */
export function llsqrt(a: number): number {
  if (!(a > 0)) return a;
  const A = BigInt(Math.trunc(a));
  let prev: bigint | null = null;
  let x = A;
  while (prev === null || x < prev) {
    prev = x;
    x = (x + A / x) / 2n;
  }
  return Number(x);
}

/** min/avg/max/mdev in µs from integer-µs RTTs, exactly as iputils computes them. */
export function iputilsRtt(sum: number, sumSquares: number, count: number): { avgUs: number; mdevUs: number } {
  const avg = Math.trunc(sum / count);
  const variance = sum < INT_MAX ? Math.trunc((sumSquares - (sum * sum) / count) / count) : Math.trunc(sumSquares / count - avg * avg);
  return { avgUs: avg, mdevUs: llsqrt(variance) };
}

/** ping's packet loss: (float)((tx − rx) × 100.0 / tx); 0 when nothing was sent. */
export function lossPercent(transmitted: number, received: number): number {
  if (transmitted <= 0) return 0;
  return Math.fround(((transmitted - received) * 100.0) / transmitted);
}

/** C's printf("%g"): 6 significant digits, trailing zeros dropped, exponent form below 1e-4 or from 1e6. */
export function formatG(v: number): string {
  if (v === 0) return '0';
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  const [mant, expText] = v.toExponential(5).split('e') as [string, string];
  const exp = Number(expText);
  const strip = (s: string): string => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (exp < -4 || exp >= 6) return `${strip(mant)}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return strip(v.toFixed(5 - exp));
}

/** "%ld.%03ld" of µs as ms, as ping prints min/avg/max/mdev. */
export function formatMs3(us: number): string {
  const n = Math.trunc(us);
  const sign = n < 0 ? '-' : '';
  const a = Math.abs(n);
  return `${sign}${Math.trunc(a / 1000)}.${String(a % 1000).padStart(3, '0')}`;
}

/** A reply's time as ping prints it: "0.045", "1.23", "12.3", "123" (ms; the caller adds " ms"). */
export function formatReplyTime(us: number): string {
  const t = Math.trunc(us);
  if (t >= 100000 - 50) return `${Math.trunc((t + 500) / 1000)}`;
  if (t >= 10000 - 5) return `${Math.trunc((t + 50) / 1000)}.${Math.trunc(((t + 50) % 1000) / 100)}`;
  if (t >= 1000) return `${Math.trunc((t + 5) / 1000)}.${String(Math.trunc(((t + 5) % 1000) / 10)).padStart(2, '0')}`;
  return `${Math.trunc(t / 1000)}.${String(t % 1000).padStart(3, '0')}`;
}

/** Nearest-rank percentile (the smallest sample with at least p % of the samples at or below it) of sorted data. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const rank = Math.min(n, Math.max(1, Math.ceil((p / 100) * n)));
  return sorted[rank - 1]!;
}

/**
 * Log-spaced buckets: edges at 10^(k / bucketsPerDecade) µs (1, 1.26, 1.58,
 * 2, 2.5, 3.2, 4, 5, 6.3, 7.9, 10 … for 10 per decade), from the bucket of the
 * smallest sample to that of the largest, empty ones included. Samples below
 * 1 µs go to a bucket [0, 1).
 */
export function histogram(samples: ArrayLike<number>, bucketsPerDecade = 10): HistogramBucket[] {
  if (!Number.isInteger(bucketsPerDecade) || bucketsPerDecade < 1 || bucketsPerDecade > 1000) {
    throw new RangeError(`bucketsPerDecade must be an integer 1..1000, got ${bucketsPerDecade}`);
  }
  if (samples.length === 0) return [];
  const edge = (k: number): number => 10 ** (k / bucketsPerDecade);
  const bucketOf = (v: number): number => {
    if (v < 1) return -1;
    let k = Math.floor(Math.log10(v) * bucketsPerDecade);
    while (edge(k + 1) <= v) k++;
    while (k > 0 && edge(k) > v) k--;
    return k;
  };
  const counts = new Map<number, number>();
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < samples.length; i++) {
    const k = bucketOf(samples[i]!);
    counts.set(k, (counts.get(k) ?? 0) + 1);
    lo = Math.min(lo, k);
    hi = Math.max(hi, k);
  }
  const out: HistogramBucket[] = [];
  for (let k = lo; k <= hi; k++) {
    out.push(k < 0 ? { loUs: 0, hiUs: 1, count: counts.get(k) ?? 0 } : { loUs: edge(k), hiUs: edge(k + 1), count: counts.get(k) ?? 0 });
  }
  return out;
}

/** Streaming RTT accumulator: exact iputils sums for any count, bounded memory for percentiles. */
export class RttAccumulator {
  private n = 0;
  private sum = 0;
  private sumSquares = 0;
  private min = Infinity;
  private max = -Infinity;
  private kept: Uint32Array;
  private keptCount = 0;
  private rng: number;

  constructor(readonly maxSamples = 1_000_000, seed = 0x5eed) {
    if (!Number.isInteger(maxSamples) || maxSamples < 1) throw new RangeError(`maxSamples must be a positive integer, got ${maxSamples}`);
    this.kept = new Uint32Array(Math.min(maxSamples, 1024));
    this.rng = seed >>> 0 || 1;
  }

  get count(): number {
    return this.n;
  }

  /** Adds one RTT in µs (rounded to an integer, negatives clamped to 0). */
  add(rttUs: number): void {
    const t = Math.max(0, Math.round(rttUs));
    this.n++;
    this.sum += t;
    this.sumSquares += t * t;
    if (t < this.min) this.min = t;
    if (t > this.max) this.max = t;
    if (this.keptCount < this.maxSamples) {
      if (this.keptCount === this.kept.length) {
        const grown = new Uint32Array(Math.min(this.maxSamples, this.kept.length * 2));
        grown.set(this.kept);
        this.kept = grown;
      }
      this.kept[this.keptCount++] = t;
    } else {
      // Algorithm R: the n-th sample replaces a random kept one with probability maxSamples / n.
      const j = Math.floor(this.random() * this.n);
      if (j < this.maxSamples) this.kept[j] = t;
    }
  }

  summary(): RttSummary | null {
    if (this.n === 0) return null;
    const sorted = this.kept.slice(0, this.keptCount).sort();
    const { avgUs, mdevUs } = iputilsRtt(this.sum, this.sumSquares, this.n);
    return {
      count: this.n,
      minUs: this.min,
      avgUs,
      maxUs: this.max,
      mdevUs,
      p50Us: percentile(sorted, 50),
      p90Us: percentile(sorted, 90),
      p99Us: percentile(sorted, 99),
      percentilesExact: this.n <= this.maxSamples,
    };
  }

  histogram(bucketsPerDecade = 10): HistogramBucket[] {
    return histogram(this.kept.subarray(0, this.keptCount), bucketsPerDecade);
  }

  private random(): number {
    // mulberry32
    let t = (this.rng = (this.rng + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

export interface CountsInput {
  transmitted: number;
  received: number;
  duplicates?: number;
  errors?: number;
  late?: number;
}

/** Statistics from counts and the RTTs to summarise (µs). */
export function pingStats(counts: CountsInput, rtts: RttAccumulator | ArrayLike<number>, bucketsPerDecade = 10): PingStats {
  let acc: RttAccumulator;
  if (rtts instanceof RttAccumulator) acc = rtts;
  else {
    acc = new RttAccumulator(Math.max(1, rtts.length));
    for (let i = 0; i < rtts.length; i++) acc.add(rtts[i]!);
  }
  return {
    transmitted: counts.transmitted,
    received: counts.received,
    duplicates: counts.duplicates ?? 0,
    errors: counts.errors ?? 0,
    late: counts.late ?? 0,
    lossPercent: lossPercent(counts.transmitted, counts.received),
    rtt: acc.summary(),
    histogram: acc.histogram(bucketsPerDecade),
  };
}

/**
 * ping's closing lines, e.g.
 *   --- 127.0.0.1 ping statistics ---
 *   20 packets transmitted, 20 received, 0% packet loss, time 191ms
 *   rtt min/avg/max/mdev = 0.021/0.035/0.060/0.010 ms
 * (ping prints "+N corrupted" too; this tool never counts corrupted replies, and
 * adds "+N late", which ping has no notion of.)
 */
export function formatPingSummary(host: string, s: PingStats, timeMs: number): string {
  let line = `${s.transmitted} packets transmitted, ${s.received} received`;
  if (s.duplicates) line += `, +${s.duplicates} duplicates`;
  if (s.errors) line += `, +${s.errors} errors`;
  if (s.late) line += `, +${s.late} late`;
  if (s.transmitted) line += `, ${formatG(s.lossPercent)}% packet loss, time ${Math.round(timeMs)}ms`;
  const lines = [`--- ${host} ping statistics ---`, line];
  if (s.rtt && s.received) {
    const r = s.rtt;
    lines.push(`rtt min/avg/max/mdev = ${formatMs3(r.minUs)}/${formatMs3(r.avgUs)}/${formatMs3(r.maxUs)}/${formatMs3(r.mdevUs)} ms`);
  }
  return lines.join('\n');
}
