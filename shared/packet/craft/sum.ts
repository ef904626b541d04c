// Internet checksum arithmetic (RFC 1071) for the hot paths: the sum of a
// range of the packet's own bytes, and of a pseudo-header computed from
// the addresses as numbers instead of built as bytes. Both equal what
// onesComplementSum gives for the same bytes (a pseudo-header has an even
// length, so its sum and the segment's simply add).
import { ipv4Word, ipv6BytesShared } from '../../net/address.js';
import { protoOf } from './ipv4.js';
import type { LayerKind } from './spec.js';

/** Bytes summed between folds: 4,096 × 2 × 0xffff stays a small integer. */
const FOLD_EVERY = 0x4000;

/**
 * The unfolded sum of the 16-bit big-endian words of b[start, end); an odd
 * last byte counts as a high byte. Reads 32 bits at a time (half the loads
 * and loop turns of a byte loop: this is most of a large packet's cost).
 */
export function wordSum(b: Uint8Array, start: number, end: number): number {
  if (end - start < LONG) return shortSum(b, start, end);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const end4 = start + ((end - start) & ~3);
  let sum = 0;
  let i = start;
  while (i < end4) {
    const stop = Math.min(end4, i + FOLD_EVERY);
    for (; i < stop; i += 4) {
      const w = view.getUint32(i);
      sum += (w >>> 16) + (w & 0xffff);
    }
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  if (i + 1 < end) {
    sum += (b[i]! << 8) | b[i + 1]!;
    i += 2;
  }
  if (i < end) sum += b[i]! << 8;
  return sum;
}

/** Below this many bytes a DataView costs more than it saves. */
const LONG = 128;

/** wordSum for a header: a byte loop, no allocation (and no need to fold on the way). */
function shortSum(b: Uint8Array, start: number, end: number): number {
  let sum = 0;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  if (i < end) sum += b[i]! << 8;
  return sum;
}

/** A sum folded to 16 bits (not complemented). */
export function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

const word32 = (w: number): number => (w >>> 16) + (w & 0xffff);

/**
 * The sum of the pseudo-header pseudoHeader (wire.ts) builds for these
 * addresses, a layer of this kind and this length; -1 where it would give
 * its sentence (or fail) instead, for the caller to ask it why.
 */
export function pseudoSum(src: string, dst: string, kind: LayerKind, length: number): number {
  if (typeof src !== 'string' || typeof dst !== 'string') return -1;
  const proto = protoOf(kind)! & 0xff;
  const s4 = ipv4Word(src);
  const d4 = ipv4Word(dst);
  if (s4 >= 0 && d4 >= 0 && kind !== 'icmpv6') return word32(s4) + word32(d4) + proto + (length & 0xffff);
  const s6 = ipv6BytesShared(src);
  const d6 = ipv6BytesShared(dst);
  if (!s6 || !d6) return -1;
  return wordSum(s6, 0, 16) + wordSum(d6, 0, 16) + word32(length >>> 0) + proto;
}
