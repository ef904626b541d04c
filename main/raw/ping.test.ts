// Ping's logic over a fake transport (no sockets, fake timers): matching,
// own requests, duplicates, late replies, ICMP errors, send errors, flood
// pacing, validation. The real helper on loopback: ping-real.test.ts.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { echoLayers, keyOf, stackBytes } from '../../shared/packet/index.js';
import { echoReplyTo, FakeTransport, icmpErrorFor, loopback } from './fake-transport.js';
import type { FloodEnd, FloodProgress, ProbeFlood } from './probe-transport.js';
import { Ping, PingOptionsError, sequenceOf, validatePingOptions, type PingEvents, type PingOptions } from './ping.js';

const now = (): number => Date.now();

function record(ping: Ping) {
  const log: { [K in keyof PingEvents]: PingEvents[K][] } = { sent: [], reply: [], timeout: [], 'icmp-error': [], 'send-error': [], done: [] };
  for (const k of Object.keys(log) as (keyof PingEvents)[]) ping.on(k, (e) => (log[k] as unknown[]).push(e));
  return log;
}

/** Runs a ping to the end under fake timers (bounded: at most `maxMs` of fake time). */
async function runPing(net: FakeTransport, opts: PingOptions, maxMs = 120_000) {
  const ping = new Ping(net, opts, { now });
  const log = record(ping);
  let done = false;
  const result = ping.start().finally(() => (done = true));
  for (let t = 0; t < maxMs && !done; t += 1) await vi.advanceTimersByTimeAsync(1);
  if (!done) throw new Error(`ping did not finish within ${maxMs} ms of fake time`);
  return { ping, log, summary: await result };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Ping over a fake loopback', () => {
  it('matches replies by identifier and sequence, ignores its own requests, RTT from the helper clock', async () => {
    const net = new FakeTransport(loopback({ delayMs: 2 }));
    const { log, summary } = await runPing(net, { target: '127.0.0.1', count: 3, intervalMs: 10, identifier: 0x1234 });
    expect(net.sent.map((s) => keyOf(s.bytes, 'icmp'))).toMatchObject([1, 2, 3].map((seq) => ({ type: 8, id: 0x1234, icmpSeq: seq })));
    expect(net.sent.map((s) => s.tUs - net.sent[0]!.tUs)).toEqual([0, 10_000, 20_000]);
    expect(log.reply.map((r) => [r.seq, r.rttUs, r.dup, r.late, r.payloadOk, r.checksumOk, r.ttl, r.wrongSource])).toEqual([
      [1, 2000, false, false, true, true, 64, false],
      [2, 2000, false, false, true, true, 64, false],
      [3, 2000, false, false, true, true, 64, false],
    ]);
    expect(log.reply[0]!.bytes).toBe(64);
    expect(summary.ownRequests).toBe(3);
    expect(summary.stats).toMatchObject({ transmitted: 3, received: 3, duplicates: 0, late: 0, errors: 0, lossPercent: 0 });
    expect(summary.stats.rtt).toMatchObject({ count: 3, minUs: 2000, avgUs: 2000, maxUs: 2000, mdevUs: 0, p50Us: 2000 });
    expect(summary.text).toContain('3 packets transmitted, 3 received, 0% packet loss');
    expect(summary.text).toContain('rtt min/avg/max/mdev = 2.000/2.000/2.000/0.000 ms');
    expect(log.done).toHaveLength(1);
    expect(net.closed).toHaveLength(1);
    expect(net.opened.size).toBe(0);
  });

  it('takes a random 16-bit identifier per run', async () => {
    const ids = new Set<number>();
    for (let i = 0; i < 8; i++) {
      const id = new Ping(new FakeTransport(), { target: '127.0.0.1', count: 1 }).identifier;
      expect(id).toBeGreaterThanOrEqual(0);
      expect(id).toBeLessThanOrEqual(0xffff);
      ids.add(id);
    }
    expect(ids.size).toBeGreaterThan(1);
  });

  it('numbers probes 1 … 65535 then wraps to 0', () => {
    expect([1, 2, 65535, 65536, 65537, 131072].map(sequenceOf)).toEqual([1, 2, 65535, 0, 1, 0]);
  });

  it('flags a second reply as DUP!, counts it, and keeps it out of the RTT statistics', async () => {
    const net = new FakeTransport(loopback({ delayMs: (seq) => seq, copies: (seq) => (seq === 2 ? 3 : 1) }));
    const { log, summary } = await runPing(net, { target: '127.0.0.1', count: 3, intervalMs: 10 });
    expect(log.reply.map((r) => [r.seq, r.dup])).toEqual([[1, false], [2, false], [2, true], [2, true], [3, false]]);
    expect(summary.stats).toMatchObject({ transmitted: 3, received: 3, duplicates: 2 });
    expect(summary.stats.rtt!.count).toBe(3);
    expect(summary.text).toContain('3 received, +2 duplicates, 0% packet loss');
  });

  it('reports a timeout, then flags the late reply: not received, not in the RTTs', async () => {
    const net = new FakeTransport(loopback({ delayMs: (seq) => (seq === 2 ? 120 : 1) }));
    const { log, summary } = await runPing(net, { target: '127.0.0.1', count: 5, intervalMs: 50, timeoutMs: 100 });
    expect(log.timeout.map((t) => t.seq)).toEqual([2]);
    const late = log.reply.find((r) => r.seq === 2)!;
    expect(late).toMatchObject({ late: true, dup: false, rttUs: 120_000 });
    expect(log.reply.indexOf(late)).toBe(3); // after the replies to 1, 3 and 4
    expect(summary.stats).toMatchObject({ transmitted: 5, received: 4, late: 1, lossPercent: 20 });
    expect(summary.stats.rtt).toMatchObject({ count: 4, maxUs: 1000 });
    expect(summary.text).toContain('5 packets transmitted, 4 received, +1 late, 20% packet loss');
  });

  it('each unanswered probe times out once, in order, its timeout after its own send; answered ones never do', async () => {
    const lost = new Set([3, 4, 8, 20]);
    const net = new FakeTransport(loopback({ drop: (seq) => lost.has(seq), delayMs: (seq) => (seq === 10 ? 25 : 1), echoOwn: false }));
    const ping = new Ping(net, { target: '127.0.0.1', count: 20, intervalMs: 12, timeoutMs: 30 }, { now });
    const at: { seq: number; ms: number }[] = [];
    ping.on('timeout', (t) => at.push({ seq: t.seq, ms: Date.now() }));
    const result = ping.start();
    await vi.advanceTimersByTimeAsync(1000);
    const summary = await result;
    expect(at.map((t) => t.seq)).toEqual([3, 4, 8, 20]);
    for (const t of at) {
      const sentMs = net.sent[t.seq - 1]!.tUs / 1000;
      expect(t.ms - sentMs).toBeGreaterThanOrEqual(30);
      expect(t.ms - sentMs).toBeLessThan(32);
    }
    expect(summary.stats).toMatchObject({ transmitted: 20, received: 16, late: 0 });
  });

  it('a reply whose helper timestamps exceed the timeout is late even if the timer has not run yet', async () => {
    // The helper stamps the reply 500 ms after the send, but it reaches us at once.
    const net = new FakeTransport((s, n) => {
      const reply = echoReplyTo(s);
      if (reply) n.deliverIcmp(4, reply, '127.0.0.1', { tUs: s.tUs + 500_000 });
    });
    const { log, summary } = await runPing(net, { target: '127.0.0.1', count: 1, timeoutMs: 100 });
    expect(log.reply[0]).toMatchObject({ late: true, rttUs: 500_000 });
    expect(log.timeout).toHaveLength(0);
    expect(summary.stats).toMatchObject({ received: 0, late: 1, lossPercent: 100 });
  });

  it('ignores replies with another identifier or an unknown sequence, and other ICMP', async () => {
    const net = new FakeTransport((s, n) => {
      loopback()(s, n);
      const k = keyOf(s.bytes, 'icmp');
      if (k.type !== 8) return;
      n.deliverIcmp(4, stackBytes(echoLayers(4, { identifier: (k.id! + 1) & 0xffff, sequence: k.icmpSeq!, reply: true })), '127.0.0.1');
      n.deliverIcmp(4, stackBytes(echoLayers(4, { identifier: k.id!, sequence: 999, reply: true })), '127.0.0.1');
      n.deliverIcmp(4, Uint8Array.of(13, 0, 0xf2, 0xff, 0, 0, 0, 0), '127.0.0.1'); // a timestamp request
      n.deliver({ handle: s.handle, bytes: Uint8Array.of(0x45, 1, 2), from: '127.0.0.1', ipHeader: true }); // garbage
    });
    const { log, summary } = await runPing(net, { target: '127.0.0.1', count: 2, intervalMs: 5 });
    expect(log.reply.map((r) => r.seq)).toEqual([1, 2]);
    expect(summary.stats).toMatchObject({ received: 2, duplicates: 0 });
    expect(summary.ignored).toBe(8);
  });

  it('handles a reply that arrives before the send result (loopback is that fast)', async () => {
    const net = new FakeTransport(loopback({ delayMs: 0, echoOwn: false }));
    const { log, summary } = await runPing(net, { target: '127.0.0.1', count: 2, intervalMs: 5 });
    expect(log.reply.map((r) => [r.seq, r.rttUs])).toEqual([[1, 0], [2, 0]]);
    expect(summary.stats.received).toBe(2);
  });

  it('an ICMP error quoting our probe is reported with its name and counted in errors; the probe is lost', async () => {
    const net = new FakeTransport((s, n) => {
      const seq = (s.bytes[6]! << 8) | s.bytes[7]!;
      if (seq === 2) icmpErrorFor(n, s, 'destination-unreachable', 1, '10.0.0.1');
      else loopback()(s, n);
    });
    const { log, summary } = await runPing(net, { target: '10.9.9.9', count: 3, intervalMs: 5, timeoutMs: 50 });
    expect(log['icmp-error']).toEqual([expect.objectContaining({ seq: 2, from: '10.0.0.1', kind: 'dest-unreach', codeName: 'host-unreachable', type: 3, code: 1 })]);
    expect(log.timeout).toHaveLength(0);
    expect(summary.stats).toMatchObject({ transmitted: 3, received: 2, errors: 1 });
    expect(summary.text).toContain('+1 errors');
    expect(log.reply.map((r) => [r.seq, r.from, r.wrongSource])).toEqual([[1, '10.9.9.9', false], [3, '10.9.9.9', false]]);
  });

  it('a send that fails is reported and not counted as transmitted', async () => {
    const net = new FakeTransport(loopback());
    net.sendError = (s) => ((s.bytes[7]! === 2) ? Object.assign(new Error('sendto: No buffer space available'), { code: 'ENOBUFS' }) : undefined);
    const { log, summary } = await runPing(net, { target: '127.0.0.1', count: 3, intervalMs: 5 });
    expect(log['send-error']).toEqual([{ index: 2, seq: 2, message: 'sendto: No buffer space available', code: 'ENOBUFS' }]);
    expect(summary.stats).toMatchObject({ transmitted: 2, received: 2, errors: 1, lossPercent: 0 });
  });

  it('IPv6: ICMPv6 echo without an IP header; TTL unknown', async () => {
    const net = new FakeTransport(loopback({ delayMs: 1 }));
    const { log, summary } = await runPing(net, { target: '::1', count: 2, intervalMs: 5, size: 8, pattern: Uint8Array.of(0xaa, 0x55) });
    expect(net.sent[0]!.bytes[0]).toBe(128);
    expect([...net.sent[0]!.bytes.subarray(8)]).toEqual([0xaa, 0x55, 0xaa, 0x55, 0xaa, 0x55, 0xaa, 0x55]);
    expect(log.reply.map((r) => [r.seq, r.ttl, r.payloadOk, r.checksumOk, r.rttUs])).toEqual([[1, null, true, null, 1000], [2, null, true, null, 1000]]);
    expect(summary.family).toBe(6);
    expect(summary.ownRequests).toBe(2);
  });

  it('paces probes from the first send, however long opening the socket took', async () => {
    const net = new FakeTransport(loopback());
    const open = net.open.bind(net);
    net.open = async (o) => {
      await new Promise((r) => setTimeout(r, 250));
      return open(o);
    };
    await runPing(net, { target: '127.0.0.1', count: 3, intervalMs: 100 });
    expect(net.sent.map((s) => (s.tUs - net.sent[0]!.tUs) / 1000)).toEqual([0, 100, 200]);
  });

  it('passes TTL, TOS and DF to every send', async () => {
    const net = new FakeTransport(loopback());
    await runPing(net, { target: '127.0.0.1', count: 2, intervalMs: 1, ttl: 7, tos: 0x10, df: true });
    expect(net.sent.map((s) => [s.ttl, s.tos, s.df, s.address])).toEqual([[7, 16, true, '127.0.0.1'], [7, 16, true, '127.0.0.1']]);
  });

  it('uses the kernel filter when the transport has one', async () => {
    const net = new FakeTransport(loopback());
    net.setFilter = async (h, types) => void net.filters.set(h, types);
    await runPing(net, { target: '127.0.0.1', count: 1 });
    expect([...net.filters.values()]).toEqual([[0, 3, 4, 5, 11, 12]]);
  });

  it('flood over a transport without a flood op: probes go on schedule without waiting for replies (gap 0 or below 1 ms allowed)', async () => {
    const net = new FakeTransport(loopback({ delayMs: (seq) => (seq <= 3 ? 2 : 1000), echoOwn: false }));
    const { summary } = await runPing(net, { target: '127.0.0.1', count: 6, flood: true, intervalMs: 0.5, timeoutMs: 50 });
    expect(net.sent).toHaveLength(6);
    expect(net.sent.at(-1)!.tUs - net.sent[0]!.tUs).toBeLessThan(10_000); // not one 10 ms wait per unanswered probe
    expect(summary.stats).toMatchObject({ transmitted: 6, received: 3 });
    expect(validatePingOptions({ target: '::1', count: 1, flood: true }).ok && validatePingOptions({ target: '::1', count: 1, flood: true })).toMatchObject({ options: { intervalMs: 0 } });
  });

  it('count null runs until stop(); waiting probes then count as lost', async () => {
    const net = new FakeTransport(loopback({ delayMs: (seq) => (seq < 5 ? 1 : 10_000) }));
    const ping = new Ping(net, { target: '127.0.0.1', count: null, intervalMs: 10, timeoutMs: 5000 }, { now });
    const result = ping.start();
    await vi.advanceTimersByTimeAsync(45);
    ping.stop();
    await vi.advanceTimersByTimeAsync(1);
    const s = await result;
    expect(s.stopped).toBe(true);
    expect(s.stats).toMatchObject({ transmitted: 5, received: 4 });
    expect(net.closed).toHaveLength(1);
  });

  it('rejects when the socket cannot be opened', async () => {
    const net = new FakeTransport();
    net.open = async () => {
      throw Object.assign(new Error('socket: Operation not permitted'), { code: 'EPERM' });
    };
    await expect(new Ping(net, { target: '127.0.0.1', count: 1 }).start()).rejects.toThrow('Operation not permitted');
  });

  it('garbage on the socket (2,000 random packets, with and without an IP header) is counted and ignored, never thrown', async () => {
    let seed = 42;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16) / 65536;
    for (const [target, ipHeader] of [['127.0.0.1', true], ['::1', false]] as const) {
      const net = new FakeTransport((s, n) => {
        for (let i = 0; i < 1000; i++) {
          const b = Uint8Array.from({ length: Math.floor(rnd() * 80) }, () => Math.floor(rnd() * 256));
          if (ipHeader && b.length > 20 && rnd() < 0.7) b[0] = 0x45;
          if (b.length > 9 && rnd() < 0.5) b[ipHeader ? 9 : 0] = ipHeader ? 1 : 129;
          n.deliver({ handle: s.handle, bytes: b, from: target, ipHeader });
        }
        loopback({ echoOwn: false })(s, n);
      });
      const { summary } = await runPing(net, { target, count: 1 });
      expect(summary.stats.received).toBe(1);
      expect(summary.ignored).toBe(1000);
    }
  });

  it('own IPv6 requests are recognised even though no IP header comes with them', async () => {
    const net = new FakeTransport((s, n) => {
      n.deliverIcmp(6, s.bytes, '::1');
      n.deliverIcmp(6, stackBytes(echoLayers(6, { identifier: 0x7777, sequence: 1, reply: true })), '::1');
    });
    const { summary } = await runPing(net, { target: '::1', count: 1, identifier: 0x7777, size: 0 });
    expect(summary.ownRequests).toBe(1);
    expect(summary.stats.received).toBe(1);
  });
});

