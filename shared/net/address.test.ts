// One address parser and one formatter, checked against Node's own (net.isIPv4 /
// isIPv6 for what is an address, inet_ntop through net.SocketAddress for the
// text of one), and everything that reads addresses (the contract's schemas,
// sweep targets, the packet codecs, the crafter) agreeing with them.
import fc from 'fast-check';
import { isIP, isIPv4 as nodeIsIPv4, isIPv6 as nodeIsIPv6, SocketAddress } from 'node:net';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { IpAddress, MulticastGroup, SocketAddress as SocketAddressSchema } from '../contract/schemas.js';
import { canonicalAddress } from '../packet/answers.js';
import { keyOf, parseStack, resolveStack, stackBytes } from '../packet/index.js';
import { canonicalIp, formatIPv6, ipBytes, ipFamily, ipv4Bytes, ipv4Word, ipv6Bytes, ipv6BytesShared, isIPv4, isIPv6 } from './address.js';
import { expandTargets } from './targets.js';

const RUNS = { numRuns: 3000 };

/** Node's verdict, except for the zone: ours is an interface name or index as Linux spells one ([\w.-], at most 64). */
function nodeFamily(s: string): 4 | 6 | null {
  const pct = s.indexOf('%');
  if (pct < 0) return isIP(s) === 0 ? null : (isIP(s) as 4 | 6);
  return nodeIsIPv6(s.slice(0, pct)) && /^[\w.-]{1,64}$/.test(s.slice(pct + 1)) ? 6 : null;
}

/** What inet_ntop prints (Node's SocketAddress), for an address outside ::/96. */
const ntop = (b: Uint8Array): string => new SocketAddress({ address: formatFull(b), family: 'ipv6' }).address;
const formatFull = (b: Uint8Array): string =>
  Array.from({ length: 8 }, (_, i) => ((b[i * 2]! << 8) | b[i * 2 + 1]!).toString(16)).join(':');
/** ::/96 (IPv4-compatible, deprecated): inet_ntop prints a dotted tail there, RFC 5952 §5 does not (only for ::ffff:0:0/96). */
const inCompat96 = (b: Uint8Array): boolean => b.subarray(0, 12).every((x) => x === 0);

// Valid IPv6 text spelled any way RFC 4291 allows: any zero run (or none) as ::,
// upper or lower case, leading zeros, a dotted IPv4 tail, a zone.
const v6Text = fc
  .record({
    groups: fc.array(fc.oneof(fc.constant(0), fc.constant(0xffff), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 }),
    run: fc.nat(),
    upper: fc.boolean(),
    pad: fc.boolean(),
    v4: fc.boolean(),
    zone: fc.option(fc.stringMatching(/^[0-9A-Za-z.-]{1,8}$/), { freq: 4 }),
  })
  .map(({ groups, run, upper, pad, v4, zone }) => {
    const parts = groups.map((g) => g.toString(16).padStart(pad ? 4 : 1, '0'));
    if (v4) parts.splice(6, 2, `${groups[6]! >> 8}.${groups[6]! & 255}.${groups[7]! >> 8}.${groups[7]! & 255}`);
    const runs: [number, number][] = [];
    for (let i = 0; i < parts.length; i++) for (let j = i; j < parts.length && /^0+$/.test(parts[j]!); j++) runs.push([i, j + 1 - i]);
    let text = parts.join(':');
    const pick = runs[run % (runs.length + 1)];
    if (pick) text = `${parts.slice(0, pick[0]).join(':')}::${parts.slice(pick[0] + pick[1]).join(':')}`;
    if (upper) text = text.toUpperCase();
    return zone ? `${text}%${zone}` : text;
  });
const v4Text = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
// Near misses: one character dropped, doubled or put in.
const mutated = fc
  .tuple(fc.oneof(v6Text, v4Text), fc.nat(), fc.constantFrom('drop', 'double', ':', '.', '0', 'f', 'g', '%', ' ', '::', '1.2.3.4', '_'))
  .map(([s, at, how]) => {
    const i = at % (s.length + 1);
    if (how === 'drop') return s.slice(0, i) + s.slice(i + 1);
    if (how === 'double') return s.slice(0, i) + s.slice(i, i + 1) + s.slice(i);
    return s.slice(0, i) + how + s.slice(i);
  });
