// IPv4 header (RFC 791) as a layer: every field, options as a list.
// frag counts 8-byte units as on the wire (Scapy's convention).
import { field, uint, type Fields, type LayerCodec, type LayerKind } from './spec.js';

/** Protocol names for the proto / nh fields (IANA numbers). */
export const IP_PROTOCOLS: Readonly<Record<number, string>> = {
  0: 'hopopts', 1: 'icmp', 2: 'igmp', 4: 'ipv4', 6: 'tcp', 17: 'udp', 41: 'ipv6', 43: 'routing', 44: 'fragment',
  47: 'gre', 50: 'esp', 51: 'ah', 58: 'icmpv6', 59: 'none', 60: 'destopts', 132: 'sctp',
};

/** Numbers of the layers that announce themselves by protocol number. */
const NEXT_BY_PROTO: Readonly<Record<number, LayerKind>> = { 1: 'icmp', 6: 'tcp', 17: 'udp' };

const isLaterFragment = (f: Fields): boolean => (f.frag as number) !== 0;

export const IPV4: LayerCodec = {
  kind: 'ipv4',
  label: 'IPv4',
  help: 'Internet Protocol version 4 header (RFC 791).',
  fields: [
    uint('version', 4, 'Version', 'IP version; 4 for a valid IPv4 header.', 4),
    uint('ihl', 4, 'Header length', 'Header length in 32-bit words (5 without options).', 5, { auto: true }),
    uint('dscp', 6, 'DSCP', 'Differentiated services code point (RFC 2474).'),
    uint('ecn', 2, 'ECN', 'Explicit congestion notification: 0 not-ECT, 1 ECT(1), 2 ECT(0), 3 CE.'),
    uint('len', 16, 'Total length', 'Header plus payload in bytes.', 20, { auto: true }),
    uint('id', 16, 'Identification', 'Groups the fragments of one datagram.', 1),
    field('flags', { t: 'flags', bits: 3, names: ['MF', 'DF', 'evil'] }, 'Flags', 'MF more fragments, DF don\'t fragment, evil the reserved bit (RFC 3514).', 0),
    uint('frag', 13, 'Fragment offset', 'Offset of this fragment in 8-byte units.'),
    uint('ttl', 8, 'Time to live', 'Hops left; a router that makes it 0 drops the packet and answers time-exceeded.', 64),
    field('proto', { t: 'enum', bits: 8, names: () => IP_PROTOCOLS }, 'Protocol', 'The protocol of the payload.', 0, { auto: true }),
    uint('chksum', 16, 'Header checksum', 'Internet checksum of the header; wrong on purpose if you set it.', 0, { auto: true }),
    field('src', { t: 'ipv4' }, 'Source', 'Source address.', '127.0.0.1'),
    field('dst', { t: 'ipv4' }, 'Destination', 'Destination address.', '127.0.0.1'),
    field('options', { t: 'options', list: 'ipv4' }, 'Options',
      'EOL, NOP, or RR, Timestamp, LSRR, SSRR, RouterAlert or a number with raw data; padded with EOL to 4 bytes.', [], {
        size: (f) => Math.max(0, (f.ihl as number) * 4 - 20),
      }),
  ],
  follows: () => ['tcp', 'udp', 'icmp', 'payload'],
  next: (f) => (isLaterFragment(f) ? null : (NEXT_BY_PROTO[f.proto as number] ?? null)),
  auto: (f, given, a) => {
    if (!('ihl' in given)) f.ihl = a.header / 4;
    if (!('len' in given)) f.len = a.header + a.rest;
    if (!('proto' in given) && a.next && a.next.kind !== 'payload') f.proto = protoOf(a.next.kind) ?? 0;
  },
  checksum: { field: 'chksum', scope: 'header', pseudo: false },
  partial: (f) => isLaterFragment(f) || ((f.flags as number) & 1) !== 0,
};

const PROTO_OF: Partial<Record<LayerKind, number>> = {
  ipv4: 4, ipv6: 41, hopopts: 0, routing: 43, fragment: 44, destopts: 60, icmp: 1, icmpv6: 58, tcp: 6, udp: 17,
};

/** The protocol number that announces a layer kind, if any. */
export const protoOf = (k: LayerKind): number | undefined => PROTO_OF[k];
