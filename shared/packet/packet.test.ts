// The codecs against what others say: RFC 1071's checksum example, a real
// IPv4 header, raw-socket's C checksum as an independent oracle, and every
// header ping and traceroute build and read, built with buildStack and read
// back with parseStack and keyOf (the reader ping, traceroute and the
// crafter's capture run on every packet).
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  checksumValid, echoLayers, icmpCodeName, icmpTypeName, internetChecksum, keyOf, parseStack, setEchoSequence, stackBytes, type Layer,
} from './index.js';
import { ipv6Bytes } from '../net/address.js';
import { concat } from './bytes.js';
import { mendChecksum } from './checksum.js';
import { mulberry32 } from '../../test/support/packets.js';

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((h) => parseInt(h, 16)));

// raw-socket's C implementation of the same checksum: an independent oracle.
const raw = createRequire(import.meta.url)('raw-socket') as { createChecksum: (...b: Buffer[]) => number };

const ip4 = (src: string, dst: string, more: Layer['fields'] = {}): Layer => ({ kind: 'ipv4', fields: { src, dst, ...more } });
const ip6 = (src: string, dst: string, more: Layer['fields'] = {}): Layer => ({ kind: 'ipv6', fields: { src, dst, ...more } });
const udp = (sport: number, dport: number, more: Layer['fields'] = {}): Layer => ({ kind: 'udp', fields: { sport, dport, ...more } });
const load = (bytes: Uint8Array): Layer => ({ kind: 'payload', fields: { load: bytes } });
const fieldsAt = (bytes: Uint8Array, first: Layer['kind'], i: number): Layer['fields'] => parseStack(bytes, first).layers[i]!.fields;

describe('Internet checksum', () => {
  it('gives the RFC 1071 example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2, checksum 220d', () => {
    expect(internetChecksum(hex('0001f203f4f5f6f7'))).toBe(0x220d);
  });

  it('matches a real IPv4 header (checksum b861) and validates it', () => {
    const h = hex('45000073000040004011b861c0a80001c0a800c7');
    expect(checksumValid(h)).toBe(true);
    h[10] = 0;
    h[11] = 0;
    expect(internetChecksum(h)).toBe(0xb861);
  });

  it('sums any range of a buffer, odd lengths and odd starts too, like raw-socket does', () => {
    const rnd = mulberry32(7);
    for (let n = 0; n < 300; n++) {
      const b = Uint8Array.from({ length: n * 3 + (n % 5) }, () => Math.floor(rnd() * 256));
      const start = Math.floor(rnd() * (b.length + 1));
      const end = start + Math.floor(rnd() * (b.length - start + 1));
      if (end > start) expect(internetChecksum(b, start, end)).toBe(raw.createChecksum(Buffer.from(b.subarray(start, end))));
    }
  });

  it('mends a checksum for one changed word exactly as a full recomputation does (RFC 1624)', () => {
    const rnd = mulberry32(1624);
    for (let n = 0; n < 2000; n++) {
      const b = Uint8Array.from({ length: 8 + 2 * Math.floor(rnd() * 40) }, () => Math.floor(rnd() * 256));
      b[2] = 0;
      b[3] = 0;
      const sum = internetChecksum(b);
      const at = 4 + 2 * Math.floor(rnd() * ((b.length - 4) / 2));
      const from = (b[at]! << 8) | b[at + 1]!;
      const to = n % 7 === 0 ? (n % 2 ? 0 : 0xffff) : Math.floor(rnd() * 0x10000);
      b[at] = to >> 8;
      b[at + 1] = to & 0xff;
      expect(mendChecksum(sum, from, to), `n ${n}`).toBe(internetChecksum(b));
    }
  });
});

