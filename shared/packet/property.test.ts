// Property tests: random valid stacks of every layer kind, in the orders
// canFollow allows, read back as resolveStack says (parse(build(p)) equals
// resolve(p)), with every checksum good; a forced wrong checksum survives
// the round trip and reads bad.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildStack, canFollow, parseStack, resolveStack, type Fields, type Layer, type LayerKind, type OptionValue, type StackContext } from './index.js';

const RUNS = { numRuns: 300 };
const u = (bits: number) => fc.integer({ min: 0, max: 2 ** bits - 1 });
const opt = <T extends Record<string, fc.Arbitrary<unknown>>>(m: T) => fc.record(m, { requiredKeys: [] }) as fc.Arbitrary<Fields>;
const layer = (kind: LayerKind, fields: fc.Arbitrary<Fields>): fc.Arbitrary<Layer> => fields.map((f) => ({ kind, fields: f }));
const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });

// Options, kept inside their list's size limit.
const tlv = (kinds: fc.Arbitrary<number>, max: number) => fc.record({ kind: kinds, data: bytes(0, max) });
const ipv4Options = fc.array(fc.oneof(fc.constantFrom<OptionValue>({ kind: 'NOP' }, { kind: 'EOL' }), tlv(fc.integer({ min: 2, max: 255 }), 6)), { maxLength: 4 });
const tcpOption = fc.oneof(
  fc.constantFrom<OptionValue>({ kind: 'NOP' }, { kind: 'EOL' }, { kind: 'SAckOK' }),
  u(16).map((value) => ({ kind: 'MSS', value })),
  u(8).map((value) => ({ kind: 'WScale', value })),
  fc.tuple(u(32), u(32)).map(([tsval, tsecr]) => ({ kind: 'Timestamp', tsval, tsecr })),
  fc.array(fc.tuple(u(32), u(32)), { minLength: 1, maxLength: 2 }).map((blocks) => ({ kind: 'SAck', blocks })),
  tlv(fc.integer({ min: 9, max: 255 }), 4),
);
const TCP_SIZE: Record<string, number> = { NOP: 1, EOL: 1, SAckOK: 2, MSS: 4, WScale: 3, Timestamp: 10 };
const tcpSize = (o: OptionValue): number => TCP_SIZE[o.kind] ?? 2 + (o.blocks ? o.blocks.length * 8 : o.data!.length);
const tcpOptions = fc.array(tcpOption, { maxLength: 4 }).filter((os) => os.reduce((n, o) => n + tcpSize(o), 0) <= 40);
const ipv6Options = fc.array(fc.oneof(fc.constant<OptionValue>({ kind: 'Pad1' }), tlv(fc.integer({ min: 1, max: 255 }), 12)), { maxLength: 4 });
const mac = fc.array(u(8), { minLength: 6, maxLength: 6 }).map((b) => b.map((x) => x.toString(16).padStart(2, '0')).join(':'));
const ndOptions = fc.array(
  fc.oneof(
    fc.tuple(fc.constantFrom('src-lladdr', 'tgt-lladdr'), mac).map(([kind, lladdr]) => ({ kind, lladdr })),
    fc.record({ kind: fc.integer({ min: 3, max: 255 }), data: fc.constantFrom(6, 14).chain((n) => bytes(n, n)) }),
  ),
  { maxLength: 3 },
);

