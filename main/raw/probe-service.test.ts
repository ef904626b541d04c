// The probe handlers through the router, as the renderer calls them: bad
// params come back as field errors before anything runs; ping, traceroute
// and raw sockets run through the real helper (from sources) when this
// process may open raw sockets (root / CAP_NET_RAW), and are skipped with
// the reason otherwise (a failure with SOCKBENCH_REQUIRE_PEERS=1).
import { lookup } from 'node:dns/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { Params } from '../../shared/contract/index.js';
import { echoLayers, keyOf, stackBytes } from '../../shared/packet/index.js';
import type { ProbesOptions } from './probe-service.js';
import { harness, until as untilWithin } from '../../test/support/engine-harness.js';
import { rawSuite } from '../../test/support/peers.js';

const raw = rawSuite('probes through the real helper');

let harnesses: ReturnType<typeof harness>[] = [];
afterEach(async () => {
  await Promise.all(harnesses.map((h) => h.close()));
  harnesses = [];
});

function setup(probes?: ProbesOptions) {
  const h = harness(probes ? { probes } : {});
  harnesses.push(h);
  return h;
}

/** Bounded waits, longer than the harness's default: the real helper is a process to start. */
const until = <T>(probe: () => T | undefined | false, what: string, ms = 20_000) => untilWithin(probe, what, ms);

const ping = (extra: Partial<Params<'ping.start'>> = {}): Params<'ping.start'> => ({
  target: '127.0.0.1', count: 5, intervalMs: 10, size: 56, timeoutMs: 2000, ...extra,
});
const trace = (extra: Partial<Params<'trace.start'>> = {}): Params<'trace.start'> => ({
  target: '127.0.0.1', mode: 'icmp', maxHops: 5, probesPerHop: 3, timeoutMs: 2000, ...extra,
});