const tokens = fc
  .array(fc.constantFrom('0', '1', 'a', 'ff', 'ffff', 'FFFF', '0000', '00000', 'g', ':', '::', ':::', '.', '1.2.3.4', '255', '256', '01', '%eth0', '%', '%1'), { maxLength: 12 })
  .map((t) => t.join(''));
const candidates = fc.oneof(v6Text, v4Text, mutated, mutated, tokens);

/** The malformed IPv6 forms an earlier check let through, and their neighbours. */
const MALFORMED = [
  ':1::2', '1::2:', ':::', '1:::2', '::1:', ':1::', ':1', '1:', '::1::', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::8', '::1:2:3:4:5:6:7:8',
  '1:2:3:4:5:6:7', '12345::1', 'g::1', '::ffff:1.2.3', '::ffff:1.2.3.256', '::ffff:01.2.3.4', '::ffff:1.2.3.4.5', '1:2:3:4:5:6:7:1.2.3.4',
  '::1.2.3.4:1', '1.2.3.4::', '::ffff:1.2.3.4:', '::1%', 'fe80::1%', 'fe80::1%a b', 'fe80::1%a%b', 'ff02::1:', 'ff02:::1',
];

describe('one address parser', () => {
  it('says what an IP literal is exactly as Node does (net.isIPv4 / isIPv6), and so does the contract', () => {
    fc.assert(
      fc.property(candidates, (s) => {
        const want = nodeFamily(s);
        expect(ipFamily(s), s).toBe(want);
        expect(isIPv4(s), s).toBe(nodeIsIPv4(s));
        expect(isIPv6(s), s).toBe(want === 6);
        expect(ipv4Word(s) >= 0, s).toBe(nodeIsIPv4(s));
        expect(ipv6Bytes(s) !== null, s).toBe(want === 6);
        expect(ipBytes(s)?.length ?? null, s).toBe(want === null ? null : want === 4 ? 4 : 16);
        expect(v.safeParse(IpAddress, s).success, s).toBe(nodeFamily(s.trim()) !== null);
      }),
      RUNS,
    );
  });

  it('reads a dotted quad as Node does on the tricky cases', () => {
    const tricky = ['1.2.3.4', '0.0.0.0', '255.255.255.255', '256.1.1.1', '01.2.3.4', '1.2.3.04', '1.2.3', '1.2.3.4.', '.1.2.3.4',
      '1..2.3', ' 1.2.3.4', '1.2.3.4 ', '', '1.2.3.4.5', '00.0.0.0', '1.2.3.-4', '1.2.3.+4', '1e2.0.0.0', '0x1.2.3.4', '127.1', '199.249.250.255'];
    for (const s of tricky) {
      expect(isIPv4(s), s).toBe(nodeIsIPv4(s));
      const w = ipv4Word(s);
      expect(w < 0 ? null : [w >>> 24, (w >>> 16) & 255, (w >>> 8) & 255, w & 255], s).toEqual(nodeIsIPv4(s) ? s.split('.').map(Number) : null);
    }
  });

  it.each(MALFORMED)('refuses %j in every parser, the contract\'s schemas, sweep targets and the crafter', (s) => {
    expect(nodeIsIPv6(s)).toBe(false);
    expect(isIPv6(s)).toBe(false);
    expect(ipFamily(s)).toBeNull();
    expect(ipv6Bytes(s)).toBeNull();
    expect(ipBytes(s)).toBeNull();
    expect(ipv6BytesShared(s)).toBeNull();
    expect(v.safeParse(IpAddress, s).success).toBe(false);
    expect(v.safeParse(SocketAddressSchema, s).success).toBe(false);
    expect(v.safeParse(MulticastGroup, s).success).toBe(false);
    expect(expandTargets(s).ok).toBe(false);
    expect(expandTargets(`${s}/120`).ok).toBe(false);
    const r = resolveStack([{ kind: 'ipv6', fields: { src: '::1', dst: s } }]);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.field).toBe('dst');
  });

  it('reads the bytes Node reads: an IPv4 literal\'s value, an IPv6 one\'s text back as inet_ntop prints it', () => {
    fc.assert(
      fc.property(candidates, (s) => {
        if (nodeIsIPv4(s)) expect(Array.from(ipv4Bytes(s)!), s).toEqual(s.split('.').map(Number));
        if (nodeFamily(s) !== 6) return;
        const b = ipv6Bytes(s)!;
        if (!inCompat96(b)) expect(formatIPv6(b), s).toBe(ntop(b));
      }),
      RUNS,
    );
  });
});

