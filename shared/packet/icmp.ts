// ICMP for IPv4 (RFC 792, 950, 1191) as a layer. The 4 bytes after
// the checksum mean something different for each type, so those fields
// exist only for their types (as in Scapy). An error is followed by the
// datagram it quotes: an ipv4 layer and its transport.
import { ICMP_CODES, ICMP_ERRORS, ICMP_TYPES } from './icmp-names.js';
import { field, icmpHead, oneOf, typed, uint, type Fields, type LayerCodec } from './spec.js';

const ICMP_ALIASES: Readonly<Record<string, number>> = {
  'param-problem': 12, 'destination-unreachable': 3, 'echo': 8, 'timestamp': 13, 'ttl-exceeded': 11,
};

const isError = oneOf(...ICMP_ERRORS);
const ID_SEQ = [0, 8, 13, 14, 15, 16, 17, 18];
const OWN_REST = [...ID_SEQ, 3, 5, 12];
const unusedElsewhere = (f: Fields): boolean => !OWN_REST.includes(f.type as number);

export const ICMP: LayerCodec = {
  kind: 'icmp',
  label: 'ICMP',
  help: 'Internet Control Message Protocol for IPv4 (RFC 792).',
  fields: [
    ...icmpHead(ICMP_TYPES, ICMP_ALIASES, ICMP_CODES, 8, 'Internet checksum of the message; wrong on purpose if you set it.'),
    uint('id', 16, 'Identifier', 'Matches replies to requests (ping uses its process id).', 0, typed(...ID_SEQ)),
    uint('seq', 16, 'Sequence number', 'Counts requests.', 0, typed(...ID_SEQ)),
    uint('ts_ori', 32, 'Originate timestamp', 'Milliseconds since midnight UT when sent.', 0, typed(13, 14)),
    uint('ts_rx', 32, 'Receive timestamp', 'Milliseconds since midnight UT when received.', 0, typed(13, 14)),
    uint('ts_tx', 32, 'Transmit timestamp', 'Milliseconds since midnight UT when the reply left.', 0, typed(13, 14)),
    field('addr_mask', { t: 'ipv4' }, 'Address mask', 'The subnet mask (address mask reply).', '0.0.0.0', typed(17, 18)),
    field('gw', { t: 'ipv4' }, 'Gateway', 'The router to use instead (redirect).', '0.0.0.0', typed(5)),
    uint('ptr', 8, 'Pointer', 'Offset of the bad byte in the quoted datagram (parameter problem).', 0, typed(12)),
    uint('unused', 24, 'Unused', 'Zero.', 0, typed(12)),
    uint('unused', 16, 'Unused', 'Zero.', 0, typed(3)),
    uint('nexthopmtu', 16, 'Next-hop MTU', 'The MTU of the next hop, with fragmentation-needed (RFC 1191).', 0, typed(3)),
    uint('unused', 32, 'Unused', 'Zero.', 0, { when: unusedElsewhere }),
  ],
  follows: (f) => (f === null || isError(f) ? ['ipv4', 'payload'] : ['payload']),
  next: (f, rest) => (isError(f) && rest.length >= 20 && rest[0]! >> 4 === 4 ? 'ipv4' : null),
  checksum: { field: 'chksum', scope: 'all', pseudo: false },
};