describe('IPv4 header', () => {
  it('builds and parses back every field, options padded to 4 bytes', () => {
    const b = stackBytes([
      ip4('10.250.1.2', '10.250.3.2', { ttl: 3, dscp: 0x2e, ecn: 1, id: 0xbeef, flags: 'DF', options: [{ kind: 'NOP' }, { kind: 'NOP' }, { kind: 'NOP' }] }),
      udp(1, 2), load(new Uint8Array(4)),
    ]);
    const p = parseStack(b, 'ipv4');
    expect(b[1]).toBe(0xb9); // DSCP and ECN as one TOS byte
    expect(p.layers[0]!.fields).toMatchObject({
      version: 4, ihl: 6, dscp: 0x2e, ecn: 1, len: 36, id: 0xbeef, flags: 2, frag: 0, ttl: 3, proto: 17, src: '10.250.1.2', dst: '10.250.3.2',
      options: [{ kind: 'NOP' }, { kind: 'NOP' }, { kind: 'NOP' }, { kind: 'EOL' }],
    });
    expect(p.checksums[0]).toBe('good');
    expect(keyOf(b, 'ipv4')).toMatchObject({ family: 4, src: '10.250.1.2', dst: '10.250.3.2', proto: 17, upper: 24, end: 36, ttl: 3 });
  });

  it('a datagram cut short (a quoted header): its length field as sent, the bytes present where they end', () => {
    const b = stackBytes([ip4('1.2.3.4', '5.6.7.8', { proto: 1, len: 120 }), load(new Uint8Array(8))]);
    expect(fieldsAt(b, 'ipv4', 0).len).toBe(120);
    expect(keyOf(b, 'ipv4')).toMatchObject({ upper: 20, end: 28 });
  });

  it('short input, another version, a header length below 20 or past the bytes: no upper layer to read', () => {
    const h = stackBytes([ip4('1.2.3.4', '5.6.7.8', { proto: 1 })]);
    expect(parseStack(h.subarray(0, 19), 'ipv4').stoppedAt).toEqual({ offset: 0, reason: 'IPv4 header cut short: dst needs 20 bytes, 19 present' });
    for (const first of [0x65, 0x44, 0x46]) {
      const b = h.slice();
      b[0] = first;
      expect(keyOf(b, 'ipv4'), first.toString(16)).toMatchObject({ upper: -1 });
    }
    const opts = h.slice();
    opts[0] = 0x46;
    expect(parseStack(opts, 'ipv4').stoppedAt).toEqual({ offset: 0, reason: 'IPv4 options needs 4 bytes, 0 present' });
  });

  it('the builder refuses fields out of range, naming the field', () => {
    expect(() => stackBytes([ip4('1.2.3.4', 'x')])).toThrow(/dst/);
    expect(() => stackBytes([ip4('1.2.3.4', '1.1.1.1', { ttl: 256 })])).toThrow(/ttl must be 0\.\.255/);
    expect(() => stackBytes([ip4('1.2.3.4', '1.1.1.1'), load(new Uint8Array(65516))])).toThrow(/at most 65535/);
  });
});

describe('IPv6 header', () => {
  it('builds and parses back, walking extension headers to the upper layer', () => {
    const b = stackBytes([
      ip6('fd00:250:1::2', 'fd00:250:3::2', { hlim: 2, tc: 0xa5, fl: 0x12345 }),
      { kind: 'hopopts', fields: { options: [{ kind: 'PadN', data: new Uint8Array(4) }] } },
      udp(1, 2, { chksum: 0 }),
    ]);
    const p = parseStack(b, 'ipv6');
    expect(p.layers.map((l) => l.kind)).toEqual(['ipv6', 'hopopts', 'udp']);
    expect(p.layers[0]!.fields).toMatchObject({ version: 6, tc: 0xa5, fl: 0x12345, plen: 16, nh: 0, hlim: 2, src: 'fd00:250:1::2', dst: 'fd00:250:3::2' });
    expect(keyOf(b, 'ipv6')).toMatchObject({ family: 6, proto: 17, upper: 48, end: 56, ttl: 2, sport: 1, dport: 2 });
  });

  it('short input, another version, a cut extension header: no upper layer to read', () => {
    const h = stackBytes([ip6('::1', '::1', { nh: 60, plen: 8 })]);
    expect(keyOf(h.subarray(0, 39), 'ipv6')).toMatchObject({ proto: null, upper: -1 });
    expect(parseStack(h.subarray(0, 39), 'ipv6').stoppedAt?.offset).toBe(0);
    const v4 = h.slice();
    v4[0] = 0x45;
    expect(keyOf(v4, 'ipv6')).toMatchObject({ src: null, upper: -1 });
    const cut = concat(h, Uint8Array.of(17, 0, 0));
    expect(parseStack(cut, 'ipv6').stoppedAt).toMatchObject({ offset: 40 });
    expect(keyOf(concat(h, Uint8Array.of(17, 1)), 'ipv6')).toMatchObject({ upper: -1 });
  });
});

