// The Internet checksum (RFC 1071): the one's complement of the one's
// complement sum of 16-bit big-endian words, for every codec and hot path.
// wordSum sums a range of the packet's own bytes; pseudoSum sums a
// pseudo-header from the addresses as numbers instead of building it (a
// pseudo-header has an even length, so its sum and the segment's simply
// add); mendChecksum updates a checksum for one changed word (RFC 1624),
// as a flood does for every sequence number.
import { ipv4Word, ipv6BytesShared } from '../net/address.js';

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

/** The checksum to write into b[start, end) whose checksum field is zero. */
export const internetChecksum = (b: Uint8Array, start = 0, end = b.length): number => ~fold(wordSum(b, start, end)) & 0xffff;

/** True when b[start, end), checksum field included, sums to 0xffff: the checksum holds. */
export const checksumValid = (b: Uint8Array, start = 0, end = b.length): boolean => fold(wordSum(b, start, end)) === 0xffff;

/**
 * The checksum after one 16-bit word it covers changed from `from` to `to`
 * (RFC 1624, eqn. 3): the same value a full recomputation gives.
 */
export const mendChecksum = (checksum: number, from: number, to: number): number =>
  ~fold((~checksum & 0xffff) + (~from & 0xffff) + (to & 0xffff)) & 0xffff;

const word32 = (w: number): number => (w >>> 16) + (w & 0xffff);

/**
 * The sum of the pseudo-header pseudoHeader (wire.ts) builds for these
 * addresses, the upper protocol `proto` and this length; -1 where it would
 * give its sentence (or fail) instead, for the caller to ask it why.
 */
export function pseudoSum(src: string, dst: string, proto: number, length: number): number {
  if (typeof src !== 'string' || typeof dst !== 'string') return -1;
  proto &= 0xff;
  const s4 = ipv4Word(src);
  const d4 = ipv4Word(dst);
  if (s4 >= 0 && d4 >= 0 && proto !== 58) return word32(s4) + word32(d4) + proto + (length & 0xffff);
  const s6 = ipv6BytesShared(src);
  const d6 = ipv6BytesShared(dst);
  if (!s6 || !d6) return -1;
  return wordSum(s6, 0, 16) + wordSum(d6, 0, 16) + word32(length >>> 0) + proto;
}

/** The IPv4 pseudo-header of UDP/TCP: source, destination, zero, protocol, length. */
export function ipv4PseudoHeader(source: Uint8Array, destination: Uint8Array, protocol: number, length: number): Uint8Array {
  const h = new Uint8Array(12);
  h.set(source.subarray(0, 4), 0);
  h.set(destination.subarray(0, 4), 4);
  h[9] = protocol & 0xff;
  h[10] = (length >>> 8) & 0xff;
  h[11] = length & 0xff;
  return h;
}

/** The IPv6 pseudo-header (RFC 8200 §8.1) of UDP, ICMPv6 and TCP. */
export function ipv6PseudoHeader(source: Uint8Array, destination: Uint8Array, nextHeader: number, length: number): Uint8Array {
  const h = new Uint8Array(40);
  h.set(source.subarray(0, 16), 0);
  h.set(destination.subarray(0, 16), 16);
  h[32] = (length >>> 24) & 0xff;
  h[33] = (length >>> 16) & 0xff;
  h[34] = (length >>> 8) & 0xff;
  h[35] = length & 0xff;
  h[39] = nextHeader & 0xff;
  return h;
}
