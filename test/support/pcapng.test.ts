// pcapng writer and reader: layout per draft-ietf-opsawg-pcapng, round trip,
// and malformed files (truncated, bad lengths, random bytes) that must give
// { ok: false } naming the block and offset, never throw, never hang.
import { describe, expect, it } from 'vitest';
import { echoLayers, stackBytes } from '../../shared/packet/index.js';
import { LINKTYPE, writePcapng, type PcapngPacketIn } from '../../shared/packet/pcapng.js';
import { concat } from '../../shared/packet/bytes.js';
import { ipPacketOf, readPcapng, type PcapngFile, type Parsed } from './pcapng-reader.js';
import { mulberry32, ok } from './packets.js';

const icmp4 = (seq: number, payload = 'abc'): Uint8Array => stackBytes([
  { kind: 'ipv4', fields: { src: '127.0.0.1', dst: '127.0.0.2', ttl: 9 } },
  ...echoLayers(4, { identifier: 0x1234, sequence: seq, payload: new TextEncoder().encode(payload) }),
]);
const icmp6 = (seq: number): Uint8Array => stackBytes([
  { kind: 'ipv6', fields: { src: '::1', dst: 'fd00::2' } },
  { kind: 'icmpv6', fields: { type: 'echo-request', id: 0x4321, seq } },
]);

const SAMPLE: PcapngPacketIn[] = [
  { bytes: icmp4(1), linkType: 'ipv4', timestampUs: 1_700_000_000_123_456, comment: 'first, with a comment ✓' },
  { bytes: icmp6(1), linkType: 'ipv6', timestampUs: 1_700_000_000_223_456n },
  { bytes: icmp4(2, 'abcd'), linkType: 'ipv4', timestampUs: 1_700_000_000_323_457 },
  { bytes: icmp4(3, 'x'), linkType: 'raw-ip', timestampUs: 0 },
  { bytes: new Uint8Array(0), linkType: 'raw-ip', timestampUs: 2n ** 64n - 1n, comment: '' },
];

describe('writePcapng', () => {
  const file = writePcapng(SAMPLE, { application: 'Sockbench test' });
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);

  it('starts with a little-endian Section Header Block, version 1.0, section length -1, shb_userappl', () => {
    expect(v.getUint32(0, true)).toBe(0x0a0d0d0a);
    expect(v.getUint32(8, true)).toBe(0x1a2b3c4d);
    expect(v.getUint16(12, true)).toBe(1);
    expect(v.getUint16(14, true)).toBe(0);
    expect(v.getBigInt64(16, true)).toBe(-1n);
    expect(v.getUint16(24, true)).toBe(4); // shb_userappl
    expect(new TextDecoder().decode(file.subarray(28, 28 + v.getUint16(26, true)))).toBe('Sockbench test');
  });

  it('has every block 32-bit aligned with its total length repeated at the end, and ends exactly at the last block', () => {
    const types: number[] = [];
    let o = 0;
    while (o < file.length) {
      const len = v.getUint32(o + 4, true);
      expect(len % 4).toBe(0);
      expect(v.getUint32(o + len - 4, true)).toBe(len);
      types.push(v.getUint32(o, true));
      o += len;
    }
    expect(o).toBe(file.length);
    // SHB, one IDB per link type used (ipv4, ipv6, raw-ip) in order of first use, then one EPB per packet.
    expect(types).toEqual([0x0a0d0d0a, 1, 1, 1, 6, 6, 6, 6, 6]);
  });

  it('uses LINKTYPE_IPV4 (228), LINKTYPE_IPV6 (229) and LINKTYPE_RAW (101), µs resolution', () => {
    const f = ok(readPcapng(file));
    expect(f.interfaces.map((i) => [i.linkType, i.link, i.ticksPerSecond, i.name])).toEqual([
      [228, 'ipv4', 1_000_000n, 'sockbench-ipv4'],
      [229, 'ipv6', 1_000_000n, 'sockbench-ipv6'],
      [101, 'raw-ip', 1_000_000n, 'sockbench-raw-ip'],
    ]);
  });

  it('writes the 64-bit timestamp as high and low 32-bit words', () => {
    const f = ok(readPcapng(file));
    const epb = f.packets[0]!.blockOffset;
    const ts = 1_700_000_000_123_456;
    expect(v.getUint32(epb + 12, true)).toBe(Math.floor(ts / 2 ** 32));
    expect(v.getUint32(epb + 16, true)).toBe(ts % 2 ** 32);
  });

  it('writes an empty file (SHB only) for no packets', () => {
    const f = ok(readPcapng(writePcapng([], { timestampUs: 0 })));
    expect(f).toMatchObject({ application: 'Sockbench', sections: 1, interfaces: [], packets: [] });
  });

  it('throws RangeError for a bad timestamp or link type (the input is the program\'s own)', () => {
    const bytes = icmp4(1);
    expect(() => writePcapng([{ bytes, linkType: 'ipv4', timestampUs: -1 }])).toThrow(/packet 0: timestampUs/);
    expect(() => writePcapng([{ bytes, linkType: 'ipv4', timestampUs: 1.5 }])).toThrow(RangeError);
    expect(() => writePcapng([{ bytes, linkType: 'ipv4', timestampUs: 2n ** 64n }])).toThrow(RangeError);
    expect(() => writePcapng([{ bytes, linkType: 'ethernet' as 'ipv4' }])).toThrow(/link type/);
    expect(() => writePcapng([{ bytes, linkType: 'ipv4', comment: 'x'.repeat(70_000) }])).toThrow(/packet 0: .*65535/);
  });

  it('defaults a missing timestamp to opts.timestampUs, else to now', () => {
    const [p] = ok(readPcapng(writePcapng([{ bytes: icmp4(1), linkType: 'ipv4' }], { timestampUs: 42 }))).packets;
    expect(p!.timestampUs).toBe(42);
    const before = Date.now() * 1000;
    const [q] = ok(readPcapng(writePcapng([{ bytes: icmp4(1), linkType: 'ipv4' }]))).packets;
    expect(q!.timestampUs).toBeGreaterThanOrEqual(before);
    expect(q!.timestampUs).toBeLessThanOrEqual(Date.now() * 1000);
  });
});

