// decodeIcmpPacket: what ping and traceroute make of each packet a raw ICMP
// or ICMPv6 socket hands them (IPv4 with its header, ICMPv6 without).
import { describe, expect, it } from 'vitest';
import { checksumValid, echoLayers, stackBytes, type Layer } from '../../shared/packet/index.js';
import { concat } from '../../shared/packet/bytes.js';
import { decodeIcmpPacket, type ProbePacket } from './probe-transport.js';

const packet = (bytes: Uint8Array, ipHeader: boolean, from = '10.0.0.9'): ProbePacket => ({ handle: 1, bytes, from, tUs: 0, ipHeader });
const ip4 = (src: string, ttl: number, ...upper: Layer[]): Uint8Array => stackBytes([{ kind: 'ipv4', fields: { src, dst: '10.0.0.1', ttl } }, ...upper]);
const payload = Uint8Array.from({ length: 56 }, (_, i) => i);

describe('decodeIcmpPacket', () => {
  it('an IPv4 echo reply: its type, identifier, sequence, the TTL and source of its header, the message as far as the IP length says', () => {
    const b = concat(ip4('10.0.0.2', 57, ...echoLayers(4, { identifier: 0x1234, sequence: 9, payload, reply: true })), Uint8Array.of(0xee, 0xee));
    const d = decodeIcmpPacket(packet(b, true), 4)!;
    expect(d).toMatchObject({ family: 4, type: 0, code: 0, ttl: 57, source: '10.0.0.2', key: { id: 0x1234, icmpSeq: 9 } });
    expect(d.message).toEqual(b.subarray(20, 84));
    expect(checksumValid(d.message)).toBe(true);
  });

  it('an ICMPv6 message has no IP header: the source is the one recvfrom gave, no TTL', () => {
    const d = decodeIcmpPacket(packet(stackBytes(echoLayers(6, { identifier: 7, sequence: 8, payload })), false, 'fd00::2'), 6)!;
    expect(d).toMatchObject({ family: 6, type: 128, ttl: null, source: 'fd00::2', key: { id: 7, icmpSeq: 8 } });
    expect(d.message.length).toBe(64);
  });

  it('an ICMP error carries the datagram it quotes: its destination and the echo identifier and sequence, or the UDP ports', () => {
    const ours = ip4('10.0.0.1', 1, ...echoLayers(4, { identifier: 0xabcd, sequence: 3, payload }));
    const d = decodeIcmpPacket(packet(ip4('10.0.0.254', 64, { kind: 'icmp', fields: { type: 'time-exceeded' } }, { kind: 'payload', fields: { load: ours.subarray(0, 28) } }), true), 4)!;
    expect(d).toMatchObject({ type: 11, code: 0, source: '10.0.0.254', key: { quoted: { dst: '10.0.0.1', type: 8, id: 0xabcd, icmpSeq: 3 } } });
    const udp = stackBytes([{ kind: 'ipv6', fields: { src: 'fd00::1', dst: 'fd00::9' } }, { kind: 'udp', fields: { sport: 50000, dport: 33435, chksum: 0 } }]);
    const u = decodeIcmpPacket(packet(stackBytes([{ kind: 'icmpv6', fields: { type: 'dest-unreach', code: 4, chksum: 0 } }, { kind: 'payload', fields: { load: udp } }]), false), 6)!;
    expect(u.key.quoted).toMatchObject({ dst: 'fd00::9', proto: 17, sport: 50000, dport: 33435 });
  });

  it('null for what is not a whole ICMP message: another protocol, a cut header, another IP version, garbage', () => {
    const echo = ip4('10.0.0.2', 64, ...echoLayers(4, { identifier: 1, sequence: 1 }));
    const udp = stackBytes([{ kind: 'ipv4', fields: { src: '10.0.0.2', dst: '10.0.0.1' } }, { kind: 'udp', fields: { chksum: 0 } }]);
    const v6 = echo.slice();
    v6[0] = 0x65;
    for (const [what, b] of [['udp', udp], ['7 bytes of ICMP', echo.subarray(0, 27)], ['version 6', v6], ['garbage', Uint8Array.of(0x45, 1, 2)]] as const) {
      expect(decodeIcmpPacket(packet(b, true), 4), what).toBeNull();
    }
    expect(decodeIcmpPacket(packet(Uint8Array.of(129, 0, 0, 0, 0, 1, 0), false), 6)).toBeNull();
  });
});
