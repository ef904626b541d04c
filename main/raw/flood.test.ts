// The flood's sequence patch: the ICMP checksum it mends by RFC 1624 must be
// the one a full recomputation gives, for any sequence and payload.
import { describe, expect, it } from 'vitest';
import { checksumValid } from '../../shared/packet/index.js';
import { setSequence } from './flood.js';
import { echoRequest } from './testkit.js';

describe('setSequence', () => {
  it('keeps the ICMP checksum valid across every kind of sequence change', () => {
    for (const size of [0, 1, 7, 56, 1473]) {
      const payload = Uint8Array.from({ length: size }, (_, i) => (i * 37 + size) & 0xff);
      const b = Buffer.from(echoRequest(4, 0xbeef, 0, payload));
      for (const seq of [1, 2, 255, 256, 0x7fff, 0xfffe, 0xffff, 0, 0x1234]) {
        setSequence(b, seq, 4);
        expect(b.readUInt16BE(6)).toBe(seq);
        expect(checksumValid(b), `size ${size} seq ${seq}`).toBe(true);
      }
    }
  });

  it('leaves an ICMPv6 checksum to the kernel', () => {
    const b = Buffer.from(echoRequest(6, 1, 1));
    const before = b.readUInt16BE(2);
    setSequence(b, 2, 6);
    expect([b.readUInt16BE(6), b.readUInt16BE(2)]).toEqual([2, before]);
  });
});