describe('UDP', () => {
  it('the checksum covers the IPv4 or IPv6 pseudo-header, and is checked on parse against the addresses given', () => {
    const payload = Uint8Array.of(1, 2, 3);
    const v4 = { src: '10.0.0.1', dst: '10.0.0.2' };
    const d4 = stackBytes([udp(40000, 33434), load(payload)], v4);
    expect(parseStack(d4, 'udp', v4).checksums[0]).toBe('good');
    expect(parseStack(d4, 'udp', { ...v4, dst: '10.0.0.3' }).checksums[0]).toBe('bad');
    const v6 = { src: '::1', dst: '::1' };
    expect(parseStack(stackBytes([udp(40000, 33434), load(payload)], v6), 'udp', v6).checksums[0]).toBe('good');
    expect(parseStack(d4, 'udp', v4).layers[0]!.fields).toEqual({ sport: 40000, dport: 33434, len: 11, chksum: (d4[6]! << 8) | d4[7]! });
    // 0 over IPv4 means "no checksum": nothing to check.
    const none = stackBytes([udp(1, 2, { chksum: 0 })]);
    expect(parseStack(none, 'udp', { src: '1.1.1.1', dst: '2.2.2.2' }).checksums[0]).toBe('unknown');
  });

  it('a header of fewer than 8 bytes stops the parse; a length field below 8 is read as sent', () => {
    expect(parseStack(new Uint8Array(7), 'udp').stoppedAt?.offset).toBe(0);
    expect(parseStack(new Uint8Array(8), 'udp').layers[0]!.fields.len).toBe(0);
  });
});

describe('ICMP echo', () => {
  it('builds an echo request whose checksum raw-socket agrees with, and parses it back', () => {
    const payload = Uint8Array.from({ length: 56 }, (_, i) => i);
    const m = stackBytes(echoLayers(4, { identifier: 0x1234, sequence: 65535, payload }));
    expect([...m.subarray(0, 2)]).toEqual([8, 0]);
    const copy = Buffer.from(m);
    copy[2] = 0;
    copy[3] = 0;
    expect((m[2]! << 8) | m[3]!).toBe(raw.createChecksum(copy));
    const p = parseStack(m, 'icmp');
    expect(p.layers[0]!.fields).toMatchObject({ type: 8, code: 0, id: 0x1234, seq: 65535 });
    expect(p.layers[1]!.fields.load).toEqual(payload);
    expect(p.checksums[0]).toBe('good');
    expect(keyOf(m, 'icmp')).toMatchObject({ type: 8, code: 0, id: 0x1234, icmpSeq: 65535, upper: 0, end: 64 });
    expect(keyOf(stackBytes(echoLayers(4, { identifier: 1, sequence: 2, reply: true })), 'icmp')).toMatchObject({ type: 0, id: 1, icmpSeq: 2 });
  });

  it('reports a bad checksum without refusing the message', () => {
    const m = stackBytes(echoLayers(4, { identifier: 1, sequence: 1 }));
    m[7] = m[7]! ^ 1;
    expect(checksumValid(m)).toBe(false);
    expect(parseStack(m, 'icmp')).toMatchObject({ checksums: ['bad'], layers: [{ fields: { seq: 0 } }] });
  });

  it('a message of fewer than 8 bytes has no identifier or sequence', () => {
    expect(parseStack(new Uint8Array(7), 'icmp').stoppedAt?.offset).toBe(0);
    expect(keyOf(Uint8Array.of(0, 0, 0, 0, 0, 1, 0), 'icmp')).toMatchObject({ type: 0 });
    expect(keyOf(Uint8Array.of(0, 0, 0, 0, 0, 1, 0), 'icmp').id).toBeUndefined();
  });

  it('setEchoSequence gives the bytes a full build gives, for every sequence (ICMP) and leaves ICMPv6 sums to the kernel', () => {
    for (const size of [0, 1, 7, 56, 1473]) {
      const payload = Uint8Array.from({ length: size }, (_, i) => (i * 37 + size) & 0xff);
      const b = stackBytes(echoLayers(4, { identifier: 0xbeef, sequence: 0, payload }));
      const differ: number[] = [];
      for (let seq = size === 56 ? 0 : 0xff00; seq <= 0xffff; seq++) {
        setEchoSequence(b, seq, 4);
        if (Buffer.compare(b, stackBytes(echoLayers(4, { identifier: 0xbeef, sequence: seq, payload }))) !== 0) differ.push(seq);
      }
      expect(differ, `size ${size}`).toEqual([]);
      for (const seq of [1, 2, 255, 256, 0x7fff, 0]) {
        setEchoSequence(b, seq, 4);
        expect(checksumValid(b), `size ${size} seq ${seq}`).toBe(true);
      }
    }
    const v6 = stackBytes(echoLayers(6, { identifier: 1, sequence: 1 }));
    setEchoSequence(v6, 2, 6);
    expect(v6).toEqual(stackBytes(echoLayers(6, { identifier: 1, sequence: 2 })));
    expect([v6[2], v6[3]]).toEqual([0, 0]);
  });
});