describe('probe handlers: bad params are field errors, before anything runs', () => {
  it.each([
    ['ping.start', ping({ target: 'my_host' }), 'target', /IPv4 or IPv6 address or a host name/],
    ['trace.start', trace({ target: '-host' }), 'target', /IPv4 or IPv6 address or a host name/],
    ['ping.start', ping({ count: 0 }), 'count', /between 1 and/],
    ['ping.start', ping({ intervalMs: 0.5 }), 'intervalMs', /at least 1 ms \(or use flood\)/],
    ['ping.start', ping({ size: 65508 }), 'size', /at most 65507 for IPv4/],
    ['ping.start', ping({ target: '::1', size: 65528 }), 'size', /between 0 and 65527/],
    ['ping.start', ping({ ttl: 0 }), 'ttl', /between 1 and 255/],
    ['ping.start', ping({ tos: 256 }), 'tos', /between 0 and 255/],
    ['ping.start', ping({ timeoutMs: 0 }), 'timeoutMs', /between 1 and 3600000/],
    ['ping.start', ping({ pattern: new Uint8Array(17) }), 'pattern', /at most 16 bytes/],
    ['ping.stop', { id: 0 }, 'id', /between 1/],
    ['trace.start', trace({ mode: 'tcp' as never }), 'mode', /icmp or udp/],
    ['trace.start', trace({ maxHops: 65 }), 'maxHops', /between 1 and 64/],
    ['trace.start', trace({ probesPerHop: 0 }), 'probesPerHop', /between 1 and 5/],
    ['raw.open', { family: 5, protocol: 'icmp' }, 'family', /4 or 6/],
    ['raw.open', { family: 4, protocol: 'tcp' }, 'protocol', /icmp, icmpv6 or 0\.\.255/],
    ['raw.send', { id: 1, bytes: new Uint8Array(8), address: 'example.com' }, 'address', /not an IP address/],
    ['raw.send', { id: 1, bytes: 'abc', address: '127.0.0.1' }, 'bytes', /bytes/],
  ] as const)('%s %j → %s', async (method, params, field, why) => {
    const { error, events } = setup();
    const e = await error(method, params);
    expect(e.code).toBe('BAD_REQUEST');
    expect(e.field).toBe(field);
    expect(e.message).toMatch(why);
    expect(events).toEqual([]);
  });

  it('a host name nobody knows: EAI_NONAME on the target field, before anything runs', async () => {
    const { error, events } = setup();
    for (const [method, params] of [['ping.start', ping({ target: 'nosuch.invalid' })], ['trace.start', trace({ target: 'nosuch.invalid' })]] as const) {
      const e = await error(method, params);
      expect(e).toMatchObject({ code: 'OS_ERROR', field: 'target', errno: { name: 'EAI_NONAME', number: -2 } });
      expect(e.message).toMatch(/no address is known for "nosuch\.invalid"/);
    }
    expect(events).toEqual([]);
  });

  it('unknown ids are NO_SUCH_SESSION on the id field; mismatched protocol and family name the field', async () => {
    const { error } = setup();
    expect(await error('ping.stop', { id: 99 })).toMatchObject({ code: 'NO_SUCH_SESSION', field: 'id' });
    expect(await error('trace.stop', { id: 99 })).toMatchObject({ code: 'NO_SUCH_SESSION', field: 'id' });
    expect(await error('raw.send', { id: 99, bytes: new Uint8Array(8), address: '127.0.0.1' })).toMatchObject({ code: 'NO_SUCH_SESSION', field: 'id' });
    expect(await error('raw.close', { id: 99 })).toMatchObject({ code: 'NO_SUCH_SESSION', field: 'id' });
    expect(await error('raw.open', { family: 6, protocol: 'icmp' })).toMatchObject({ code: 'BAD_REQUEST', field: 'protocol' });
    expect(await error('raw.open', { family: 6, protocol: 'icmpv6', hdrincl: true })).toMatchObject({ code: 'BAD_REQUEST', field: 'hdrincl' });
  });

  it('without the privilege: raw.status says unprivileged, and ping refuses with the explanation (EPERM), spawning nothing', async () => {
    const { call, error, workbench } = setup({ helper: { privilege: () => ({ privileged: false, reason: 'no CAP_NET_RAW here (test)' }) } });
    const s = await call('raw.status', {});
    expect(s).toMatchObject({ status: 'unprivileged', reason: 'no CAP_NET_RAW here (test)' });
    expect(typeof s.canElevate).toBe('boolean');
    const e = await error('ping.start', ping());
    expect(e).toMatchObject({ code: 'OS_ERROR', errno: { name: 'EPERM' }, message: 'no CAP_NET_RAW here (test)' });
    expect(await error('trace.start', trace())).toMatchObject({ code: 'OS_ERROR', errno: { name: 'EPERM' } });
    expect(await error('raw.open', { family: 4, protocol: 'icmp' })).toMatchObject({ code: 'OS_ERROR', errno: { name: 'EPERM' } });
    expect(workbench.probes.helper.pid).toBeUndefined();
  });
});

