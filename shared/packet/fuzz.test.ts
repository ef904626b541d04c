// Parsers never throw: random bytes and mutated real packets (seeded, so a
// failure replays), at every kind of offset: a seeded PRNG loop, bounded in
// count (the crafter's codecs use fast-check, in craft/*.test.ts).
import { describe, expect, it } from 'vitest';
import {
  buildIcmpEcho, buildIcmpError, buildIcmpv6Echo, buildIcmpv6Error, buildIPv4Header, buildIPv6Header, buildUdp, parseIcmp,
  parseIcmpv6, parseIPv4Header, parseIPv6Header, parseQuoted, parseUdpHeader, type Parsed,
} from './index.js';
import { concat } from './bytes.js';
import { mulberry32 } from '../../test/support/packets.js';

type Parser = (b: Uint8Array, offset: number) => Parsed<unknown>;
const PARSERS: [string, Parser][] = [
  ['ipv4', (b, o) => parseIPv4Header(b, o)],
  ['ipv6', (b, o) => parseIPv6Header(b, o)],
  ['udp', (b, o) => parseUdpHeader(b, o)],
  ['icmp', (b, o) => parseIcmp(b, o)],
  ['icmpv6', (b, o) => parseIcmpv6(b, o)],
  ['icmpv6+addresses', (b, o) => parseIcmpv6(b, o, { source: 'fd00::1', destination: 'fd00::2' })],
  ['quoted4', (b, o) => parseQuoted(b, o, 4)],
  ['quoted6', (b, o) => parseQuoted(b, o, 6)],
];

/** Runs every parser; fails with the seed, parser and input when one throws or answers out of shape. */
function check(bytes: Uint8Array, offset: number, where: string): void {
  for (const [name, parse] of PARSERS) {
    let r: Parsed<unknown>;
    try {
      r = parse(bytes, offset);
    } catch (e) {
      throw new Error(`${name} threw on ${where} (offset ${offset}, ${bytes.length} bytes: ${Buffer.from(bytes).toString('hex').slice(0, 200)}): ${(e as Error).message}`, { cause: e });
    }
    if (r.ok) continue;
    if (typeof r.error !== 'string' || r.error === '' || !Number.isInteger(r.offset) || r.offset < 0 || r.offset > bytes.length) {
      throw new Error(`${name} gave a malformed refusal on ${where}: ${JSON.stringify(r)}`);
    }
  }
}

describe('parsers on hostile input', () => {
  it('random bytes of every length up to 200, at offsets before, inside and past the buffer', () => {
    const rnd = mulberry32(0x5eed1);
    for (let n = 0; n < 20_000; n++) {
      const len = Math.floor(rnd() * (n % 10 === 0 ? 200 : 64));
      const b = Uint8Array.from({ length: len }, () => Math.floor(rnd() * 256));
      // bias toward plausible version nibbles so the deeper paths run too
      if (len > 0 && rnd() < 0.5) b[0] = rnd() < 0.5 ? 0x45 + Math.floor(rnd() * 11) : 0x60;
      const offsets = [0, Math.floor(rnd() * (len + 2)), -1, len, len + 5];
      for (const o of offsets) check(b, o, `random #${n}`);
    }
  });

  it('real packets with bytes flipped, cut short or lengthened', () => {
    const rnd = mulberry32(0x5eed2);
    const echo4 = buildIcmpEcho({ identifier: 1, sequence: 2, payload: new Uint8Array(24) });
    const ip4 = concat(buildIPv4Header({ source: '10.0.0.1', destination: '10.0.0.2', protocol: 1, payloadLength: echo4.length, options: Uint8Array.of(7, 7, 4, 0, 0, 0, 0) }), echo4);
    const udp4 = concat(buildIPv4Header({ source: '10.0.0.1', destination: '10.0.0.2', protocol: 17, payloadLength: 12 }), buildUdp({ sourcePort: 1, destinationPort: 2, payload: new Uint8Array(4) }));
    const echo6 = buildIcmpv6Echo({ identifier: 3, sequence: 4, payload: new Uint8Array(8) });
    const ext = Uint8Array.of(44, 0, 0, 0, 0, 0, 0, 0, /* fragment: */ 58, 0, 0, 1, 0, 0, 0, 9);
    const ip6 = concat(buildIPv6Header({ source: 'fd00::1', destination: 'fd00::2', nextHeader: 0, payloadLength: ext.length + echo6.length }), ext, echo6);
    const seeds = [
      ip4, udp4, ip6, echo4, echo6,
      buildIcmpError({ kind: 'time-exceeded', code: 0, quoted: ip4 }),
      buildIcmpError({ kind: 'destination-unreachable', code: 3, quoted: udp4.subarray(0, 28) }),
      buildIcmpv6Error({ kind: 'time-exceeded', code: 0, quoted: ip6 }),
      buildIcmpv6Error({ kind: 'packet-too-big', code: 0, quoted: ip6, value: 1280 }),
      concat(buildIPv4Header({ source: '10.0.0.3', destination: '10.0.0.1', protocol: 1, payloadLength: 8 + ip4.length }), buildIcmpError({ kind: 'time-exceeded', code: 0, quoted: ip4 })),
    ];
    for (let n = 0; n < 20_000; n++) {
      const base = seeds[n % seeds.length]!;
      let b: Uint8Array = base.slice();
      const flips = 1 + Math.floor(rnd() * 4);
      for (let i = 0; i < flips && b.length; i++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      const cut = rnd();
      if (cut < 0.3) b = b.subarray(0, Math.floor(rnd() * b.length));
      else if (cut < 0.4) b = concat(b, Uint8Array.from({ length: Math.floor(rnd() * 40) }, () => Math.floor(rnd() * 256)));
      for (const o of [0, 20, 28, 40, 48]) check(b, o, `mutation #${n} of seed ${n % seeds.length}`);
    }
  });

  it('extension header chains that loop or run long are refused, not followed forever', () => {
    // 20 destination-options headers, each pointing to the next
    const chain = new Uint8Array(20 * 8);
    for (let i = 0; i < 20; i++) chain[i * 8] = 60;
    const p = concat(buildIPv6Header({ source: '::1', destination: '::1', nextHeader: 60, payloadLength: chain.length }), chain);
    expect(parseIPv6Header(p)).toMatchObject({ ok: false, error: 'more than 16 IPv6 extension headers' });
  });
});
