// Address text as numbers and bytes for the hot paths (every address of
// every packet built or parsed), without the split / regex / allocation of
// the general address module, whose answers these must match.
import { ipv6Bytes } from './address.js';

/**
 * The 32-bit value of a dotted quad, or -1 when the text is not one. Accepts
 * exactly what the address module's ipv4Bytes does (four parts 0..255 with
 * no leading zeros), without split or regex: this runs for every address of
 * every packet.
 */
export function ipv4Word(s: string): number {
  let word = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46; // a final '.' closes the last part
    if (c === 46) {
      if (digits === 0) return -1;
      word = word * 256 + part;
      parts++;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1; // leading zero
      part = part * 10 + (c - 48);
      if (part > 255) return -1;
      digits++;
    } else return -1;
    if (parts > 4) return -1;
  }
  return parts === 4 ? word : -1;
}

// Floods repeat a few IPv6 addresses: remember their bytes (never handed
// out for writing) rather than parse the text for every packet.
const V6_CACHE = new Map<string, Uint8Array | null>();
const V6_CACHE_MAX = 256;

/** ipv6Bytes, memoised; the bytes returned are shared and must not be modified. */
export function ipv6BytesShared(s: string): Uint8Array | null {
  let b = V6_CACHE.get(s);
  if (b === undefined) {
    if (V6_CACHE.size >= V6_CACHE_MAX) V6_CACHE.clear();
    b = ipv6Bytes(s);
    V6_CACHE.set(s, b);
  }
  return b;
}