// Layers. IPv4 flags leave MF clear and frag 0 so transports stay checkable.
const ipv4 = layer('ipv4', opt({
  dscp: u(6), ecn: u(2), id: u(16), flags: fc.constantFrom(0, 'DF', 'evil', 'DF,evil'), ttl: u(8), src: fc.ipV4(), dst: fc.ipV4(), options: ipv4Options,
}));
const ipv6 = layer('ipv6', opt({ tc: u(8), fl: u(20), hlim: u(8), src: fc.ipV6(), dst: fc.ipV6() }));
const hopopts = layer('hopopts', opt({ options: ipv6Options }));
const destopts = layer('destopts', opt({ options: ipv6Options }));
const routing = layer('routing', fc.oneof(
  opt({ type: fc.constantFrom(0, 2), segleft: u(8), reserved: u(32), addresses: fc.array(fc.ipV6(), { maxLength: 3 }) }),
  fc.record({ type: fc.integer({ min: 3, max: 255 }), segleft: u(8), data: fc.constantFrom(4, 12, 20).chain((n) => bytes(n, n)) }),
));
const fragment = layer('fragment', opt({ res1: u(8), res2: u(2), id: u(32) }));
const udp = layer('udp', opt({ sport: u(16), dport: u(16) }));
const tcp = layer('tcp', opt({
  sport: u(16), dport: u(16), seq: u(32), ack: u(32), reserved: u(3), flags: u(9), window: u(16), urgptr: u(16), options: tcpOptions,
}));
const payload = (max = 64) => layer('payload', fc.record({ load: bytes(1, max) }));
const code = u(8);
const icmpInfo = layer('icmp', fc.oneof(
  fc.record({ type: fc.constantFrom(0, 8, 15, 16, 'echo-request'), code, id: u(16), seq: u(16) }),
  fc.record({ type: fc.constantFrom(13, 14), code, id: u(16), seq: u(16), ts_ori: u(32), ts_rx: u(32), ts_tx: u(32) }),
  fc.record({ type: fc.constantFrom(17, 18), id: u(16), addr_mask: fc.ipV4() }),
  fc.record({ type: fc.constantFrom(9, 10, 30, 40, 200), code, unused: u(32) }),
));
const icmpError = layer('icmp', fc.oneof(
  fc.record({ type: fc.constant('dest-unreach'), code: fc.oneof(code, fc.constantFrom('port-unreachable', 'fragmentation-needed')), nexthopmtu: u(16) }),
  fc.record({ type: fc.constantFrom(4, 11), code, unused: u(32) }),
  fc.record({ type: fc.constant(5), code, gw: fc.ipV4() }),
  fc.record({ type: fc.constant('param-problem'), code, ptr: u(8), unused: u(24) }),
));
const icmpv6Info = layer('icmpv6', fc.oneof(
  fc.record({ type: fc.constantFrom(128, 129, 'echo-reply'), code, id: u(16), seq: u(16) }),
  fc.record({ type: fc.constantFrom(130, 131, 134), code, res: u(32) }),
));
const icmpv6Nd = layer('icmpv6', fc.oneof(
  fc.record({ type: fc.constantFrom('neighbor-solicitation', 133), res: u(32), tgt: fc.ipV6(), options: ndOptions }),
  fc.record({ type: fc.constant('neighbour-advertisement'), R: u(1), S: u(1), O: u(1), res: u(29), tgt: fc.ipV6(), options: ndOptions }),
  fc.record({ type: fc.constant(137), tgt: fc.ipV6(), dst: fc.ipV6(), options: ndOptions }),
)).map((l) => (l.fields.type === 133 ? { kind: l.kind, fields: { type: 133, res: l.fields.res!, options: l.fields.options! } } : l));
const icmpv6Error = layer('icmpv6', fc.oneof(
  fc.record({ type: fc.constantFrom(1, 3), code, unused: u(32) }),
  fc.record({ type: fc.constant('packet-too-big'), mtu: u(32) }),
  fc.record({ type: fc.constant(4), code: fc.oneof(code, fc.constant('unrecognized-next-header')), ptr: u(32) }),
));

const maybe = (a: fc.Arbitrary<Layer[]>) => fc.oneof(fc.constant([] as Layer[]), a);
const one = (a: fc.Arbitrary<Layer>) => a.map((l) => [l]);
const cat = (...parts: fc.Arbitrary<Layer[]>[]) => fc.tuple(...parts).map((ls) => ls.flat());
const tail = (...transports: fc.Arbitrary<Layer>[]) => cat(maybe(fc.oneof(...transports.map(one))), maybe(one(payload())));
// An error's own payload stays short so it cannot be mistaken for a quoted datagram.
const quoted4 = fc.oneof(cat(one(ipv4), tail(udp, tcp, icmpInfo)), one(payload(19)));
const quoted6 = fc.oneof(cat(one(ipv6), tail(udp, icmpv6Info)), one(payload(39)));
const extensions = cat(maybe(one(hopopts)), fc.array(fc.oneof(routing, fragment, destopts), { maxLength: 3 }));

