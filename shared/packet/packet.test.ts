import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  buildIcmpEcho, buildIcmpError, buildIcmpv6Echo, buildIcmpv6Error, buildIPv4Header, buildIPv6Header, buildUdp,
  checksumValid, internetChecksum, parseIcmp, parseIcmpv6, parseIPv4Header,
  parseIPv6Header, parseQuoted, parseUdpHeader, udpChecksumValid, unreachableFlag, ICMP_UNREACHABLE_CODES,
  ICMPV6_UNREACHABLE_CODES,
} from './index.js';
import { ipv6Bytes } from '../net/address.js';
import { concat } from './bytes.js';
import { ok } from '../../test/support/packets.js';

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((h) => parseInt(h, 16)));

// raw-socket's C implementation of the same checksum: an independent oracle.
const raw = createRequire(import.meta.url)('raw-socket') as { createChecksum: (...b: Buffer[]) => number };

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

  it('sums parts as one buffer, whatever their lengths (odd ones too), like raw-socket does', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) & 0xff;
    for (let n = 0; n < 200; n++) {
      const whole = Uint8Array.from({ length: n * 3 + (n % 5) }, rnd);
      const cut1 = Math.floor(whole.length / 3);
      const cut2 = cut1 + (n % 7);
      const parts = [whole.subarray(0, cut1), whole.subarray(cut1, Math.min(cut2, whole.length)), whole.subarray(Math.min(cut2, whole.length))];
      expect(internetChecksum(...parts)).toBe(internetChecksum(whole));
      if (whole.length > 0) expect(internetChecksum(whole)).toBe(raw.createChecksum(Buffer.from(whole)));
    }
  });
});

describe('IPv4 header', () => {
  it('builds and parses back every field', () => {
    const h = buildIPv4Header({
      source: '10.250.1.2', destination: '10.250.3.2', protocol: 17, payloadLength: 12, ttl: 3, tos: 0xb9,
      identification: 0xbeef, df: true, options: Uint8Array.of(1, 1, 1),
    });
    expect(h.length).toBe(24);
    const p = ok(parseIPv4Header(concat(h, new Uint8Array(12))));
    expect(p).toMatchObject({
      version: 4, headerLength: 24, tos: 0xb9, dscp: 0x2e, ecn: 1, totalLength: 36, identification: 0xbeef,
      flags: { reserved: false, df: true, mf: false }, fragmentOffset: 0, ttl: 3, protocol: 17, checksumOk: true,
      source: '10.250.1.2', destination: '10.250.3.2', payloadOffset: 24, payloadLength: 12, truncated: false,
    });
    expect([...p.options]).toEqual([1, 1, 1, 0]);
  });

  it('says truncated when fewer bytes than the total length are present (a quoted header)', () => {
    const h = buildIPv4Header({ source: '1.2.3.4', destination: '5.6.7.8', protocol: 1, payloadLength: 100 });
    const p = ok(parseIPv4Header(concat(h, new Uint8Array(8))));
    expect(p.truncated).toBe(true);
    expect(p.payloadLength).toBe(8);
  });

  it('refuses short input, another version, a header length below 20, a total length below the header', () => {
    const h = buildIPv4Header({ source: '1.2.3.4', destination: '5.6.7.8', protocol: 1, payloadLength: 0 });
    expect(parseIPv4Header(h.subarray(0, 19))).toEqual({ ok: false, error: 'IPv4 header needs 20 bytes, 19 present', offset: 0 });
    const v6 = h.slice();
    v6[0] = 0x65;
    expect(parseIPv4Header(v6)).toMatchObject({ ok: false, error: 'IP version is 6, not 4', offset: 0 });
    const short = h.slice();
    short[0] = 0x44;
    expect(parseIPv4Header(short)).toMatchObject({ ok: false, offset: 0 });
    const opts = h.slice();
    opts[0] = 0x46;
    expect(parseIPv4Header(opts)).toMatchObject({ ok: false, error: 'IPv4 header with options needs 24 bytes, 20 present', offset: 20 });
    const tl = h.slice();
    tl[2] = 0;
    tl[3] = 10;
    expect(parseIPv4Header(tl)).toMatchObject({ ok: false, offset: 2 });
    expect(parseIPv4Header(h, 5)).toMatchObject({ ok: false, offset: 5 });
  });

  it('builders refuse fields out of range with the field name', () => {
    expect(() => buildIPv4Header({ source: '1.2.3.4', destination: 'x', protocol: 1, payloadLength: 0 })).toThrow(/destination/);
    expect(() => buildIPv4Header({ source: '1.2.3.4', destination: '1.1.1.1', protocol: 1, payloadLength: 0, ttl: 256 })).toThrow(/ttl/);
    expect(() => buildIPv4Header({ source: '1.2.3.4', destination: '1.1.1.1', protocol: 1, payloadLength: 65516 })).toThrow(/payloadLength/);
  });
});

