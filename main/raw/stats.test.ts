// stats.ts against hand-computed values and against iputils ping itself:
// a real `ping -c 20 -i 0.01 127.0.0.1`, whose summary line is recomputed
// from the per-reply times it printed.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { peerSuite } from '../../test/support/peers.js';
import {
  formatG, formatMs3, formatPingSummary, formatReplyTime, histogram, iputilsRtt, llsqrt, lossPercent, percentile, pingStats,
  RttAccumulator,
} from './stats.js';

describe('iputils formulas by hand', () => {
  it('100, 200, 300, 400 µs: avg 250, mdev floor(sqrt(12500)) = 111', () => {
    // tsum = 1000, tsum2 = 300000; var = (300000 − 1000²/4) / 4 = 12500; √12500 = 111.8
    const s = pingStats({ transmitted: 4, received: 4 }, [100, 200, 300, 400]);
    expect(s.rtt).toMatchObject({ count: 4, minUs: 100, avgUs: 250, maxUs: 400, mdevUs: 111, p50Us: 200, p90Us: 400, p99Us: 400 });
    expect(formatPingSummary('127.0.0.1', s, 30.4)).toBe(
      '--- 127.0.0.1 ping statistics ---\n4 packets transmitted, 4 received, 0% packet loss, time 30ms\nrtt min/avg/max/mdev = 0.100/0.250/0.400/0.111 ms',
    );
  });

  it('integer truncation where ping truncates: avg of 1, 2 is 1; mdev of 1, 2 is 0', () => {
    // tsum 3, n 2 → avg (long)1.5 = 1; var (5 − 9/2)/2 = 0.25 → 0 → mdev 0
    expect(iputilsRtt(3, 5, 2)).toEqual({ avgUs: 1, mdevUs: 0 });
    // 10, 20, 40: tsum 70, tsum2 2100; var (2100 − 4900/3)/3 = 155.5… → 155 → mdev 12
    expect(iputilsRtt(70, 2100, 3)).toEqual({ avgUs: 23, mdevUs: 12 });
  });

  it('the other branch when tsum ≥ INT_MAX: var = tsum2/n − avg²', () => {
    // two RTTs of 1.5e9 and 1.5e9 + 2000 µs: tsum ≥ 2^31 − 1
    const a = 1_500_000_000;
    const b = a + 2000;
    const sum = a + b;
    const sq = a * a + b * b;
    const avg = Math.trunc(sum / 2);
    expect(iputilsRtt(sum, sq, 2)).toEqual({ avgUs: avg, mdevUs: llsqrt(Math.trunc(sq / 2 - avg * avg)) });
  });

  it("llsqrt is iputils' Newton loop: it returns the estimate that stopped decreasing, one above the floor at times", () => {
    // e.g. 3: 3 → 2 → 1 → 2 (not below 1): 2. ping prints that, so we do.
    expect([0, 1, 2, 3, 4, 15, 16, 17, 12500, 999_999_999_999].map(llsqrt)).toEqual([0, 1, 1, 2, 2, 4, 4, 4, 111, 1_000_000]);
    expect(llsqrt(-3)).toBe(-3);
  });

  it('loss is a float printed with %g, as ping does', () => {
    const cases: [number, number, string][] = [
      [3, 2, '33.3333'], [3, 1, '66.6667'], [7, 6, '14.2857'], [1, 0, '100'], [2, 2, '0'], [20, 19, '5'],
      [1_000_000, 999_999, '0.0001'], [10_000_000, 9_999_999, '1e-05'], [0, 0, '0'],
    ];
    for (const [tx, rx, text] of cases) expect(formatG(lossPercent(tx, rx)), `${tx}/${rx}`).toBe(text);
    expect(lossPercent(3, 2)).toBe(Math.fround(100 / 3));
    expect(formatG(1234567)).toBe('1.23457e+06');
    expect(formatG(123456)).toBe('123456');
  });

  it('formats ms with three decimals and reply times the way ping does', () => {
    expect([0, 45, 999, 1000, 12345].map(formatMs3)).toEqual(['0.000', '0.045', '0.999', '1.000', '12.345']);
    expect([45, 999, 1000, 1234, 9994, 9995, 12345, 99949, 99950, 123456].map(formatReplyTime)).toEqual([
      '0.045', '0.999', '1.00', '1.23', '9.99', '10.0', '12.3', '99.9', '100', '123',
    ]);
  });

  it('percentiles by nearest rank', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([50, 90, 99, 100, 0].map((p) => percentile(sorted, p))).toEqual([50, 90, 99, 100, 1]);
    expect(percentile([7], 50)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('histogram: log-spaced buckets, 10 per decade, empty ones in between kept', () => {
    const h = histogram([1, 10, 11, 12, 99, 100, 0.5]);
    expect(h[0]).toEqual({ loUs: 0, hiUs: 1, count: 1 });
    expect(h[1]).toMatchObject({ loUs: 1, count: 1 });
    expect(h.length).toBe(1 + 21); // [0,1) then buckets 0..20 (1 µs … 100 µs)
    const at = (us: number) => h.find((b) => b.loUs <= us && us < b.hiUs)!;
    expect(at(10)).toMatchObject({ loUs: 10, count: 3 }); // 10, 11, 12 in [10, 12.59)
    expect(at(99)).toMatchObject({ count: 1 }); // [79.4, 100)
    expect(at(100)).toMatchObject({ loUs: 100, count: 1 });
    expect(h.reduce((n, b) => n + b.count, 0)).toBe(7);
    for (let i = 2; i < h.length; i++) expect(h[i]!.loUs).toBeCloseTo(h[i - 1]!.hiUs, 9);
    expect(histogram([])).toEqual([]);
    expect(histogram([5, 50], 1).map((b) => [b.loUs, b.hiUs, b.count])).toEqual([[1, 10, 1], [10, 100, 1]]);
  });
});

describe('RttAccumulator', () => {
  it('keeps exact sums beyond its sample cap, and says when percentiles come from a reservoir', () => {
    const acc = new RttAccumulator(100);
    for (let i = 1; i <= 1000; i++) acc.add(i);
    const s = acc.summary()!;
    expect(s).toMatchObject({ count: 1000, minUs: 1, maxUs: 1000, avgUs: 500, percentilesExact: false });
    // uniform 1..1000: variance (n² − 1)/12 = 83333.25 → mdev 288
    expect(s.mdevUs).toBe(288);
    expect(s.p50Us).toBeGreaterThan(300);
    expect(s.p50Us).toBeLessThan(700);
    const exact = new RttAccumulator(1000);
    for (let i = 1; i <= 1000; i++) exact.add(i);
    expect(exact.summary()).toMatchObject({ p50Us: 500, p90Us: 900, p99Us: 990, percentilesExact: true });
  });

  it('rounds to whole µs and clamps negatives (clock steps) to 0', () => {
    const acc = new RttAccumulator();
    acc.add(10.4);
    acc.add(10.6);
    acc.add(-5);
    expect(acc.summary()).toMatchObject({ minUs: 0, maxUs: 11 });
  });
});

const ping = peerSuite('ping');

describe.skipIf(ping.skip)(`${ping.title}: our numbers are ping's numbers`, () => {
  /** Runs ping and returns its per-reply times (µs, when printed exactly) and its summary lines. */
  async function runPing(): Promise<{ times: number[]; exact: boolean; out: string }> {
    const { stdout } = await promisify(execFile)('ping', ['-n', '-c', '20', '-i', '0.01', '-W', '2', '127.0.0.1'], { timeout: 20_000, env: { ...process.env, LC_ALL: 'C' } });
    const times: number[] = [];
    let exact = true;
    for (const m of stdout.matchAll(/icmp_seq=\d+ ttl=\d+ time=(\d+)\.(\d+) ms/g)) {
      // Below 1 ms ping prints whole µs (0.045); above it rounds (1.23), and the sums would no longer be exact.
      if (m[2]!.length !== 3) exact = false;
      times.push(Number(m[1]) * 1000 + Number(m[2]!.padEnd(3, '0')));
    }
    return { times, exact, out: stdout };
  }

  it('recomputes min/avg/max/mdev and the loss from ping -c 20 -i 0.01 127.0.0.1 exactly', async () => {
    // A noisy machine can push a reply past 1 ms, where ping rounds what it prints: try a few runs for one whose replies are all exact.
    let run = await runPing();
    for (let attempt = 1; attempt < 5 && !run.exact; attempt++) run = await runPing();
    const tx = Number(/(\d+) packets transmitted/.exec(run.out)![1]);
    const rx = Number(/(\d+) received/.exec(run.out)![1]);
    const loss = /received, (?:\+\d+ \w+, )*([\d.e+-]+)% packet loss/.exec(run.out)![1];
    const rtt = /rtt min\/avg\/max\/mdev = ([\d.]+)\/([\d.]+)\/([\d.]+)\/([\d.]+) ms/.exec(run.out)!;
    expect(run.times).toHaveLength(rx);
    const s = pingStats({ transmitted: tx, received: rx }, run.times);
    expect(formatG(s.lossPercent)).toBe(loss);
    const ours = [s.rtt!.minUs, s.rtt!.avgUs, s.rtt!.maxUs, s.rtt!.mdevUs].map(formatMs3);
    if (run.exact) {
      expect(ours).toEqual([rtt[1], rtt[2], rtt[3], rtt[4]]);
    } else {
      // Five runs in a row had a reply over 1 ms: compare within ping's printed rounding (10 µs).
      ours.forEach((v, i) => expect(Math.abs(Number(v) - Number(rtt[i + 1]))).toBeLessThanOrEqual(0.01));
    }
    // and ping's own per-reply formatting is ours
    const printed = [...run.out.matchAll(/time=([\d.]+) ms/g)].map((m) => m[1]);
    if (run.exact) expect(run.times.map(formatReplyTime)).toEqual(printed);
  });
});