const v4Stack = cat(one(ipv4), fc.oneof(tail(udp, tcp, icmpInfo), cat(one(icmpError), maybe(quoted4))));
const v6Stack = cat(one(ipv6), extensions, fc.oneof(tail(udp, tcp, icmpv6Info), one(icmpv6Nd), cat(one(icmpv6Error), maybe(quoted6))));

/** A stack and the context it needs (a stack without an IP layer takes its pseudo-header addresses from it). */
const stack: fc.Arbitrary<{ layers: Layer[]; ctx?: StackContext }> = fc.oneof(
  v4Stack.map((layers) => ({ layers })),
  v6Stack.map((layers) => ({ layers })),
  fc.tuple(tail(udp, tcp), fc.ipV4(), fc.ipV4()).filter(([l]) => l.length > 0).map(([layers, src, dst]) => ({ layers, ctx: { src, dst } })),
  fc.tuple(tail(udp, tcp, icmpv6Info), fc.ipV6(), fc.ipV6()).filter(([l]) => l.length > 0).map(([layers, src, dst]) => ({ layers, ctx: { src, dst } })),
  cat(one(icmpError), maybe(quoted4)).map((layers) => ({ layers })),
);

describe('round trip of random valid stacks', () => {
  it('every generated stack is in a legal order and builds', () => {
    fc.assert(fc.property(stack, ({ layers, ctx }) => {
      layers.forEach((l, i) => expect(canFollow(i === 0 ? null : layers[i - 1]!, l.kind)).toBe(true));
      const b = buildStack(layers, ctx);
      expect(b.ok ? '' : b.message).toBe('');
    }), RUNS);
  });

  it('parse(build(p)) equals resolve(p), every checksum good, spans tile the bytes', () => {
    fc.assert(fc.property(stack, ({ layers, ctx }) => {
      const b = buildStack(layers, ctx);
      const r = resolveStack(layers, ctx);
      if (!b.ok || !r.ok) throw new Error('did not build');
      const p = parseStack(b.bytes, layers[0]!.kind, ctx);
      expect(p.stoppedAt).toBeUndefined();
      expect(p.layers).toEqual(r.layers);
      expect(p.spans).toEqual(b.spans);
      expect(p.checksums.filter((c) => c !== null && c !== 'good')).toEqual([]);
      const bits = b.spans.reduce((n, s) => (s.offset * 8 + s.bitOffset === n ? n + s.bitLength : NaN), 0);
      expect(bits).toBe(b.bytes.length * 8);
    }), RUNS);
  });

  it('a forced wrong checksum is written as set and reads back bad', () => {
    const withChecksum = fc.tuple(stack, fc.nat(), fc.integer({ min: 1, max: 65533 })).filter(([s]) => s.layers.some((l) => l.kind !== 'payload' && hasChecksum(l.kind)));
    fc.assert(fc.property(withChecksum, ([{ layers, ctx }, pick, delta]) => {
      const idx = layers.map((l, i) => (hasChecksum(l.kind) ? i : -1)).filter((i) => i >= 0);
      const i = idx[pick % idx.length]!;
      const good = (resolveStack(layers, ctx) as { layers: Layer[] }).layers[i]!.fields.chksum as number;
      const forced = [1, 2, 3].map((k) => (good + delta + k) % 0x10000).find((v) => v !== 0 && v !== 0xffff && v !== good)!;
      const p2 = layers.map((l, j) => (j === i ? { kind: l.kind, fields: { ...l.fields, chksum: forced } } : l));
      const b = buildStack(p2, ctx);
      if (!b.ok) throw new Error(b.message);
      const p = parseStack(b.bytes, p2[0]!.kind, ctx);
      expect(p.layers).toEqual((resolveStack(p2, ctx) as { layers: Layer[] }).layers);
      expect(p.layers[i]!.fields.chksum).toBe(forced);
      expect(p.checksums[i]).toBe('bad');
    }), RUNS);
  });
});

function hasChecksum(k: LayerKind): boolean {
  return ['ipv4', 'icmp', 'icmpv6', 'tcp', 'udp'].includes(k);
}