describe.skipIf(raw.skip)(raw.title, () => {
  it('ping 127.0.0.1 count 5: 5 replies in order, stats consistent with them, status ready', async () => {
    const { call, of } = setup();
    const { id } = await call('ping.start', ping());
    const done = await until(() => of('ping.stats').find((s) => s.id === id && s.done), 'the final ping.stats');
    const replies = of('ping.reply').filter((r) => r.id === id);
    expect(replies.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    for (const r of replies) {
      expect(r).toMatchObject({ from: '127.0.0.1', bytes: 64, ttl: 64 });
      expect(r.rttUs).toBeGreaterThanOrEqual(0);
      expect(r.dup).toBeUndefined();
    }
    const s = done.stats;
    expect(s).toMatchObject({ transmitted: 5, received: 5, duplicates: 0, errors: 0, late: 0, lossPct: 0 });
    const rtts = replies.map((r) => r.rttUs!).sort((a, b) => a - b);
    expect(s.minUs).toBe(rtts[0]);
    expect(s.maxUs).toBe(rtts[4]);
    expect(s.avgUs).toBe(Math.trunc(rtts.reduce((a, b) => a + b, 0) / 5));
    expect(s.p50Us).toBe(rtts[2]);
    expect(s.histogram.reduce((n, b) => n + b.count, 0)).toBe(5);
    expect(done.error).toBeUndefined();
    // Running statistics never count more than the final ones.
    for (const r of of('ping.stats').filter((x) => x.id === id)) expect(r.stats.received).toBeLessThanOrEqual(5);
    // After the end, stop still answers with the final statistics.
    expect((await call('ping.stop', { id })).stats).toEqual(s);
    expect((await call('raw.status', {})).status).toBe('ready');
    expect(of('raw.status').some((st) => st.status === 'ready')).toBe(true);
  });

  it('ping and traceroute take a host name, resolved as ping resolves it (getaddrinfo’s first address)', async () => {
    const first = (await lookup('localhost', { all: true, order: 'verbatim' }))[0]!.address;
    const { call, of } = setup();
    const { id } = await call('ping.start', ping({ target: 'localhost', count: 2 }));
    await until(() => of('ping.stats').find((s) => s.id === id && s.done), 'the final ping.stats');
    expect(of('ping.reply').filter((r) => r.id === id).map((r) => r.from)).toEqual([first, first]);
    const t = await call('trace.start', trace({ target: 'localhost', maxHops: 2, probesPerHop: 1 }));
    const hop = await until(() => of('trace.hop').find((x) => x.id === t.id), 'the first hop');
    expect(JSON.stringify(hop)).toContain(first);
  });

  it('a ref given with the start call comes back on every event of that run, from the first one on', async () => {
    const { call, events } = setup();
    const { id } = await call('ping.start', ping({ count: 3, ref: 'page-1.ping:7' }));
    const { id: other } = await call('ping.start', ping({ count: 2 }));
    await until(() => events.some((e) => e.name === 'ping.stats' && e.payload.id === id && e.payload.done), 'the final ping.stats');
    await until(() => events.some((e) => e.name === 'ping.stats' && e.payload.id === other && e.payload.done), 'the other run ends');
    const ours = events.filter((e) => (e.name === 'ping.reply' || e.name === 'ping.stats') && e.payload.id === id);
    expect(ours.length).toBeGreaterThanOrEqual(4); // 3 replies and the final statistics at least
    expect(ours.every((e) => (e.payload as { ref?: string }).ref === 'page-1.ping:7')).toBe(true);
    const theirs = events.filter((e) => (e.name === 'ping.reply' || e.name === 'ping.stats') && e.payload.id === other);
    expect(theirs.every((e) => !('ref' in e.payload))).toBe(true);
    const bad = await setup().error('ping.start', ping({ ref: 'not ok!' }));
    expect(bad).toMatchObject({ code: 'BAD_REQUEST', field: 'ref' });
  });

  it('ping until stopped: ping.stop ends it and gives the same statistics as the final event', async () => {
    const { call, of } = setup();
    const { id } = await call('ping.start', ping({ count: null, intervalMs: 5, target: '::1' }));
    await until(() => of('ping.reply').filter((r) => r.id === id).length >= 3, 'three replies');
    const { stats } = await call('ping.stop', { id });
    const done = await until(() => of('ping.stats').find((s) => s.id === id && s.done), 'the final ping.stats');
    expect(done.stats).toEqual(stats);
    expect(stats.received).toBeGreaterThanOrEqual(3);
    expect(stats.transmitted).toBeGreaterThanOrEqual(stats.received);
    expect(of('ping.reply').find((r) => r.id === id && r.rttUs !== null)).toMatchObject({ from: '::1', bytes: 64 });
  });

  it('a flood is thinned for the view (≤ the rate per second plus a burst) while the statistics count every reply', async () => {
    const rate = 20;
    const { call, of } = setup({ replyRate: rate, statsIntervalMs: 50 });
    const t0 = performance.now();
    const { id } = await call('ping.start', ping({ count: 400, flood: true, intervalMs: 0, size: 16 }));
    const done = await until(() => of('ping.stats').find((s) => s.id === id && s.done), 'the end of the flood', 60_000);
    const seconds = (performance.now() - t0) / 1000;
    expect(done.stats.transmitted).toBe(400);
    expect(done.stats.received + done.stats.late).toBe(400);
    const shown = of('ping.reply').filter((r) => r.id === id && r.rttUs !== null);
    // The bound is the limiter's own arithmetic (a burst of `rate`, then `rate` per second), not a speed.
    expect(shown.length).toBeLessThanOrEqual(Math.ceil(rate + rate * seconds) + 1);
    expect(shown.length).toBeLessThan(400);
    expect(of('ping.stats').filter((s) => s.id === id).length).toBeGreaterThanOrEqual(1);
  });

  it('traceroute 127.0.0.1, ICMP and UDP: one hop, answered by 127.0.0.1 (echo reply / port unreachable), reached', async () => {
    const { call, of } = setup();
    for (const [mode, kind] of [['icmp', 'echo reply'], ['udp', 'port unreachable']] as const) {
      const { id } = await call('trace.start', trace({ mode }));
      const done = await until(() => of('trace.done').find((d) => d.id === id), `trace.done (${mode})`);
      expect(done).toEqual({ id, reached: true });
      const hops = of('trace.hop').filter((h) => h.id === id);
      expect(hops).toHaveLength(1);
      expect(hops[0]!.ttl).toBe(1);
      expect(hops[0]!.probes).toHaveLength(3);
      for (const p of hops[0]!.probes) expect(p).toMatchObject({ from: '127.0.0.1', kind });
      expect(await call('trace.stop', { id })).toEqual({});
    }
  });

  it('raw: an ICMP socket sends an echo request and receives it and the kernel’s reply, decoded; close forgets it', async () => {
    const { call, of, error } = setup();
    const { id } = await call('raw.open', { family: 4, protocol: 'icmp' });
    const identifier = 0x4242;
    const echo = stackBytes(echoLayers(4, { identifier, sequence: 7, payload: new TextEncoder().encode('probes test') }));
    expect(await call('raw.send', { id, bytes: echo, address: '127.0.0.1' })).toEqual({ bytes: echo.length });
    const kinds = () =>
      of('raw.packet').filter((p) => p.id === id).flatMap((p) => {
        const k = keyOf(p.bytes, 'ipv4');
        if (!p.ipHeader || k.proto !== 1 || k.id !== identifier) return [];
        return k.type === 8 ? ['echo-request'] : k.type === 0 ? ['echo-reply'] : [];
      });
    await until(() => kinds().includes('echo-reply') && kinds().includes('echo-request'), 'our request and its reply');
    expect(of('raw.packet').find((p) => p.id === id)).toMatchObject({ from: '127.0.0.1', ipHeader: true });
    expect(await error('raw.send', { id, bytes: echo, address: '::1' })).toMatchObject({ code: 'OS_ERROR', field: 'address', errno: { name: 'EAFNOSUPPORT' } });
    expect(await call('raw.close', { id })).toEqual({});
    expect(await error('raw.send', { id, bytes: echo, address: '127.0.0.1' })).toMatchObject({ code: 'NO_SUCH_SESSION' });
  });

  it('Engine.close() stops a ping that runs until stopped, and the helper with it', async () => {
    const { call, of, workbench } = setup();
    const { id } = await call('ping.start', ping({ count: null }));
    await until(() => of('ping.reply').some((r) => r.id === id), 'a reply');
    await workbench.close();
    harnesses = harnesses.filter((h) => h.workbench !== workbench);
    expect(of('ping.stats').find((s) => s.id === id && s.done)).toBeTruthy();
    expect(workbench.probes.helper.status()).toBe('stopped');
  });
});

const sweep = (extra: Partial<Params<'sweep.start'>> = {}): Params<'sweep.start'> => ({
  targets: '127.0.0.1', count: 2, intervalMs: 1, perTargetIntervalMs: 10, timeoutMs: 2000, ...extra,
});

describe('sweep: bad params are field errors, before anything runs', () => {
  it.each([
    [sweep({ targets: '127.0.0.0/8' }), 'targets', /^targets: 127\.0\.0\.0\/8 would be 16,777,214 addresses; the limit is 4,096$/],
    [sweep({ targets: '127.0.0.1 non_sense' }), 'targets', /"non_sense" is not an IPv4 or IPv6 address or CIDR block/],
    [sweep({ targets: ' \n' }), 'targets', /no targets/],
    [sweep({ count: 0 }), 'count', /between 1 and 100/],
    [sweep({ count: 101 }), 'count', /between 1 and 100/],
    [sweep({ intervalMs: 0 }), 'intervalMs', /at least 1 ms/],
    [sweep({ perTargetIntervalMs: 9 }), 'perTargetIntervalMs', /at least 10 ms/],
    [sweep({ timeoutMs: 0 }), 'timeoutMs', /between 1 and 60000/],
  ] as const)('sweep.start %j → %s', async (params, field, why) => {
    const { error, events } = setup();
    const e = await error('sweep.start', params);
    expect(e.code).toBe('BAD_REQUEST');
    expect(e.field).toBe(field);
    expect(e.message).toMatch(why);
    expect(events).toEqual([]);
  });

  it('a host name nobody knows in the list: EAI_NONAME on the targets field', async () => {
    const { error, events } = setup();
    expect(await error('sweep.start', sweep({ targets: '127.0.0.1 nosuch.invalid' }))).toMatchObject({ code: 'OS_ERROR', field: 'targets', errno: { name: 'EAI_NONAME' } });
    expect(events).toEqual([]);
  });

  it('an unknown sweep id is NO_SUCH_SESSION on the id field', async () => {
    const { error } = setup();
    expect(await error('sweep.stop', { id: 99 })).toMatchObject({ code: 'NO_SUCH_SESSION', field: 'id' });
  });
});

describe.skipIf(raw.skip)(raw.skip ? 'sweep through the real helper (skipped: no CAP_NET_RAW / root)' : 'sweep through the real helper', () => {
  it('127.0.0.1 127.0.0.2 ::1 and 127.0.0.0/29, count 2: every target alive with 2/2, one result each, then done', async () => {
    // A concurrency of 3: more targets than sockets at once, so the bound is exercised.
    const { call, of } = setup({ sweepConcurrency: 3 });
    const { id, total } = await call('sweep.start', sweep({ targets: '127.0.0.1 127.0.0.2 ::1\n127.0.0.0/29' }));
    // 127.0.0.1 and 127.0.0.2 are in the /29 as well: kept once.
    expect(total).toBe(7);
    const done = await until(() => of('sweep.done').find((d) => d.id === id), 'sweep.done');
    expect(done).toEqual({ id, alive: 7, total: 7 });
    const results = of('sweep.result').filter((r) => r.id === id);
    expect(results.map((r) => r.target).sort()).toEqual(['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6', '::1'].sort());
    for (const r of results) {
      expect(r).toMatchObject({ sent: 2, received: 2, lossPct: 0, alive: true });
      expect(r.error).toBeUndefined();
      expect(r.minUs!).toBeLessThanOrEqual(r.avgUs!);
      expect(r.avgUs!).toBeLessThanOrEqual(r.maxUs!);
    }
    // Over: stop answers at once.
    expect(await call('sweep.stop', { id })).toEqual({});
  });

  it('a host name in the list is swept at its first address, as fping does', async () => {
    const first = (await lookup('localhost', { all: true, order: 'verbatim' }))[0]!.address;
    const { call, of } = setup();
    const { id, total } = await call('sweep.start', sweep({ targets: 'localhost 127.0.0.2' }));
    expect(total).toBe(2);
    await until(() => of('sweep.done').find((d) => d.id === id), 'sweep.done');
    expect(of('sweep.result').filter((r) => r.id === id).map((r) => r.target).sort()).toEqual([first, '127.0.0.2'].sort());
  });

  it('sweep.stop ends a long sweep: done says stopped, no result after it', async () => {
    const { call, of, workbench } = setup({ sweepConcurrency: 2 });
    const { id, total } = await call('sweep.start', sweep({ targets: '127.0.0.0/28', count: 100, perTargetIntervalMs: 50 }));
    expect(total).toBe(14);
    const helper = workbench.probes.helper;
    await untilWithin(() => helper.handles().length === 2, 'the first two targets probing');
    await call('sweep.stop', { id });
    const done = of('sweep.done').find((d) => d.id === id);
    expect(done).toMatchObject({ id, total: 14, stopped: true });
    // The two going when stopped report what they had; the rest never start.
    expect(of('sweep.result').length).toBeLessThanOrEqual(2);
    // Nothing more can come: every raw socket the sweep opened is closed.
    expect(helper.handles()).toEqual([]);
  });
});
