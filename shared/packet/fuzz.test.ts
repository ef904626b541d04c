// The readers never throw: random bytes and mutated real packets (seeded, so
// a failure replays), as every kind of first layer and from every kind of
// offset: a seeded PRNG loop, bounded in count, over keyOf (what ping,
// traceroute and the crafter's capture read every packet with) and
// parseStack (the crafter's views). The fast-check properties of the same
// readers are in answers.test.ts and stack.test.ts.
import { describe, expect, it } from 'vitest';
import { echoLayers, keyOf, parseStack, stackBytes, type Layer, type LayerKind, type PacketKey } from './index.js';
import { concat } from './bytes.js';
import { mulberry32 } from '../../test/support/packets.js';

const FIRSTS: LayerKind[] = ['ipv4', 'ipv6', 'udp', 'tcp', 'icmp', 'icmpv6'];
const ADDRESSES = { src: 'fd00::1', dst: 'fd00::2' };

/** A key's offsets lie within the bytes, and so do its quote's within the bytes it quotes. */
function checkKey(k: PacketKey, length: number): void {
  if (k.end < 0 || k.end > length || k.upper > length) throw new Error(`key out of its bytes (${length}): upper ${k.upper}, end ${k.end}`);
  if (k.quoted) checkKey(k.quoted, k.end - k.upper - 8);
}

/**
 * Reads with keyOf as every first layer, and with parseStack as the n-th
 * (parseStack is the slower, and fast-check fuzzes it too); fails with the
 * seed, reader and input when one throws or answers out of shape.
 */
function check(bytes: Uint8Array, where: string, n: number): void {
  const show = (): string => `${where} (${bytes.length} bytes: ${Buffer.from(bytes).toString('hex').slice(0, 200)})`;
  for (const first of FIRSTS) {
    try {
      // Without an IP layer the addresses come from the caller (as an IPv6 raw socket's recvfrom gives them).
      checkKey(keyOf(bytes, first, first === 'ipv4' || first === 'ipv6' ? {} : ADDRESSES), bytes.length);
      if (first !== FIRSTS[n % FIRSTS.length]) continue;
      const p = parseStack(bytes, first, first === 'icmpv6' ? ADDRESSES : undefined);
      if (p.stoppedAt && (p.stoppedAt.reason === '' || p.stoppedAt.reason.startsWith('internal error') || p.stoppedAt.offset < 0 || p.stoppedAt.offset > bytes.length)) {
        throw new Error(`parseStack gave a malformed stop: ${JSON.stringify(p.stoppedAt)}`);
      }
    } catch (e) {
      throw new Error(`${first} on ${show()}: ${(e as Error).message}`, { cause: e });
    }
  }
}

describe('readers on hostile input', () => {
  it('random bytes of every length up to 200, read from the start, from inside and from the end of the buffer', () => {
    const rnd = mulberry32(0x5eed1);
    for (let n = 0; n < 20_000; n++) {
      const len = Math.floor(rnd() * (n % 10 === 0 ? 200 : 64));
      const b = Uint8Array.from({ length: len }, () => Math.floor(rnd() * 256));
      // bias toward plausible version nibbles so the deeper paths run too
      if (len > 0 && rnd() < 0.5) b[0] = rnd() < 0.5 ? 0x45 + Math.floor(rnd() * 11) : 0x60;
      for (const [i, o] of [0, Math.floor(rnd() * (len + 1)), len].entries()) check(b.subarray(o), `random #${n} from ${o}`, n + i);
    }
  });

  it('real packets with bytes flipped, cut short or lengthened', () => {
    const rnd = mulberry32(0x5eed2);
    const echo4 = echoLayers(4, { identifier: 1, sequence: 2, payload: new Uint8Array(24) });
    const ip4 = stackBytes([{ kind: 'ipv4', fields: { src: '10.0.0.1', dst: '10.0.0.2', options: [{ kind: 'RR', data: new Uint8Array(4) }] } }, ...echo4]);
    const udp4 = stackBytes([{ kind: 'ipv4', fields: { src: '10.0.0.1', dst: '10.0.0.2' } }, { kind: 'udp', fields: { sport: 1, dport: 2 } }, { kind: 'payload', fields: { load: new Uint8Array(4) } }]);
    const ip6 = stackBytes([
      { kind: 'ipv6', fields: { src: 'fd00::1', dst: 'fd00::2' } }, { kind: 'routing', fields: { type: 0, addresses: [] } },
      { kind: 'fragment', fields: { id: 9 } }, ...echoLayers(6, { identifier: 3, sequence: 4, payload: new Uint8Array(8) }),
    ]);
    const error = (kind: 'icmp' | 'icmpv6', type: string, quoted: Uint8Array, more: Layer['fields'] = {}): Uint8Array =>
      stackBytes([{ kind, fields: { type, ...more, ...(kind === 'icmpv6' ? { chksum: 0 } : {}) } }, { kind: 'payload', fields: { load: quoted } }]);
    const seeds = [
      ip4, udp4, ip6, stackBytes(echo4), stackBytes(echoLayers(6, { identifier: 3, sequence: 4 })),
      error('icmp', 'time-exceeded', ip4),
      error('icmp', 'dest-unreach', udp4.subarray(0, 28), { code: 3 }),
      error('icmpv6', 'time-exceeded', ip6),
      error('icmpv6', 'packet-too-big', ip6, { mtu: 1280 }),
      concat(stackBytes([{ kind: 'ipv4', fields: { src: '10.0.0.3', dst: '10.0.0.1', proto: 1, len: 28 + ip4.length } }]), error('icmp', 'time-exceeded', ip4)),
    ];
    for (let n = 0; n < 20_000; n++) {
      const base = seeds[n % seeds.length]!;
      let b: Uint8Array = base.slice();
      const flips = 1 + Math.floor(rnd() * 4);
      for (let i = 0; i < flips && b.length; i++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      const cut = rnd();
      if (cut < 0.3) b = b.subarray(0, Math.floor(rnd() * b.length));
      else if (cut < 0.4) b = concat(b, Uint8Array.from({ length: Math.floor(rnd() * 40) }, () => Math.floor(rnd() * 256)));
      for (const [i, o] of [0, 20, 28, 40].entries()) check(b.subarray(Math.min(o, b.length)), `mutation #${n} of seed ${n % seeds.length} from ${o}`, n + i);
    }
  });

  it('extension header chains that loop or run long are not followed forever', () => {
    // 100 destination-options headers, each pointing to the next
    const chain = new Uint8Array(100 * 8);
    for (let i = 0; i < 100; i++) chain[i * 8] = 60;
    const p = stackBytes([{ kind: 'ipv6', fields: { src: '::1', dst: '::1', nh: 60 } }, { kind: 'payload', fields: { load: chain } }]);
    expect(parseStack(p, 'ipv6').stoppedAt).toEqual({ offset: 40 + 63 * 8, reason: 'more than 64 layers' });
    // keyOf walks 16 of them and then gives up: no upper layer is read
    const k = keyOf(p, 'ipv6');
    expect([k.proto, k.type, k.sport]).toEqual([60, undefined, undefined]);
  });
});
