// The hot-path helpers (checksum.ts, the bit windows of values.ts) must give
// exactly what the general code they stand in for gives: checked against it
// on tricky and seeded random inputs. (ipv4Word, the address parser's fast
// IPv4 path, is checked against Node in shared/net/address.test.ts.)
import { describe, expect, it } from 'vitest';
import { ipv4Bytes, ipv6BytesShared } from '../net/address.js';
import { fold, ipv4PseudoHeader, ipv6PseudoHeader, pseudoSum, wordSum } from './checksum.js';
import { getBits, putBits } from './values.js';

let seed = 7;
const rnd = (n: number): number => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return Math.floor((seed / 2 ** 31) * n);
};
const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => rnd(256));

/** RFC 1071 the plain way: 16-bit words (an odd last byte padded with zero) summed, then folded. */
const onesComplementSum = (b: Uint8Array): number => {
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
};

describe('hot-path helpers agree with the general code', () => {
  it('wordSum, folded, is the plain RFC 1071 sum for any range, odd or even', () => {
    for (let k = 0; k < 500; k++) {
      const b = bytes(rnd(3000));
      const start = rnd(b.length + 1);
      const end = start + rnd(b.length - start + 1);
      expect(fold(wordSum(b, start, end))).toBe(onesComplementSum(b.subarray(start, end)));
    }
    const big = bytes(65535).fill(0xff);
    expect(fold(wordSum(big, 0, big.length))).toBe(onesComplementSum(big));
  });

  it('pseudoSum is the sum of the pseudo-header bytes', () => {
    for (const [src, dst, proto] of [['10.0.0.1', '192.168.255.254', 6], ['fe80::1', '2001:db8::ffff:1', 58], ['::1', '::ffff:1.2.3.4', 17]] as const) {
      const length = rnd(70000);
      const s4 = ipv4Bytes(src);
      const d4 = ipv4Bytes(dst);
      const h = s4 && d4 ? ipv4PseudoHeader(s4, d4, proto, length) : ipv6PseudoHeader(ipv6BytesShared(src)!, ipv6BytesShared(dst)!, proto, length);
      expect(fold(pseudoSum(src, dst, proto, length))).toBe(onesComplementSum(h));
    }
    // ICMPv6 has no IPv4 pseudo-header.
    expect(pseudoSum('1.2.3.4', '5.6.7.8', 58, 8)).toBe(-1);
  });

  it('putBits and getBits on unaligned fields match a bit-by-bit reference', () => {
    for (let k = 0; k < 3000; k++) {
      const b = bytes(8);
      const ref = b.slice();
      const bits = 1 + rnd(32);
      const pos = rnd(64 - bits + 1);
      const v = rnd(2 ** bits);
      putBits(b, pos, bits, v);
      for (let i = 0; i < bits; i++) {
        const p = pos + i;
        const bit = Math.floor(v / 2 ** (bits - 1 - i)) % 2;
        ref[p >> 3] = bit ? ref[p >> 3]! | (0x80 >> (p % 8)) : ref[p >> 3]! & ~(0x80 >> (p % 8));
      }
      expect(b).toEqual(ref);
      expect(getBits(b, pos, bits)).toBe(v);
    }
  });
});
