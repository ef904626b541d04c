// Traceroute's logic over a fake network (no sockets, fake timers): a path of
// routers answering time exceeded, a silent hop, an administratively
// prohibited route, the destination's echo reply or port unreachable, and
// answers that belong to someone else. The real three-hop topology in
// network namespaces: traceroute-netns.test.ts.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { keyOf, parseStack, stackBytes } from '../../shared/packet/index.js';
import { echoReplyTo, FakeTransport, icmpErrorFor, type Responder, type SentRecord } from './fake-transport.js';
import { formatHop, Traceroute, unreachableFlag, validateTracerouteOptions, type TracerouteOptions, type TraceProbe } from './traceroute.js';

type Hop = string | null | { from: string; unreachable: number };

/** A path: hop i answers TTL i+1 (time exceeded, silence, or an unreachable); past them the destination answers. */
function path(hops: Hop[], opts: { delayMs?: number } = {}): Responder {
  return (s: SentRecord, net: FakeTransport) => {
    const ttl = s.ttl ?? 64;
    const act = (): void => {
      if (ttl <= hops.length) {
        const h = hops[ttl - 1]!;
        if (h === null) return;
        if (typeof h === 'string') icmpErrorFor(net, s, 'time-exceeded', 0, h);
        else icmpErrorFor(net, s, 'destination-unreachable', h.unreachable, h.from);
        return;
      }
      if (s.protocol === 'icmp' || s.protocol === 'icmpv6') {
        const reply = echoReplyTo(s);
        if (reply) net.deliverIcmp(s.family, reply, s.address);
      } else {
        icmpErrorFor(net, s, 'destination-unreachable', s.family === 4 ? 3 : 4, s.address);
      }
    };
    if (opts.delayMs) setTimeout(act, opts.delayMs);
    else act();
  };
}

async function runTrace(net: FakeTransport, o: TracerouteOptions, maxMs = 120_000) {
  const tr = new Traceroute(net, o, { routeSource: async (f) => (f === 4 ? '10.250.1.2' : 'fd00:250:1::2') });
  const probes: TraceProbe[] = [];
  tr.on('probe', (p) => probes.push(p));
  let done = false;
  const result = tr.start().finally(() => (done = true));
  for (let t = 0; t < maxMs && !done; t++) await vi.advanceTimersByTimeAsync(1);
  if (!done) throw new Error(`traceroute did not finish within ${maxMs} ms of fake time`);
  return { tr, probes, result: await result };
}

const froms = (r: { hops: { probes: TraceProbe[] }[] }) => r.hops.map((h) => h.probes.map((p) => (p.status === 'reply' ? `${p.from}${p.flag}` : '*')));

