import { describe, expect, it } from 'vitest';
import { Ring } from './ring.js';

describe('Ring', () => {
  it('keeps the newest entries within the entry cap, with absolute sequence numbers', () => {
    const r = new Ring<number>(3);
    for (let i = 0; i < 5; i++) r.push(i);
    expect(r.toArray()).toEqual([2, 3, 4]);
    expect(r.firstSeq).toBe(2);
    expect(r.endSeq).toBe(5);
    expect(r.bySeq(3)).toBe(3);
    expect(r.bySeq(1)).toBeUndefined();
    expect(r.evictedEntries).toBe(2);
  });

  it('respects the byte cap and counts what it evicted', () => {
    const r = new Ring<Uint8Array>(100, 10, (b) => b.byteLength);
    r.push(new Uint8Array(4));
    r.push(new Uint8Array(4));
    r.push(new Uint8Array(4));
    expect(r.length).toBe(2);
    expect(r.bytes).toBe(8);
    expect(r.evictedBytes).toBe(4);
    // An entry larger than the cap is kept alone rather than lost.
    r.push(new Uint8Array(50));
    expect(r.length).toBe(1);
    expect(r.bytes).toBe(50);
  });

  it('grows its storage past the initial size and wraps correctly', () => {
    const r = new Ring<number>(5000);
    for (let i = 0; i < 12_345; i++) r.push(i);
    expect(r.length).toBe(5000);
    expect(r.at(0)).toBe(7345);
    expect(r.at(4999)).toBe(12_344);
  });

  it('replace() keeps the sequence numbering going', () => {
    const r = new Ring<number>(3);
    r.push(1);
    r.push(2);
    r.replace([7, 8, 9, 10]);
    expect(r.toArray()).toEqual([8, 9, 10]);
    expect(r.firstSeq).toBe(1);
  });
});