/** A transport whose helper runs floods (and paced runs) itself: the test scripts what it reports, and in which order. */
class HelperFloodTransport extends FakeTransport {
  readonly floods: ProbeFlood[] = [];
  constructor(private readonly script: (f: ProbeFlood, progress: FloodProgress, net: HelperFloodTransport) => Promise<FloodEnd>) {
    super();
  }
  flood(f: ProbeFlood, progress: FloodProgress): Promise<FloodEnd> {
    this.floods.push(f);
    return this.script(f, progress, this);
  }
  /** The echo reply to the n-th (1-based) request of flood `f`. */
  replyTo(f: ProbeFlood, n: number): Uint8Array {
    const request = f.bytes.slice();
    request[6] = (n >> 8) & 0xff;
    request[7] = n & 0xff;
    return echoReplyTo({ ...f, bytes: request, tUs: 0, family: 4, protocol: 'icmp' })!;
  }
}

describe('Ping handing short intervals to the helper', () => {
  const end: FloodEnd = { sent: 3, errors: 0, stopped: false, firstError: null };

  it('intervals of 10 ms or less go to the helper as one paced request; longer ones probe by probe', async () => {
    const net = new HelperFloodTransport(async (f, progress) => {
      progress.sent(0, Float64Array.of(1000, 3000, 5000));
      progress.replies(Float64Array.of(1, 1004, 64, 2, 3004, 64, 3, 5004, 64));
      return end;
    });
    const { summary, log } = await runPing(net, { target: '127.0.0.1', count: 3, intervalMs: 2 });
    expect(net.floods).toMatchObject([{ count: 3, intervalUs: 2000, address: '127.0.0.1' }]);
    expect(net.sent).toHaveLength(0);
    expect(log.reply.map((r) => [r.seq, r.rttUs])).toEqual([[1, 4], [2, 4], [3, 4]]);
    expect(summary.stats).toMatchObject({ transmitted: 3, received: 3, lossPercent: 0 });
    const slow = new HelperFloodTransport(async () => end);
    await runPing(slow, { target: '127.0.0.1', count: 2, intervalMs: 11 });
    expect(slow.floods).toHaveLength(0);
    expect(slow.sent).toHaveLength(2);
  });

  it('a reply read before the helper reported its send is held until the report, not lost (as a record or as a packet)', async () => {
    const net = new HelperFloodTransport(async (f, progress, n) => {
      progress.replies(Float64Array.of(1, 1010, 64)); // summed up by the helper
      n.deliverIcmp(4, n.replyTo(f, 2), '127.0.0.1', { tUs: 3020 }); // passed on as a packet
      progress.sent(0, Float64Array.of(1000));
      progress.sent(1, Float64Array.of(3000));
      return { ...end, sent: 2 };
    });
    const { summary, log } = await runPing(net, { target: '127.0.0.1', count: 2, intervalMs: 2 });
    expect(log.reply.map((r) => [r.seq, r.rttUs, r.dup, r.late])).toEqual([[1, 10, false, false], [2, 20, false, false]]);
    expect(summary.stats).toMatchObject({ transmitted: 2, received: 2 });
    expect(summary.ignored).toBe(0);
  });

  it('a refused send carries the helper\'s errno, and a reply to no probe of the run is still ignored', async () => {
    const net = new HelperFloodTransport(async (f, progress) => {
      progress.replies(Float64Array.of(40_000, 1010, 64)); // far from anything this run sent
      progress.sent(0, Float64Array.of(NaN, 3000), { code: 'ENETUNREACH', message: 'network is unreachable' });
      return { sent: 1, errors: 1, stopped: false, firstError: { code: 'ENETUNREACH', message: 'network is unreachable' } };
    });
    const { summary, log } = await runPing(net, { target: '127.0.0.1', count: 2, intervalMs: 5, timeoutMs: 50 });
    expect(log['send-error']).toMatchObject([{ seq: 1, code: 'ENETUNREACH', message: 'network is unreachable' }]);
    expect(summary.ignored).toBe(1);
    expect(summary.stats).toMatchObject({ transmitted: 1, received: 0, errors: 1 });
  });
});

