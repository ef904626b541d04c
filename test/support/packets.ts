// Small helpers the packet tests share (shared/packet, test/peers, test/support);
// joining bytes is shared/packet/bytes.ts's concat.
import type { Parsed } from './pcapng-reader.js';

/** The parsed value, or a throw naming the parser's error and offset (so a failing test says why). */
export const ok = <T>(r: Parsed<T>): T => {
  if (!r.ok) throw new Error(`expected a parse, got: ${r.error} at ${r.offset}`);
  return r.value;
};

/** A seeded PRNG (mulberry32) giving floats in [0, 1): random tests that replay from their seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
