// Ping through the real raw-socket helper (from sources) on loopback, as
// root: 127.0.0.1 and ::1, our own requests seen and ignored when no kernel
// filter is set, two runs at once each getting only its own replies.
// No timing assertions: only that RTTs exist and are sane in kind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawHelper } from './raw-helper.js';
import { Ping, type PingReply } from './ping.js';
import type { ProbeTransport } from './probe-transport.js';
import { rawPrivilege } from './privilege.js';
import { startSourceHelper } from './testkit.js';

const privileged = rawPrivilege().privileged;
const peersRequired = process.env.SOCKBENCH_REQUIRE_PEERS === '1';

describe.skipIf(!privileged && !peersRequired)(`ping through the real helper on loopback${privileged ? '' : ' (skipped: no CAP_NET_RAW / not root)'}`, () => {
  let helper: RawHelper;
  let transport: ProbeTransport;

  beforeAll(() => {
    ({ helper, transport } = startSourceHelper());
  });
  afterAll(async () => {
    await helper?.stop();
  });

  for (const target of ['127.0.0.1', '::1']) {
    it(`pings ${target}: every probe answered, matched by identifier and sequence`, async () => {
      const ping = new Ping(transport, { target, count: 5, intervalMs: 10, timeoutMs: 2000, size: 100, pattern: Uint8Array.of(0xde, 0xad, 0xbe, 0xef), ttl: 9, df: true });
      const replies: PingReply[] = [];
      ping.on('reply', (r) => replies.push(r));
      const s = await ping.start();
      expect(s.stats).toMatchObject({ transmitted: 5, received: 5, duplicates: 0, late: 0, errors: 0, lossPercent: 0 });
      expect(replies.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
      for (const r of replies) {
        expect(r).toMatchObject({ from: target, dup: false, late: false, wrongSource: false, payloadOk: true, bytes: 108 });
        expect(Number.isInteger(r.rttUs) && r.rttUs >= 0).toBe(true);
        if (target === '127.0.0.1') expect(r).toMatchObject({ checksumOk: true, ttl: 64 }); // the kernel's reply carries its own TTL
      }
      expect(s.stats.rtt).toMatchObject({ count: 5 });
      expect(s.stats.rtt!.minUs).toBeLessThanOrEqual(s.stats.rtt!.avgUs);
      expect(s.stats.rtt!.avgUs).toBeLessThanOrEqual(s.stats.rtt!.maxUs);
      expect(s.text).toContain('5 packets transmitted, 5 received, 0% packet loss');
      expect(helper.handles()).toEqual([]);
    });

    it(`${target}: without a kernel filter our own echo requests come back too, and are ignored`, async () => {
      const { setFilter: _drop, ...unfiltered } = transport;
      const ping = new Ping(unfiltered, { target, count: 3, intervalMs: 5, timeoutMs: 2000 });
      const s = await ping.start();
      expect(s.ownRequests).toBe(3);
      expect(s.stats).toMatchObject({ transmitted: 3, received: 3, duplicates: 0 });
    });
  }

  it('two runs at once on one helper: each sees both replies on its socket and keeps only its own', async () => {
    const a = new Ping(transport, { target: '127.0.0.1', count: 10, intervalMs: 2, timeoutMs: 2000, identifier: 0x1111 });
    const b = new Ping(transport, { target: '127.0.0.1', count: 10, intervalMs: 3, timeoutMs: 2000, identifier: 0x2222 });
    const [sa, sb] = await Promise.all([a.start(), b.start()]);
    for (const s of [sa, sb]) {
      expect(s.stats).toMatchObject({ transmitted: 10, received: 10, duplicates: 0 });
      expect(s.ignored).toBeGreaterThanOrEqual(1); // the other run's replies
    }
  });

  for (const target of ['127.0.0.1', '::1']) {
    it(`flood to ${target}: 20,000 probes sent by the helper without waiting, every one answered and counted once`, async () => {
      const ping = new Ping(transport, { target, count: 20_000, flood: true, timeoutMs: 5000, size: 16 });
      let sent = 0;
      ping.on('sent', () => sent++);
      const s = await ping.start();
      expect(sent).toBe(20_000);
      expect(s.stats).toMatchObject({ transmitted: 20_000, received: 20_000, duplicates: 0, late: 0, errors: 0 });
      expect(s.stats.histogram.reduce((n, b) => n + b.count, 0)).toBe(20_000);
      expect(s.firstSendError).toBeNull();
      expect(helper.handles()).toEqual([]);
    });
  }

  it('flood at 0.5 ms (2,000 a second, below the 1 ms floor of plain pings) never sends early; stop() ends it with exact counts', async () => {
    const ping = new Ping(transport, { target: '127.0.0.1', count: null, flood: true, intervalMs: 0.5, timeoutMs: 2000 });
    const stamps: number[] = [];
    ping.on('sent', (e) => stamps.push(e.tUs));
    setTimeout(() => ping.stop(), 300);
    const s = await ping.start();
    expect(s.stopped).toBe(true);
    expect(stamps.length).toBeGreaterThan(10);
    expect(s.stats.transmitted).toBeGreaterThanOrEqual(stamps.length); // sends that landed after stop() count as sent and lost
    expect(stamps.every((t, k) => t - stamps[0]! >= k * 500 - 1)).toBe(true);
    expect(s.stats.received).toBeLessThanOrEqual(s.stats.transmitted);
  });
});