describe('readPcapng', () => {
  it('round-trips bytes, link types, timestamps (to the µs, up to 2^64-1) and comments', () => {
    const f = ok(readPcapng(writePcapng(SAMPLE, { application: 'rt' })));
    expect(f.application).toBe('rt');
    expect(f.sections).toBe(1);
    expect(f.packets).toHaveLength(SAMPLE.length);
    f.packets.forEach((p, i) => {
      const s = SAMPLE[i]!;
      expect(p.link).toBe(s.linkType);
      expect(p.bytes).toEqual(s.bytes);
      expect(p.originalLength).toBe(s.bytes.length);
      expect(p.timestampNs).toBe(BigInt(s.timestampUs!) * 1000n);
      expect(p.comments).toEqual(s.comment === undefined ? [] : [s.comment]);
    });
    expect(f.packets[0]!.timestampUs).toBe(1_700_000_000_123_456);
  });

  it('round-trips packets of every length 0..9 (alignment padding)', () => {
    const pkts: PcapngPacketIn[] = Array.from({ length: 10 }, (_, n) => ({ bytes: Uint8Array.from({ length: n }, (_, i) => i + 1), linkType: 'raw-ip', timestampUs: n, comment: 'c'.repeat(n) }));
    const f = ok(readPcapng(writePcapng(pkts)));
    expect(f.packets.map((p) => [p.bytes, p.timestampUs, p.comments])).toEqual(pkts.map((p) => [p.bytes, p.timestampUs, [p.comment]]));
  });

  it('reads a big-endian file with nanosecond and 2^-n resolutions, if_tsoffset, an SPB, skipped blocks and a second section', () => {
    const be = new BigEndianFile();
    be.shb();
    be.idb(LINKTYPE.ETHERNET, [[9, Uint8Array.of(9)]]); // ns
    be.idb(LINKTYPE.RAW, [[9, Uint8Array.of(0x80 | 10)], [14, be.i64(100n)]]); // 2^-10 s, +100 s
    be.block(0x0bad, new Uint8Array(8)); // unknown: skipped
    be.epb(0, 1_700_000_000_123_456_789n, Uint8Array.of(1, 2, 3), 60);
    be.epb(1, 1024n * 5n + 512n, Uint8Array.of(0x45));
    be.block(3, concat(be.u32(2), Uint8Array.of(7, 8, 0, 0))); // SPB: interface 0, 2 bytes
    be.shb();
    be.idb(LINKTYPE.IPV6, []);
    be.epb(0, 5n, Uint8Array.of(0x60));
    const f = ok(readPcapng(be.bytes()));
    expect(f.sections).toBe(2);
    expect(f.packets.map((p) => [p.link, p.interfaceId, p.timestampNs, Array.from(p.bytes), p.originalLength])).toEqual([
      ['ethernet', 0, 1_700_000_000_123_456_789n, [1, 2, 3], 60],
      ['raw-ip', 1, 105_500_000_000n, [0x45], 1],
      ['ethernet', 0, 0n, [7, 8], 2],
      ['ipv6', 0, 5_000n, [0x60], 1],
    ]);
    expect(f.packets[0]!.timestampUs).toBe(1_700_000_000_123_456);
  });

  const good = writePcapng(SAMPLE, { application: 'x' });
  const goodView = new DataView(good.buffer);
  const firstEpb = ok(readPcapng(good)).packets[0]!.blockOffset;
  const mutate = (f: (b: Uint8Array, v: DataView) => void): Uint8Array => {
    const b = good.slice();
    f(b, new DataView(b.buffer));
    return b;
  };
  const err = (b: Uint8Array): { error: string; offset: number } => {
    const r = readPcapng(b);
    if (r.ok) throw new Error('expected an error');
    return r;
  };

  it('names the block and offset of what it cannot read', () => {
    expect(err(new Uint8Array(0)).error).toMatch(/at least 28 bytes, 0 present/);
    expect(err(Uint8Array.of(0xd4, 0xc3, 0xb2, 0xa1, ...new Uint8Array(40))).error).toMatch(/classic pcap/);
    expect(err(mutate((b) => (b[0] = 0))).error).toMatch(/not pcapng/);
    expect(err(mutate((_, v) => v.setUint32(8, 0x11223344, true)))).toMatchObject({ error: expect.stringMatching(/^Section Header Block at offset 0: byte-order magic/), offset: 8 });
    expect(err(mutate((_, v) => v.setUint16(12, 2, true))).error).toMatch(/major version 2/);
    expect(err(mutate((_, v) => v.setUint32(firstEpb + 4, 13, true)))).toMatchObject({ error: `Enhanced Packet Block at offset ${firstEpb}: block total length 13 is not a multiple of 4`, offset: firstEpb + 4 });
    expect(err(mutate((_, v) => v.setUint32(firstEpb + 4, 8, true))).error).toMatch(/below the minimum of 12/);
    expect(err(mutate((_, v) => v.setUint32(firstEpb + 4, 1 << 30, true))).error).toMatch(/runs past the end of the file/);
    const len = goodView.getUint32(firstEpb + 4, true);
    expect(err(mutate((_, v) => v.setUint32(firstEpb + len - 4, len + 4, true))).error).toMatch(/trailing block total length .* differs/);
    expect(err(mutate((_, v) => v.setUint32(firstEpb + 8, 7, true))).error).toMatch(/interface 7 is not described \(3 Interface Description Blocks/);
    expect(err(mutate((_, v) => v.setUint32(firstEpb + 20, 5000, true))).error).toMatch(/captured length 5000 does not fit/);
    expect(err(mutate((_, v) => v.setUint16(26, 500, true))).error).toMatch(/^Section Header Block at offset 0: option 4 at offset 24 says 500 bytes/);
  });

  it('fails on every truncation of a good file, never throwing', () => {
    for (let n = 0; n < good.length; n++) {
      const r = readPcapng(good.subarray(0, n));
      // A cut exactly between blocks is a shorter but valid file.
      if (r.ok) expect(r.value.packets.length).toBeLessThan(SAMPLE.length);
      else {
        expect(r.offset).toBeLessThanOrEqual(n);
        expect(r.error).not.toMatch(/reader failed/);
      }
    }
  });

  it('never throws on random bytes or random mutations of a good file (seeded)', () => {
    const rnd = mulberry32(0x9c4b);
    const check = (b: Uint8Array): void => {
      let r: Parsed<PcapngFile> | undefined;
      expect(() => (r = readPcapng(b))).not.toThrow();
      if (r && !r.ok) {
        // Not the catch-all of readPcapng: every failure is a checked one.
        expect(r.error).not.toMatch(/reader failed/);
        expect(r.offset).toBeGreaterThanOrEqual(0);
        expect(r.offset).toBeLessThanOrEqual(b.length);
      }
    };
    for (let i = 0; i < 2000; i++) check(Uint8Array.from({ length: Math.floor(rnd() * 200) }, () => Math.floor(rnd() * 256)));
    for (let i = 0; i < 3000; i++) {
      const b = good.slice();
      const edits = 1 + Math.floor(rnd() * 4);
      for (let e = 0; e < edits; e++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      check(b);
      check(b.subarray(0, Math.floor(rnd() * b.length)));
    }
    // Random bytes after a valid SHB: exercise the block loop itself.
    const shb = good.subarray(0, goodView.getUint32(4, true));
    for (let i = 0; i < 2000; i++) check(concat(shb, Uint8Array.from({ length: Math.floor(rnd() * 120) }, () => Math.floor(rnd() * 256))));
  });

  it('reads a view into a larger buffer (byteOffset ≠ 0)', () => {
    const big = new Uint8Array(good.length + 7);
    big.set(good, 5);
    const f = ok(readPcapng(big.subarray(5, 5 + good.length)));
    expect(f.packets[0]!.bytes).toEqual(SAMPLE[0]!.bytes);
  });
});

describe('ipPacketOf', () => {
  const ip = icmp4(1);
  it('finds the IP packet behind Ethernet (with a VLAN tag), Linux cooked v1/v2, BSD loopback and raw link types', () => {
    const eth = concat(new Uint8Array(12), Uint8Array.of(0x08, 0x00), ip);
    const vlan = concat(new Uint8Array(12), Uint8Array.of(0x81, 0x00, 0, 5, 0x86, 0xdd), icmp6(1));
    const sll = concat(new Uint8Array(14), Uint8Array.of(0x08, 0x00), ip);
    const sll2 = concat(Uint8Array.of(0x86, 0xdd), new Uint8Array(18), icmp6(1));
    const nul = concat(Uint8Array.of(2, 0, 0, 0), ip);
    expect(ok(ipPacketOf({ linkType: LINKTYPE.ETHERNET, bytes: eth }))).toMatchObject({ family: 4, offset: 14, bytes: ip });
    expect(ok(ipPacketOf({ linkType: LINKTYPE.ETHERNET, bytes: vlan }))).toMatchObject({ family: 6, offset: 18 });
    expect(ok(ipPacketOf({ linkType: LINKTYPE.LINUX_SLL, bytes: sll }))).toMatchObject({ family: 4, offset: 16 });
    expect(ok(ipPacketOf({ linkType: LINKTYPE.LINUX_SLL2, bytes: sll2 }))).toMatchObject({ family: 6, offset: 20 });
    expect(ok(ipPacketOf({ linkType: LINKTYPE.NULL, bytes: nul }))).toMatchObject({ family: 4, offset: 4 });
    expect(ok(ipPacketOf({ linkType: LINKTYPE.RAW, bytes: icmp6(2) }))).toMatchObject({ family: 6, offset: 0 });
    expect(ok(ipPacketOf({ linkType: LINKTYPE.IPV4, bytes: Uint8Array.of(0x55) }))).toMatchObject({ family: 4 });
  });

  it('fails, without throwing, on short frames, other ethertypes and unknown link types', () => {
    expect(ipPacketOf({ linkType: LINKTYPE.ETHERNET, bytes: new Uint8Array(13) }).ok).toBe(false);
    expect(ipPacketOf({ linkType: LINKTYPE.ETHERNET, bytes: concat(new Uint8Array(12), Uint8Array.of(0x08, 0x06), new Uint8Array(28)) })).toMatchObject({ ok: false, error: expect.stringMatching(/ethertype 0x0806/) });
    expect(ipPacketOf({ linkType: LINKTYPE.ETHERNET, bytes: concat(new Uint8Array(12), Uint8Array.of(0x81, 0x00, 0)) }).ok).toBe(false);
    expect(ipPacketOf({ linkType: LINKTYPE.RAW, bytes: new Uint8Array(0) }).ok).toBe(false);
    expect(ipPacketOf({ linkType: 147, bytes: ip }).ok).toBe(false);
  });
});

/** A hand-written big-endian pcapng (the writer only writes little-endian). */
class BigEndianFile {
  private parts: Uint8Array[] = [];
  u32(n: number): Uint8Array {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n, false);
    return b;
  }
  i64(n: bigint): Uint8Array {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigInt64(0, n, false);
    return b;
  }
  private options(opts: [number, Uint8Array][]): Uint8Array {
    if (opts.length === 0) return new Uint8Array(0);
    return concat(...opts.map(([code, value]) => {
      const h = new Uint8Array(4 + ((value.length + 3) & ~3));
      const v = new DataView(h.buffer);
      v.setUint16(0, code, false);
      v.setUint16(2, value.length, false);
      h.set(value, 4);
      return h;
    }), new Uint8Array(4));
  }
  block(type: number, body: Uint8Array): void {
    const padded = new Uint8Array((body.length + 3) & ~3);
    padded.set(body);
    const len = 12 + padded.length;
    this.parts.push(this.u32(type), this.u32(len), padded, this.u32(len));
  }
  shb(): void {
    this.block(0x0a0d0d0a, concat(Uint8Array.of(0x1a, 0x2b, 0x3c, 0x4d, 0, 1, 0, 0), this.i64(-1n)));
  }
  idb(linkType: number, opts: [number, Uint8Array][]): void {
    this.block(1, concat(Uint8Array.of(linkType >> 8, linkType & 0xff, 0, 0), this.u32(0), this.options(opts)));
  }
  epb(id: number, ticks: bigint, data: Uint8Array, orig = data.length): void {
    const padded = new Uint8Array((data.length + 3) & ~3);
    padded.set(data);
    this.block(6, concat(this.u32(id), this.u32(Number(ticks >> 32n)), this.u32(Number(ticks & 0xffffffffn)), this.u32(data.length), this.u32(orig), padded));
  }
  bytes(): Uint8Array {
    return concat(...this.parts);
  }
}
