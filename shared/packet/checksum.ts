// The Internet checksum (RFC 1071): the one's complement of the one's
// complement sum of 16-bit big-endian words. Several parts are summed as if
// they were one buffer (a pseudo-header then a segment), odd lengths included.

/** The folded 16-bit one's complement sum of the parts (not yet complemented). */
export function onesComplementSum(parts: readonly Uint8Array[]): number {
  let sum = 0;
  let odd = false; // true when the previous part ended in the middle of a word
  for (const p of parts) {
    let i = 0;
    if (odd && p.length > 0) {
      sum += p[0]!;
      i = 1;
      odd = false;
    }
    const end = p.length - ((p.length - i) & 1);
    for (; i < end; i += 2) {
      sum += (p[i]! << 8) | p[i + 1]!;
      // Fold now and then so the sum stays a small integer.
      if (sum > 0x7fffffff) sum = (sum & 0xffff) + (sum >>> 16);
    }
    if (i < p.length) {
      sum += p[i]! << 8;
      odd = true;
    }
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** The checksum to write into a header whose checksum field is zero. */
export function internetChecksum(...parts: Uint8Array[]): number {
  return ~onesComplementSum(parts) & 0xffff;
}

/** True when the parts, checksum field included, sum to 0xffff (a valid checksum). */
export function checksumValid(...parts: Uint8Array[]): boolean {
  return onesComplementSum(parts) === 0xffff;
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
