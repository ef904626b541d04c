// Starting points for the crafter: each a list of packets (one, except the
// fragment pair), each packet a layer stack with only the fields that make
// it what it is; the rest take defaults and computed values.
import { buildStack } from './build.js';
import type { Layer } from './spec.js';

export interface Template {
  name: string;
  description: string;
  packets: Layer[][];
}

const DATA = Uint8Array.from({ length: 24 }, (_, i) => 0x61 + i); // "abcdefghijklmnopqrstuvwx"

/**
 * Two fragments of one UDP datagram (8-byte header + 24 bytes): the first
 * carries the header and 16 bytes, the second the last 8 at offset 3 (24
 * bytes). The UDP length and checksum cover the whole datagram, so they are
 * computed once on it and set on the first fragment.
 */
function fragmentPair(): Layer[][] {
  const udp = { sport: 40000, dport: 9 };
  const whole = buildStack([{ kind: 'ipv4', fields: {} }, { kind: 'udp', fields: udp }, { kind: 'payload', fields: { load: DATA } }]);
  if (!whole.ok) throw new Error(whole.message);
  const { len, chksum } = whole.layers[1]!.fields;
  return [
    [
      { kind: 'ipv4', fields: { id: 0x1234, flags: 'MF' } },
      { kind: 'udp', fields: { ...udp, len: len!, chksum: chksum! } },
      { kind: 'payload', fields: { load: DATA.slice(0, 16) } },
    ],
    [
      { kind: 'ipv4', fields: { id: 0x1234, frag: 3, proto: 'udp' } },
      { kind: 'payload', fields: { load: DATA.slice(16) } },
    ],
  ];
}

export const TEMPLATES: readonly Template[] = [
  {
    name: 'ICMP echo',
    description: 'An echo request (ping) to 127.0.0.1 with 8 bytes of data.',
    packets: [[
      { kind: 'ipv4', fields: { dst: '127.0.0.1' } },
      { kind: 'icmp', fields: { type: 'echo-request', id: 1, seq: 1 } },
      { kind: 'payload', fields: { load: 'hex:0001020304050607' } },
    ]],
  },
  {
    name: 'TCP SYN',
    description: 'A connection request to port 80 with the options Linux sends: MSS, SACK permitted, timestamps, window scale.',
    packets: [[
      { kind: 'ipv4', fields: { dst: '127.0.0.1', flags: 'DF' } },
      {
        kind: 'tcp',
        fields: {
          sport: 40000, dport: 80, seq: 1, flags: 'S', window: 65495,
          options: [{ kind: 'MSS', value: 65495 }, { kind: 'SAckOK' }, { kind: 'Timestamp', tsval: 1, tsecr: 0 }, { kind: 'NOP' }, { kind: 'WScale', value: 7 }],
        },
      },
    ]],
  },
  {
    name: 'UDP datagram',
    description: 'A UDP datagram to port 9 (discard) carrying "hello".',
    packets: [[
      { kind: 'ipv4', fields: { dst: '127.0.0.1' } },
      { kind: 'udp', fields: { sport: 40000, dport: 9 } },
      { kind: 'payload', fields: { load: 'hello' } },
    ]],
  },
  {
    name: 'IPv6 echo',
    description: 'An ICMPv6 echo request to ::1 with 8 bytes of data.',
    packets: [[
      { kind: 'ipv6', fields: { dst: '::1' } },
      { kind: 'icmpv6', fields: { type: 'echo-request', id: 1, seq: 1 } },
      { kind: 'payload', fields: { load: 'hex:0001020304050607' } },
    ]],
  },
  {
    name: 'Fragment pair',
    description: 'Two IPv4 fragments of one UDP datagram: the receiver reassembles them (or answers fragment-reassembly-time-exceeded).',
    packets: fragmentPair(),
  },
];