describe('IPv6 header', () => {
  it('builds and parses back, walking extension headers to the upper layer', () => {
    const h = buildIPv6Header({ source: 'fd00:250:1::2', destination: 'fd00:250:3::2', nextHeader: 0, payloadLength: 16, hopLimit: 2, trafficClass: 0xa5, flowLabel: 0x12345 });
    // a hop-by-hop header (8 bytes, next = UDP) then 8 bytes of UDP header
    const hbh = Uint8Array.of(17, 0, 1, 4, 0, 0, 0, 0);
    const udp = buildUdp({ sourcePort: 1, destinationPort: 2 });
    const p = ok(parseIPv6Header(concat(h, hbh, udp)));
    expect(p).toMatchObject({
      version: 6, trafficClass: 0xa5, flowLabel: 0x12345, payloadLength: 16, nextHeader: 0, hopLimit: 2,
      source: 'fd00:250:1::2', destination: 'fd00:250:3::2', extensions: [0], protocol: 17, payloadOffset: 48,
      upperLayerLength: 8, truncated: false, laterFragment: false,
    });
  });

  it('refuses short input, another version, a truncated extension header', () => {
    const h = buildIPv6Header({ source: '::1', destination: '::1', nextHeader: 60, payloadLength: 8 });
    expect(parseIPv6Header(h.subarray(0, 39))).toMatchObject({ ok: false, offset: 0 });
    expect(parseIPv6Header(concat(h, Uint8Array.of(17, 0, 0)))).toMatchObject({ ok: false, offset: 40 });
    const v4 = h.slice();
    v4[0] = 0x45;
    expect(parseIPv6Header(v4)).toMatchObject({ ok: false, error: 'IP version is 4, not 6' });
  });
});

describe('UDP', () => {
  it('builds with a checksum over the pseudo-header that validates (v4 and v6), and parses back', () => {
    const payload = Uint8Array.of(1, 2, 3);
    const d4 = buildUdp({ sourcePort: 40000, destinationPort: 33434, payload, source: '10.0.0.1', destination: '10.0.0.2' });
    expect(udpChecksumValid(d4, '10.0.0.1', '10.0.0.2')).toBe(true);
    expect(udpChecksumValid(d4, '10.0.0.1', '10.0.0.3')).toBe(false);
    const d6 = buildUdp({ sourcePort: 40000, destinationPort: 33434, payload, source: '::1', destination: '::1' });
    expect(udpChecksumValid(d6, '::1', '::1')).toBe(true);
    expect(ok(parseUdpHeader(d4))).toEqual({
      sourcePort: 40000, destinationPort: 33434, length: 11, checksum: (d4[6]! << 8) | d4[7]!, payloadOffset: 8, payloadLength: 3, truncated: false,
    });
    const none = buildUdp({ sourcePort: 1, destinationPort: 2 });
    expect(ok(parseUdpHeader(none)).checksum).toBe(0);
    expect(udpChecksumValid(none, '1.1.1.1', '2.2.2.2')).toBe(true);
  });

  it('refuses fewer than 8 bytes and a length field below 8', () => {
    expect(parseUdpHeader(new Uint8Array(7))).toMatchObject({ ok: false, offset: 0 });
    expect(parseUdpHeader(new Uint8Array(8))).toMatchObject({ ok: false, offset: 4, error: 'UDP length 0 is shorter than its 8-byte header' });
  });
});

describe('ICMP echo', () => {
  it('builds an echo request whose checksum raw-socket agrees with, and parses it back', () => {
    const payload = Uint8Array.from({ length: 56 }, (_, i) => i);
    const m = buildIcmpEcho({ identifier: 0x1234, sequence: 65535, payload });
    expect([...m.subarray(0, 8)].slice(0, 2)).toEqual([8, 0]);
    const copy = Buffer.from(m);
    copy[2] = 0;
    copy[3] = 0;
    expect((m[2]! << 8) | m[3]!).toBe(raw.createChecksum(copy));
    const p = ok(parseIcmp(m));
    expect(p).toMatchObject({ kind: 'echo-request', type: 8, code: 0, identifier: 0x1234, sequence: 65535, checksumOk: true, length: 64 });
    if (p.kind !== 'echo-request') throw new Error();
    expect([...p.payload]).toEqual([...payload]);
    const reply = ok(parseIcmp(buildIcmpEcho({ type: 'reply', identifier: 1, sequence: 2 })));
    expect(reply).toMatchObject({ kind: 'echo-reply', type: 0, identifier: 1, sequence: 2, checksumOk: true });
  });

  it('reports a bad checksum without refusing the message', () => {
    const m = buildIcmpEcho({ identifier: 1, sequence: 1 });
    m[7] = m[7]! ^ 1;
    expect(ok(parseIcmp(m)).checksumOk).toBe(false);
  });

  it('refuses fewer than 8 bytes, naming the offset', () => {
    expect(parseIcmp(new Uint8Array(27), 20)).toEqual({ ok: false, error: 'ICMP header needs 8 bytes, 7 present', offset: 20 });
  });
});