describe('ICMP errors quote the original packet', () => {
  const probe = (ttl: number): Uint8Array => stackBytes([
    ip4('10.250.1.2', '10.250.3.2', { ttl }), ...echoLayers(4, { identifier: 0xabcd, sequence: 7, payload: new Uint8Array(32) }),
  ]);
  const error = (type: string, code: number, quoted: Uint8Array, more: Layer['fields'] = {}): Uint8Array =>
    stackBytes([{ kind: 'icmp', fields: { type, code, ...more } }, load(quoted)]);

  it('time exceeded: its code by name, the quoted echo identifier and sequence, the quoted header', () => {
    const m = error('time-exceeded', 0, probe(1).subarray(0, 28));
    expect(icmpCodeName(4, m[0]!, m[1]!)).toBe('ttl-exceeded-in-transit');
    expect(checksumValid(m)).toBe(true);
    expect(keyOf(m, 'icmp').quoted).toMatchObject({ family: 4, src: '10.250.1.2', dst: '10.250.3.2', proto: 1, ttl: 1, type: 8, code: 0, id: 0xabcd, icmpSeq: 7 });
    const p = parseStack(m, 'icmp');
    expect(p.layers.map((l) => l.kind)).toEqual(['icmp', 'ipv4', 'icmp']);
    expect(p.layers[1]!.fields).toMatchObject({ ttl: 1, len: 60 });
    expect(p.checksums).toEqual(['good', 'good', 'unknown']);
  });

  it('destination unreachable: codes by name; port unreachable quotes the UDP ports; fragmentation needed the MTU', () => {
    const original = stackBytes([ip4('10.250.1.2', '10.250.3.2'), udp(45000, 33437, { chksum: 0 }), load(new Uint8Array(10))]);
    const names: [number, string][] = [
      [0, 'net-unreachable'], [1, 'host-unreachable'], [3, 'port-unreachable'], [4, 'fragmentation-needed'],
      [13, 'communication-administratively-prohibited'], [15, 'precedence-cutoff-in-effect'], [99, 'code-99'],
    ];
    for (const [code, name] of names) {
      const m = error('dest-unreach', code, original);
      expect(icmpTypeName(4, m[0]!)).toBe('dest-unreach');
      expect(icmpCodeName(4, m[0]!, m[1]!)).toBe(name);
      expect(keyOf(m, 'icmp').quoted).toMatchObject({ proto: 17, sport: 45000, dport: 33437 });
    }
    expect(fieldsAt(error('dest-unreach', 4, original, { nexthopmtu: 1400 }), 'icmp', 0).nexthopmtu).toBe(1400);
    expect(icmpCodeName(4, 4, 0)).toBe('source-quench');
    expect(icmpCodeName(4, 4, 1)).toBe('code-1');
  });

  it('a quote cut before its 8 transport bytes still gives the header; a garbage one gives none', () => {
    const q = keyOf(error('time-exceeded', 0, probe(1).subarray(0, 24)), 'icmp').quoted!;
    expect(q.dst).toBe('10.250.3.2');
    expect(q.id).toBeUndefined();
    expect(keyOf(error('time-exceeded', 0, Uint8Array.of(1, 2, 3)), 'icmp').quoted).toMatchObject({ dst: null, proto: null });
  });
});