beforeEach(() => {
  vi.useFakeTimers({ now: 5_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('traceroute over a fake path', () => {
  it('ICMP: TTL 1, 2, 3 finds the routers in order, then the destination echo-replies and it stops', async () => {
    const net = new FakeTransport(path(['10.250.1.1', '10.250.2.2'], { delayMs: 3 }));
    const { result } = await runTrace(net, { target: '10.250.3.2', mode: 'icmp', identifier: 0x5151 });
    expect(froms(result)).toEqual([
      ['10.250.1.1', '10.250.1.1', '10.250.1.1'],
      ['10.250.2.2', '10.250.2.2', '10.250.2.2'],
      ['10.250.3.2', '10.250.3.2', '10.250.3.2'],
    ]);
    expect(result).toMatchObject({ reached: true, stoppedBy: 'reached', family: 4, mode: 'icmp' });
    const first = result.hops[0]!.probes[0]!;
    expect(first).toMatchObject({ status: 'reply', kind: 'time-exceeded', type: 11, code: 0, codeName: 'ttl-exceeded-in-transit', rttUs: 3000, replyTtl: 64 });
    expect(result.hops[2]!.probes[0]).toMatchObject({ kind: 'echo-reply', type: 0 });
    // ttl per send, ICMP sequence 1..9, one identifier
    expect(net.sent.map((s) => s.ttl)).toEqual([1, 1, 1, 2, 2, 2, 3, 3, 3]);
    expect(net.sent.map((s) => {
      const k = keyOf(s.bytes, 'icmp');
      return k.type === 8 ? [k.id, k.icmpSeq] : null;
    })).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9].map((q) => [0x5151, q]));
    // a hop's probes leave back to back, before any answer
    expect(net.sent[1]!.tUs - net.sent[0]!.tUs).toBe(0);
    expect(formatHop(result.hops[0]!)).toBe(' 1  10.250.1.1  3.000 ms  3.000 ms  3.000 ms');
    expect(result.text.split('\n')[0]).toBe('traceroute to 10.250.3.2 (10.250.3.2), 30 hops max, 60 byte packets');
    expect(net.opened.size).toBe(0);
  });

  it('UDP: raw UDP to ports 33434, 33435 … from one source port; ends with port unreachable', async () => {
    const net = new FakeTransport(path(['10.250.1.1', '10.250.2.2']));
    const { result } = await runTrace(net, { target: '10.250.3.2', mode: 'udp', sourcePort: 50000, probesPerHop: 2 });
    expect(froms(result)).toEqual([['10.250.1.1', '10.250.1.1'], ['10.250.2.2', '10.250.2.2'], ['10.250.3.2', '10.250.3.2']]);
    expect(result.hops[2]!.probes[0]).toMatchObject({ kind: 'port-unreachable', codeName: 'port-unreachable', flag: '' });
    expect(result.stoppedBy).toBe('reached');
    const udp = net.sent.map((s) => {
      expect(s.protocol).toBe(17);
      const f = parseStack(s.bytes, 'udp').layers[0]!.fields;
      return [f.sport, f.dport, f.chksum, f.len];
    });
    expect(udp).toEqual([33434, 33435, 33436, 33437, 33438, 33439].map((port) => [50000, port, 0, 40]));
  });

  it('a silent hop gives * for each probe and the trace goes on; max hops ends it', async () => {
    const net = new FakeTransport(path(['10.250.1.1', null, null, null]));
    const { result, probes } = await runTrace(net, { target: '10.250.3.2', mode: 'icmp', maxHops: 3, timeoutMs: 200 });
    expect(froms(result)).toEqual([['10.250.1.1', '10.250.1.1', '10.250.1.1'], ['*', '*', '*'], ['*', '*', '*']]);
    expect(result).toMatchObject({ reached: false, stoppedBy: 'max-hops' });
    expect(probes.filter((p) => p.status === 'timeout')).toHaveLength(6);
    expect(formatHop(result.hops[1]!)).toBe(' 2  * * *');
  });

  it('an administratively prohibited route shows !X and ends the trace', async () => {
    const net = new FakeTransport(path(['10.250.1.1', { from: '10.250.2.2', unreachable: 13 }]));
    const { result } = await runTrace(net, { target: '10.250.3.2', mode: 'udp' });
    expect(froms(result)).toEqual([['10.250.1.1', '10.250.1.1', '10.250.1.1'], ['10.250.2.2!X', '10.250.2.2!X', '10.250.2.2!X']]);
    expect(result.hops[1]!.probes[0]).toMatchObject({ kind: 'unreachable', codeName: 'communication-administratively-prohibited' });
    expect(result).toMatchObject({ reached: false, stoppedBy: 'unreachable' });
    expect(formatHop(result.hops[1]!)).toBe(' 2  10.250.2.2  0.000 ms !X  0.000 ms !X  0.000 ms !X');
  });

  it("ignores answers that are not ours: another run's ports or identifier, another destination, its own echo requests", async () => {
    const net = new FakeTransport((s, n) => {
      // what a second traceroute (other source port) and a ping to elsewhere would bring back
      const foreign = n.wire({ ...s, bytes: s.bytes.slice() });
      if (s.protocol === 17) foreign[21] = foreign[21]! ^ 1; // another UDP source port
      else foreign[25] = foreign[25]! ^ 1; // another echo identifier
      n.deliverIcmp(4, stackBytes([{ kind: 'icmp', fields: { type: 'time-exceeded' } }, { kind: 'payload', fields: { load: foreign } }]), '10.9.9.9');
      icmpErrorFor(n, { ...s, address: '10.250.9.9' }, 'time-exceeded', 0, '10.8.8.8');
      if (s.protocol === 'icmp') n.deliverIcmp(4, s.bytes, '10.250.1.2'); // our own request, as loopback shows it
      path(['10.250.1.1'])(s, n);
    });
    for (const mode of ['udp', 'icmp'] as const) {
      net.sent.length = 0;
      const { result } = await runTrace(net, { target: '10.250.3.2', mode, probesPerHop: 1 });
      expect(froms(result), mode).toEqual([['10.250.1.1'], ['10.250.3.2']]);
    }
  });

  it('IPv6 UDP carries the checksum the pseudo-header needs (source from the routing table)', async () => {
    const net = new FakeTransport(path(['fd00:250:1::1']), undefined, { 4: '10.250.1.2', 6: 'fd00:250:1::2' });
    const { result } = await runTrace(net, { target: 'fd00:250:3::2', mode: 'udp', probesPerHop: 1 });
    expect(froms(result)).toEqual([['fd00:250:1::1'], ['fd00:250:3::2']]);
    expect(result.hops[1]!.probes[0]).toMatchObject({ kind: 'port-unreachable', type: 1, code: 4, replyTtl: null });
    for (const s of net.sent) expect(parseStack(s.bytes, 'udp', { src: 'fd00:250:1::2', dst: 'fd00:250:3::2' }).checksums[0]).toBe('good');
  });

  it('IPv6 ICMP: hop limit per send, echo reply from the destination', async () => {
    const net = new FakeTransport(path(['fd00:250:1::1', 'fd00:250:2::2']));
    const { result } = await runTrace(net, { target: 'fd00:250:3::2', mode: 'icmp', probesPerHop: 1 });
    expect(froms(result)).toEqual([['fd00:250:1::1'], ['fd00:250:2::2'], ['fd00:250:3::2']]);
    expect(result.hops[0]!.probes[0]).toMatchObject({ codeName: 'hop-limit-exceeded-in-transit' });
  });

  it('a failed send shows as such and does not stop the trace', async () => {
    const net = new FakeTransport(path(['10.250.1.1']));
    let sends = 0;
    net.sendError = () => (sends++ === 0 ? Object.assign(new Error('sendto: Network is unreachable'), { code: 'ENETUNREACH' }) : undefined);
    const { result } = await runTrace(net, { target: '10.250.3.2', mode: 'icmp', probesPerHop: 2 });
    expect(result.hops[0]!.probes[0]).toMatchObject({ status: 'send-error', code: 'ENETUNREACH' });
    expect(formatHop(result.hops[0]!)).toBe(' 1  !(ENETUNREACH) 10.250.1.1  0.000 ms');
    expect(result.stoppedBy).toBe('reached');
  });

  it('stop() gives up the probes in flight', async () => {
    const net = new FakeTransport(path([null, null, null]));
    const tr = new Traceroute(net, { target: '10.250.3.2', mode: 'icmp', timeoutMs: 5000 });
    const p = tr.start();
    await vi.advanceTimersByTimeAsync(10);
    tr.stop();
    await vi.advanceTimersByTimeAsync(1);
    const r = await p;
    expect(r.stoppedBy).toBe('stopped');
    expect(froms(r)).toEqual([['*', '*', '*']]);
  });

  it('unreachable flags: port unreachable is "reached", the rest have their letters', () => {
    expect(unreachableFlag(4, 3)).toBe('');
    expect(unreachableFlag(4, 13)).toBe('!X');
    expect(unreachableFlag(4, 1)).toBe('!H');
    expect(unreachableFlag(6, 4)).toBe('');
    expect(unreachableFlag(6, 1)).toBe('!X');
    expect(unreachableFlag(4, 42)).toBe('!42');
  });
});

describe('traceroute options', () => {
  const bad = (o: Partial<TracerouteOptions>) => {
    const r = validateTracerouteOptions({ target: '10.0.0.1', ...o });
    if (r.ok) throw new Error('expected a refusal');
    return r;
  };

  it('refuses with the field and a sentence', () => {
    expect(bad({ target: 'example.com' })).toMatchObject({ field: 'target' });
    expect(bad({ mode: 'tcp' as 'udp' })).toMatchObject({ field: 'mode' });
    expect(bad({ maxHops: 0 })).toMatchObject({ field: 'maxHops' });
    expect(bad({ firstHop: 5, maxHops: 4 })).toMatchObject({ field: 'maxHops', message: expect.stringContaining('not be below the first hop') });
    expect(bad({ probesPerHop: 11 })).toMatchObject({ field: 'probesPerHop' });
    expect(bad({ timeoutMs: 0 })).toMatchObject({ field: 'timeoutMs' });
    expect(bad({ port: 65500 })).toMatchObject({ field: 'port', message: expect.stringContaining('each of the 90 probes') });
    expect(bad({ size: 70000 })).toMatchObject({ field: 'size' });
  });

  it('defaults: UDP, 30 hops, 3 probes, port 33434, a random source port in 49152..65535', () => {
    const r = validateTracerouteOptions({ target: '10.0.0.1' });
    expect(r.ok && r.options).toMatchObject({ mode: 'udp', firstHop: 1, maxHops: 30, probesPerHop: 3, port: 33434, size: 32, timeoutMs: 1000 });
    expect(r.ok && r.options.sourcePort).toBeGreaterThanOrEqual(49152);
  });
});