describe('ICMP errors quote the original packet', () => {
  const probe = (ttl: number) => {
    const echo = buildIcmpEcho({ identifier: 0xabcd, sequence: 7, payload: new Uint8Array(32) });
    return concat(buildIPv4Header({ source: '10.250.1.2', destination: '10.250.3.2', protocol: 1, payloadLength: echo.length, ttl }), echo);
  };

  it('time exceeded: code name, and the quoted echo id/seq and header', () => {
    const original = probe(1);
    const m = buildIcmpError({ kind: 'time-exceeded', code: 0, quoted: original.subarray(0, 28) });
    const p = ok(parseIcmp(m));
    if (p.kind !== 'time-exceeded') throw new Error(p.kind);
    expect(p.codeName).toBe('ttl-exceeded-in-transit');
    expect(p.checksumOk).toBe(true);
    expect(p.quoted).toMatchObject({
      family: 4, source: '10.250.1.2', destination: '10.250.3.2', protocol: 1,
      echo: { type: 8, code: 0, identifier: 0xabcd, sequence: 7 },
    });
    expect(p.quoted!.ip).toMatchObject({ ttl: 1, truncated: true });
  });

  it('destination unreachable: every code by name; port unreachable quotes the UDP ports', () => {
    const udp = buildUdp({ sourcePort: 45000, destinationPort: 33437, payload: new Uint8Array(10) });
    const original = concat(buildIPv4Header({ source: '10.250.1.2', destination: '10.250.3.2', protocol: 17, payloadLength: udp.length }), udp);
    for (let code = 0; code <= 15; code++) {
      const p = ok(parseIcmp(buildIcmpError({ kind: 'destination-unreachable', code, quoted: original, nextHopMtu: code === 4 ? 1400 : undefined })));
      if (p.kind !== 'destination-unreachable') throw new Error(p.kind);
      expect(p.codeName).toBe(ICMP_UNREACHABLE_CODES[code]);
      expect(p.quoted!.udp).toMatchObject({ sourcePort: 45000, destinationPort: 33437, length: 18 });
      if (code === 4) expect(p.nextHopMtu).toBe(1400);
    }
    expect(ok(parseIcmp(buildIcmpError({ kind: 'destination-unreachable', code: 3, quoted: original })))).toMatchObject({ codeName: 'port-unreachable' });
    expect(ok(parseIcmp(buildIcmpError({ kind: 'destination-unreachable', code: 99, quoted: original })))).toMatchObject({ codeName: 'code-99' });
  });

  it('a quoted packet cut before its 8 transport bytes still gives the header; a garbage one gives quotedError', () => {
    const p = ok(parseIcmp(buildIcmpError({ kind: 'time-exceeded', code: 0, quoted: probe(1).subarray(0, 24) })));
    if (p.kind !== 'time-exceeded') throw new Error();
    expect(p.quoted!.destination).toBe('10.250.3.2');
    expect(p.quoted!.echo).toBeUndefined();
    const g = ok(parseIcmp(buildIcmpError({ kind: 'time-exceeded', code: 0, quoted: Uint8Array.of(1, 2, 3) })));
    if (g.kind !== 'time-exceeded') throw new Error();
    expect(g.quoted).toBeNull();
    expect(g.quotedError).toEqual({ error: 'quoted packet: IPv4 header needs 20 bytes, 3 present', offset: 8 });
  });

  it('traceroute flags: port unreachable is "reached", the rest have their letters', () => {
    expect(unreachableFlag(4, 3)).toBe('');
    expect(unreachableFlag(4, 13)).toBe('!X');
    expect(unreachableFlag(4, 1)).toBe('!H');
    expect(unreachableFlag(6, 4)).toBe('');
    expect(unreachableFlag(6, 1)).toBe('!X');
    expect(unreachableFlag(4, 42)).toBe('!42');
  });
});