describe('ICMPv6', () => {
  const addresses = { src: 'fd00::1', dst: 'fd00::2' };
  const echo6 = (more: Layer['fields'], payload?: Uint8Array): Layer[] => [
    { kind: 'icmpv6', fields: { type: 'echo-request', ...more } }, ...(payload ? [load(payload)] : []),
  ];

  it('the echo checksum covers the pseudo-header: checked on parse when the addresses are known', () => {
    const m = stackBytes(echo6({ id: 9, seq: 10 }, Uint8Array.of(0xaa, 0xbb, 0xcc)), addresses);
    const p = parseStack(m, 'icmpv6', addresses);
    expect(p.checksums).toEqual(['good', null]);
    expect(p.layers[0]!.fields).toMatchObject({ type: 128, id: 9, seq: 10 });
    expect(parseStack(m, 'icmpv6', { ...addresses, dst: 'fd00::3' }).checksums[0]).toBe('bad');
    expect(parseStack(m, 'icmpv6').checksums[0]).toBe('unknown');
    // ping's requests leave the checksum to the kernel
    expect(stackBytes(echoLayers(6, { identifier: 9, sequence: 10 })).subarray(2, 4)).toEqual(Uint8Array.of(0, 0));
    expect(keyOf(stackBytes(echoLayers(6, { identifier: 1, sequence: 1, reply: true })), 'icmpv6')).toMatchObject({ type: 129, id: 1, icmpSeq: 1 });
  });

  it('the checksum agrees with a word-by-word sum over pseudo-header + message', () => {
    const m = stackBytes(echo6({ id: 0xffff, seq: 1 }, Uint8Array.of(1, 2, 3, 4, 5)), addresses);
    const pseudo = concat(ipv6Bytes('fd00::1')!, ipv6Bytes('fd00::2')!, Uint8Array.of(0, 0, 0, m.length, 0, 0, 0, 58), m, Uint8Array.of(0));
    let sum = 0;
    for (let i = 0; i < pseudo.length - 1; i += 2) sum += (pseudo[i]! << 8) | pseudo[i + 1]!;
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    expect(sum).toBe(0xffff);
  });

  it('errors quote the IPv6 packet: echo identifier and sequence, or UDP ports; codes by name', () => {
    const original = stackBytes([ip6('fd00::1', 'fd00::9', { hlim: 1 }), ...echoLayers(6, { identifier: 0x4242, sequence: 3 })]);
    const te = stackBytes([{ kind: 'icmpv6', fields: { type: 'time-exceeded' } }, load(original)], addresses);
    expect(parseStack(te, 'icmpv6', addresses).checksums[0]).toBe('good');
    expect(icmpCodeName(6, te[0]!, te[1]!)).toBe('hop-limit-exceeded-in-transit');
    expect(keyOf(te, 'icmpv6').quoted).toMatchObject({ family: 6, dst: 'fd00::9', proto: 58, type: 128, id: 0x4242, icmpSeq: 3 });
    const u = stackBytes([ip6('fd00::1', 'fd00::9'), udp(1000, 33434, { chksum: 0 })]);
    const names = ['no-route-to-destination', 'administratively-prohibited', 'beyond-scope-of-source-address', 'address-unreachable',
      'port-unreachable', 'source-address-failed-policy', 'reject-route-to-destination', 'error-in-source-routing-header', 'headers-too-long'];
    names.forEach((name, code) => {
      const m = stackBytes([{ kind: 'icmpv6', fields: { type: 'dest-unreach', code, chksum: 0 } }, load(u)]);
      expect(icmpCodeName(6, m[0]!, m[1]!)).toBe(name);
      expect(keyOf(m, 'icmpv6').quoted).toMatchObject({ sport: 1000, dport: 33434 });
    });
    const big = stackBytes([{ kind: 'icmpv6', fields: { type: 'packet-too-big', mtu: 1280, chksum: 0 } }, load(u)]);
    expect(fieldsAt(big, 'icmpv6', 0).mtu).toBe(1280);
    expect(icmpCodeName(6, 2, 0)).toBe('packet-too-big');
    const pp = stackBytes([{ kind: 'icmpv6', fields: { type: 'parameter-problem', code: 1, ptr: 6, chksum: 0 } }, load(u)]);
    expect(fieldsAt(pp, 'icmpv6', 0).ptr).toBe(6);
    expect(icmpCodeName(6, pp[0]!, pp[1]!)).toBe('unrecognized-next-header');
  });

  it('other types quote nothing; fewer than 8 bytes have no identifier', () => {
    expect(keyOf(Uint8Array.of(135, 0, 0, 0, 0, 0, 0, 0), 'icmpv6')).toMatchObject({ type: 135 });
    expect(keyOf(Uint8Array.of(135, 0, 0, 0, 0, 0, 0, 0), 'icmpv6').quoted).toBeUndefined();
    expect(keyOf(Uint8Array.of(128, 0), 'icmpv6').id).toBeUndefined();
    expect(icmpTypeName(6, 135)).toBe('neighbor-solicitation');
    expect(icmpTypeName(6, 250)).toBe('type-250');
  });
});
