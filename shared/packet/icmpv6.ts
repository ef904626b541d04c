// ICMPv6 (RFC 4443, neighbour discovery RFC 4861) as a layer. Its
// checksum covers the IPv6 pseudo-header: the addresses come from the IPv6
// layer before it, or from the context when the stack starts here.
import { ICMPV6_CODES, ICMPV6_ERRORS, ICMPV6_TYPES } from './icmp-names.js';
import { field, icmpHead, oneOf, typed, uint, type Fields, type LayerCodec } from './spec.js';

const ALIASES: Readonly<Record<string, number>> = {
  'neighbour-solicitation': 135, 'neighbour-advertisement': 136, 'param-problem': 4, 'destination-unreachable': 1, 'echo': 128,
};

const isError = oneOf(...ICMPV6_ERRORS);
const hasOptions = oneOf(133, 135, 136, 137);
const NAMED = [1, 2, 3, 4, 128, 129, 136];

export const ICMPV6: LayerCodec = {
  kind: 'icmpv6',
  label: 'ICMPv6',
  help: 'Internet Control Message Protocol for IPv6 (RFC 4443), neighbour discovery (RFC 4861).',
  fields: [
    ...icmpHead(ICMPV6_TYPES, ALIASES, ICMPV6_CODES, 128, 'Internet checksum over the IPv6 pseudo-header and the message.'),
    uint('unused', 32, 'Unused', 'Zero.', 0, typed(1, 3)),
    uint('mtu', 32, 'MTU', 'The MTU of the next hop (packet too big).', 1280, typed(2)),
    uint('ptr', 32, 'Pointer', 'Offset of the bad byte in the quoted packet (parameter problem).', 0, typed(4)),
    uint('id', 16, 'Identifier', 'Matches replies to requests.', 0, typed(128, 129)),
    uint('seq', 16, 'Sequence number', 'Counts requests.', 0, typed(128, 129)),
    uint('R', 1, 'Router', 'Set when the sender is a router.', 0, typed(136)),
    uint('S', 1, 'Solicited', 'Set in answer to a solicitation.', 0, typed(136)),
    uint('O', 1, 'Override', 'Set to replace a cached link-layer address.', 1, typed(136)),
    uint('res', 29, 'Reserved', 'Zero.', 0, typed(136)),
    uint('res', 32, 'Reserved', 'Zero.', 0, { when: (f: Fields) => !NAMED.includes(f.type as number) }),
    field('tgt', { t: 'ipv6' }, 'Target address', 'The address being resolved or announced.', '::', typed(135, 136, 137)),
    field('dst', { t: 'ipv6' }, 'Destination', 'The destination being redirected.', '::', typed(137)),
    field('options', { t: 'options', list: 'nd' }, 'Options', 'src-lladdr / tgt-lladdr (lladdr: 02:00:…) or { kind: number, data: 6, 14… bytes }.', [], {
      when: hasOptions,
      size: (_f, left) => left,
    }),
  ],
  follows: (f) => (f === null || isError(f) ? ['ipv6', 'payload'] : hasOptions(f) ? [] : ['payload']),
  next: (f, rest) => (isError(f) && rest.length >= 40 && rest[0]! >> 4 === 6 ? 'ipv6' : null),
  checksum: { field: 'chksum', scope: 'all', pseudo: true },
};