describe('Ping options', () => {
  const bad = (o: Partial<PingOptions>) => {
    const r = validatePingOptions({ target: '127.0.0.1', count: 1, ...o });
    if (r.ok) throw new Error('expected a refusal');
    return r;
  };

  it('refuses with the field and the contract\'s sentence', () => {
    expect(bad({ target: 'localhost' })).toMatchObject({ field: 'target', message: expect.stringContaining('not an IP address') });
    expect(bad({ count: 0 })).toMatchObject({ field: 'count' });
    expect(bad({ count: 1.5 })).toMatchObject({ field: 'count' });
    expect(bad({ intervalMs: 0.5 })).toMatchObject({ field: 'intervalMs', message: 'interval must be at least 1 ms (or use flood)' });
    expect(bad({ size: 65508 })).toMatchObject({ field: 'size', message: expect.stringContaining('at most 65507 for IPv4 (65535 − 20-byte IP header − 8-byte ICMP header)') });
    expect(bad({ target: '::1', size: 65528 })).toMatchObject({ field: 'size', message: 'size must be between 0 and 65527 (65507 for IPv4)' });
    expect(bad({ size: -1 })).toMatchObject({ field: 'size' });
    expect(bad({ pattern: new Uint8Array(17) })).toMatchObject({ field: 'pattern', message: 'the pattern is at most 16 bytes' });
    expect(bad({ ttl: 0 })).toMatchObject({ field: 'ttl', message: 'ttl must be between 1 and 255' });
    expect(bad({ target: '::1', ttl: 256 })).toMatchObject({ field: 'ttl' });
    expect(bad({ tos: 256 })).toMatchObject({ field: 'tos' });
    expect(bad({ timeoutMs: 0 })).toMatchObject({ field: 'timeoutMs' });
    expect(bad({ identifier: 70000 })).toMatchObject({ field: 'identifier' });
    expect(() => new Ping(new FakeTransport(), { target: '1.2.3', count: 1 })).toThrow(PingOptionsError);
  });

  it('accepts the limits and fills the payload with the pattern', () => {
    const v4 = validatePingOptions({ target: '127.0.0.1', count: 1, size: 65507, intervalMs: 1 });
    const v6 = validatePingOptions({ target: '::1', count: 1, size: 65527, pattern: Uint8Array.of(1, 2, 3) });
    expect(v4.ok && v4.options.payload.length).toBe(65507);
    expect(v6.ok && [...v6.options.payload.subarray(0, 7)]).toEqual([1, 2, 3, 1, 2, 3, 1]);
    const d = validatePingOptions({ target: '127.0.0.1', count: 1 });
    expect(d.ok && [...d.options.payload.subarray(0, 4)]).toEqual([0, 1, 2, 3]);
    expect(d.ok && d.options).toMatchObject({ size: 56, intervalMs: 1000, timeoutMs: 1000, flood: false });
  });
});
