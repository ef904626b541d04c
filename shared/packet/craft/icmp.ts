// ICMP for IPv4 (RFC 792, 950, 1191) as a crafter layer. The 4 bytes after
// the checksum mean something different for each type, so those fields
// exist only for their types (as in Scapy). An error is followed by the
// datagram it quotes: an ipv4 layer and its transport.
import {
  ICMP_PARAMETER_PROBLEM_CODES, ICMP_REDIRECT_CODES, ICMP_TIME_EXCEEDED_CODES, ICMP_UNREACHABLE_CODES,
} from '../icmp.js';
import { field, icmpHead, oneOf, typed, uint, type Fields, type LayerCodec } from './spec.js';

/** Type names as Scapy spells them. */
export const ICMP_TYPES: Readonly<Record<number, string>> = {
  0: 'echo-reply', 3: 'dest-unreach', 4: 'source-quench', 5: 'redirect', 8: 'echo-request', 9: 'router-advertisement',
  10: 'router-solicitation', 11: 'time-exceeded', 12: 'parameter-problem', 13: 'timestamp-request', 14: 'timestamp-reply',
  15: 'information-request', 16: 'information-response', 17: 'address-mask-request', 18: 'address-mask-reply',
  30: 'traceroute', 31: 'datagram-conversion-error', 32: 'mobile-host-redirect', 33: 'ipv6-where-are-you',
  34: 'ipv6-i-am-here', 35: 'mobile-registration-request', 36: 'mobile-registration-reply', 37: 'domain-name-request',
  38: 'domain-name-reply', 39: 'skip', 40: 'photuris',
};

const ICMP_ALIASES: Readonly<Record<string, number>> = {
  'param-problem': 12, 'destination-unreachable': 3, 'echo': 8, 'timestamp': 13, 'ttl-exceeded': 11,
};

const CODES: Readonly<Record<number, Readonly<Record<number, string>>>> = {
  3: ICMP_UNREACHABLE_CODES, 5: ICMP_REDIRECT_CODES, 11: ICMP_TIME_EXCEEDED_CODES, 12: ICMP_PARAMETER_PROBLEM_CODES,
};

/** Types whose message quotes the offending datagram. */
export const ICMP_ERRORS: readonly number[] = [3, 4, 5, 11, 12];
const isError = oneOf(...ICMP_ERRORS);
const ID_SEQ = [0, 8, 13, 14, 15, 16, 17, 18];
const OWN_REST = [...ID_SEQ, 3, 5, 12];
const unusedElsewhere = (f: Fields): boolean => !OWN_REST.includes(f.type as number);

export const ICMP: LayerCodec = {
  kind: 'icmp',
  label: 'ICMP',
  help: 'Internet Control Message Protocol for IPv4 (RFC 792).',
  fields: [
    ...icmpHead(ICMP_TYPES, ICMP_ALIASES, CODES, 8, 'Internet checksum of the message; wrong on purpose if you set it.'),
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