describe('ICMPv6', () => {
  const addresses = { source: 'fd00::1', destination: 'fd00::2' };

  it('builds an echo request with the pseudo-header checksum, and checks it on parse', () => {
    const m = buildIcmpv6Echo({ identifier: 9, sequence: 10, payload: Uint8Array.of(0xaa, 0xbb, 0xcc) }, addresses);
    const p = ok(parseIcmpv6(m, 0, addresses));
    expect(p).toMatchObject({ kind: 'echo-request', type: 128, identifier: 9, sequence: 10, checksumOk: true });
    expect(ok(parseIcmpv6(m, 0, { source: 'fd00::1', destination: 'fd00::3' })).checksumOk).toBe(false);
    expect(ok(parseIcmpv6(m)).checksumOk).toBeNull();
    // without addresses the checksum is left for the kernel
    expect(buildIcmpv6Echo({ identifier: 9, sequence: 10 }).subarray(2, 4)).toEqual(Uint8Array.of(0, 0));
    expect(ok(parseIcmpv6(buildIcmpv6Echo({ type: 'reply', identifier: 1, sequence: 1 })))).toMatchObject({ kind: 'echo-reply', type: 129 });
  });

  it('checksum agrees with a word-by-word sum over pseudo-header + message', () => {
    const m = buildIcmpv6Echo({ identifier: 0xffff, sequence: 1, payload: Uint8Array.of(1, 2, 3, 4, 5) }, addresses);
    const pseudo = concat(ipv6Bytes('fd00::1')!, ipv6Bytes('fd00::2')!, Uint8Array.of(0, 0, 0, m.length, 0, 0, 0, 58), m, Uint8Array.of(0));
    let sum = 0;
    for (let i = 0; i < pseudo.length - 1; i += 2) sum += (pseudo[i]! << 8) | pseudo[i + 1]!;
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    expect(sum).toBe(0xffff);
  });

  it('time exceeded and destination unreachable quote the IPv6 packet: echo id/seq or UDP ports', () => {
    const echo = buildIcmpv6Echo({ identifier: 0x4242, sequence: 3 });
    const original = concat(buildIPv6Header({ source: 'fd00::1', destination: 'fd00::9', nextHeader: 58, payloadLength: echo.length, hopLimit: 1 }), echo);
    const te = ok(parseIcmpv6(buildIcmpv6Error({ kind: 'time-exceeded', code: 0, quoted: original }, addresses), 0, addresses));
    if (te.kind !== 'time-exceeded') throw new Error();
    expect(te).toMatchObject({ codeName: 'hop-limit-exceeded-in-transit', checksumOk: true });
    expect(te.quoted).toMatchObject({ family: 6, destination: 'fd00::9', protocol: 58, echo: { type: 128, identifier: 0x4242, sequence: 3 } });
    const udp = buildUdp({ sourcePort: 1000, destinationPort: 33434 });
    const u = concat(buildIPv6Header({ source: 'fd00::1', destination: 'fd00::9', nextHeader: 17, payloadLength: 8 }), udp);
    for (let code = 0; code <= 8; code++) {
      const p = ok(parseIcmpv6(buildIcmpv6Error({ kind: 'destination-unreachable', code, quoted: u })));
      expect(p).toMatchObject({ kind: 'destination-unreachable', codeName: ICMPV6_UNREACHABLE_CODES[code] });
      if (p.kind !== 'destination-unreachable') throw new Error();
      expect(p.quoted!.udp).toMatchObject({ sourcePort: 1000, destinationPort: 33434 });
    }
    expect(ok(parseIcmpv6(buildIcmpv6Error({ kind: 'packet-too-big', code: 0, quoted: u, value: 1280 })))).toMatchObject({ kind: 'packet-too-big', mtu: 1280 });
    expect(ok(parseIcmpv6(buildIcmpv6Error({ kind: 'parameter-problem', code: 1, quoted: u, value: 6 })))).toMatchObject({ kind: 'parameter-problem', pointer: 6, codeName: 'unrecognized-next-header' });
  });

  it('other types pass through as kind "other"; short input is refused', () => {
    expect(ok(parseIcmpv6(Uint8Array.of(135, 0, 0, 0, 0, 0, 0, 0)))).toMatchObject({ kind: 'other', type: 135 });
    expect(parseIcmpv6(Uint8Array.of(128, 0))).toMatchObject({ ok: false, offset: 0 });
  });

  it('parseQuoted refuses a bad family match', () => {
    expect(parseQuoted(buildIcmpv6Echo({ identifier: 1, sequence: 1 }), 0, 6)).toMatchObject({ ok: false });
  });
});