describe('one RFC 5952 formatter', () => {
  it('prints the RFC\'s own examples', () => {
    const cases: [string, string][] = [
      ['::1', '::1'],
      ['::', '::'],
      ['2001:DB8:0:0:0:0:2:1', '2001:db8::2:1'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
      ['2001:db8::1:0:0:1', '2001:db8::1:0:0:1'],
      ['fe80::1%eth0', 'fe80::1'],
      ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
      ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
      ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ];
    for (const [input, out] of cases) expect(formatIPv6(ipv6Bytes(input)!)).toBe(out);
    expect(ipv4Bytes('10.250.1.2')).toEqual(Uint8Array.of(10, 250, 1, 2));
    expect(canonicalIp('FE80:0::0001%eth0.100')).toBe('fe80::1%eth0.100');
    expect(canonicalIp('10.0.0.1')).toBe('10.0.0.1');
    expect(canonicalIp('localhost')).toBeNull();
  });

  it('prints what inet_ntop prints (lower case, the first longest zero run of two or more as ::), outside ::/96', () => {
    const bytes = fc.array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 })
      .map((g) => Uint8Array.from(g.flatMap((w) => [w >> 8, w & 255])));
    fc.assert(
      fc.property(bytes, (b) => {
        const text = formatIPv6(b);
        expect(ipv6Bytes(text), text).toEqual(b);
        if (!inCompat96(b)) expect(text).toBe(ntop(b));
      }),
      RUNS,
    );
    expect(formatIPv6(ipv6Bytes('1:0:0:2:0:0:3:4')!)).toBe('1::2:0:0:3:4');
    expect(formatIPv6(ipv6Bytes('1:2:3:4:5:6:7:0')!)).toBe('1:2:3:4:5:6:7:0');
    expect(formatIPv6(ipv6Bytes('::102:304')!)).toBe('::102:304');
  });

  it('prints ::ffff:1.2.3.4 (RFC 5952 §5) the same everywhere: formatter, sweep targets, codecs, crafter', () => {
    const mapped = '::ffff:1.2.3.4';
    const spellings = [mapped, '0:0:0:0:0:FFFF:0102:0304', '::ffff:102:304', '0::ffff:1.2.3.4'];
    expect(new SocketAddress({ address: spellings[1]!, family: 'ipv6' }).address).toBe(mapped);
    for (const s of spellings) {
      expect(formatIPv6(ipv6Bytes(s)!), s).toBe(mapped);
      expect(expandTargets(s), s).toEqual({ ok: true, targets: [mapped] });
      expect(canonicalAddress(s), s).toBe(mapped);
      const r = resolveStack([{ kind: 'ipv6', fields: { src: s, dst: '::1' } }]);
      expect(r.ok && r.layers[0]!.fields.src, s).toBe(mapped);
    }
    expect(expandTargets('::ffff:1.2.3.0/126')).toEqual({ ok: true, targets: ['::ffff:1.2.3.0', '::ffff:1.2.3.1', '::ffff:1.2.3.2', '::ffff:1.2.3.3'] });
    const header = stackBytes([{ kind: 'ipv6', fields: { src: spellings[2]!, dst: '::1' } }]);
    expect(keyOf(header, 'ipv6').src).toBe(mapped);
    const stack = parseStack(header, 'ipv6');
    expect(stack.layers[0]!.fields.src).toBe(mapped);
  });
});
