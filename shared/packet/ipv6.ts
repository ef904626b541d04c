// IPv6 (RFC 8200) and its extension headers as layers: hop-by-hop
// and destination options (TLV lists padded with Pad1/PadN), routing
// (addresses for types 0 and 2, raw data otherwise) and fragment.
import { FieldError, field, oneOf, uint, type Fields, type LayerCodec, type LayerKind } from './spec.js';
import { IP_PROTOCOLS, protoOf } from './ipv4.js';

const NEXT_BY_NH: Readonly<Record<number, LayerKind>> = {
  0: 'hopopts', 43: 'routing', 44: 'fragment', 60: 'destopts', 58: 'icmpv6', 6: 'tcp', 17: 'udp',
};

const UPPER: readonly LayerKind[] = ['routing', 'fragment', 'destopts', 'tcp', 'udp', 'icmpv6', 'payload'];

const nhField = field('nh', { t: 'enum', bits: 8, names: () => IP_PROTOCOLS }, 'Next header', 'The header that follows (59: none).', 59, { auto: true });

/** nh from the next layer unless given; 59 (no next header) before a payload or nothing. */
function autoNh(f: Fields, given: Fields, next: { kind: LayerKind } | undefined): void {
  if (!('nh' in given)) f.nh = next && next.kind !== 'payload' ? (protoOf(next.kind) ?? 59) : 59;
}

const nextByNh = (f: Fields): LayerKind | null => NEXT_BY_NH[f.nh as number] ?? null;

export const IPV6: LayerCodec = {
  kind: 'ipv6',
  label: 'IPv6',
  help: 'Internet Protocol version 6 header (RFC 8200).',
  fields: [
    uint('version', 4, 'Version', 'IP version; 6 for a valid IPv6 header.', 6),
    uint('tc', 8, 'Traffic class', 'DSCP (6 bits) and ECN (2 bits).'),
    uint('fl', 20, 'Flow label', 'Labels packets of one flow (RFC 6437).'),
    uint('plen', 16, 'Payload length', 'Bytes after this header, extension headers included.', 0, { auto: true }),
    nhField,
    uint('hlim', 8, 'Hop limit', 'Hops left; 0 at a router gives time-exceeded.', 64),
    field('src', { t: 'ipv6' }, 'Source', 'Source address.', '::1'),
    field('dst', { t: 'ipv6' }, 'Destination', 'Destination address.', '::1'),
  ],
  follows: () => ['hopopts', ...UPPER],
  next: nextByNh,
  auto: (f, given, a) => {
    if (!('plen' in given)) f.plen = a.rest;
    autoNh(f, given, a.next);
  },
};

const lenField = uint('len', 8, 'Header length', 'Length in 8-byte units, not counting the first 8 bytes.', 0, { auto: true });
const autoLen = (f: Fields, given: Fields, header: number): void => {
  if (!('len' in given)) f.len = header / 8 - 1;
};

const optionsHeader = (kind: 'hopopts' | 'destopts', label: string, help: string): LayerCodec => ({
  kind,
  label,
  help,
  fields: [
    nhField,
    lenField,
    field('options', { t: 'options', list: 'ipv6' }, 'Options', 'Pad1, PadN (data), RouterAlert, Jumbo or { kind: number, data }; padded to 8 bytes.', [], {
      size: (f) => (f.len as number) * 8 + 6,
    }),
  ],
  follows: () => UPPER,
  next: nextByNh,
  auto: (f, given, a) => {
    autoNh(f, given, a.next);
    autoLen(f, given, a.header);
  },
});

export const HOPOPTS = optionsHeader('hopopts', 'Hop-by-hop options', 'Options every router on the path examines; must follow the IPv6 header directly.');
export const DESTOPTS = optionsHeader('destopts', 'Destination options', 'Options for the destination (or for each router in a routing header).');

const hasAddresses = oneOf(0, 2);

export const ROUTING: LayerCodec = {
  kind: 'routing',
  label: 'Routing header',
  help: 'Lists nodes to visit on the way (type 0 is deprecated, 2 is Mobile IPv6, 4 segment routing).',
  fields: [
    nhField,
    lenField,
    uint('type', 8, 'Routing type', '0 source route (deprecated), 2 Mobile IPv6, 3 RPL, 4 segment routing.'),
    uint('segleft', 8, 'Segments left', 'Route segments still to visit (defaults to the number of addresses).', 0, { auto: true }),
    uint('reserved', 32, 'Reserved', 'Zero for types 0 and 2.', 0, { when: hasAddresses }),
    field('addresses', { t: 'ipv6list' }, 'Addresses', 'The addresses to visit, in order.', [], {
      when: hasAddresses,
      size: (f) => (f.len as number) * 8,
    }),
    field('data', { t: 'bytes' }, 'Type-specific data', 'Raw data after the first 4 bytes: 4, 12, 20… bytes.', new Uint8Array(4), {
      when: (f) => !hasAddresses(f),
      size: (f) => (f.len as number) * 8 + 4,
    }),
  ],
  follows: () => UPPER,
  next: nextByNh,
  auto: (f, given, a) => {
    if (a.header % 8 !== 0) throw new FieldError('data', `routing data must be 4, 12, 20… bytes (header a multiple of 8), header is ${a.header}`);
    autoNh(f, given, a.next);
    autoLen(f, given, a.header);
    if (!('segleft' in given) && hasAddresses(f)) f.segleft = (f.addresses as string[]).length;
  },
};

const laterFragment = (f: Fields): boolean => (f.offset as number) !== 0;

export const FRAGMENT: LayerCodec = {
  kind: 'fragment',
  label: 'Fragment header',
  help: 'Marks a fragment of a larger packet; only the source fragments in IPv6.',
  fields: [
    nhField,
    uint('res1', 8, 'Reserved', 'Zero.'),
    uint('offset', 13, 'Fragment offset', 'Offset of this fragment in 8-byte units.'),
    uint('res2', 2, 'Reserved', 'Zero.'),
    uint('m', 1, 'More fragments', '1 when more fragments follow.'),
    uint('id', 32, 'Identification', 'Groups the fragments of one packet.'),
  ],
  follows: () => UPPER,
  next: (f) => (laterFragment(f) ? null : nextByNh(f)),
  auto: (f, given, a) => autoNh(f, given, a.next),
  partial: (f) => laterFragment(f) || f.m === 1,
};
