// TCP (RFC 9293, flags incl. ECN RFC 3168 and NS RFC 3540), UDP (RFC 768)
// and the raw payload as layers. TCP and UDP checksums cover the
// pseudo-header of the IP layer before them (or of the context).
import { field, ports, uint, type LayerCodec } from './spec.js';

/** TCP flag letters from the least significant bit up (Scapy's "FSRPAUECN"). */
export const TCP_FLAGS = ['F', 'S', 'R', 'P', 'A', 'U', 'E', 'C', 'N'] as const;

const payloadOnly = (): readonly ['payload'] => ['payload'];

export const TCP: LayerCodec = {
  kind: 'tcp',
  label: 'TCP',
  help: 'Transmission Control Protocol segment header (RFC 9293).',
  fields: [
    ...ports(20, 80),
    uint('seq', 32, 'Sequence number', 'Number of the first data byte (the ISN with SYN).'),
    uint('ack', 32, 'Acknowledgment', 'Next sequence number expected, meaningful with A.'),
    uint('dataofs', 4, 'Data offset', 'Header length in 32-bit words (5 without options).', 5, { auto: true }),
    uint('reserved', 3, 'Reserved', 'Zero.'),
    field('flags', { t: 'flags', bits: 9, names: TCP_FLAGS }, 'Flags',
      'F fin, S syn, R reset, P push, A ack, U urgent, E ECN-echo, C congestion window reduced, N nonce; e.g. "S,E,C" or "SA".', 2),
    uint('window', 16, 'Window', 'Bytes the sender can receive (before window scaling).', 8192),
    uint('chksum', 16, 'Checksum', 'Internet checksum over the pseudo-header and segment; wrong on purpose if you set it.', 0, { auto: true }),
    uint('urgptr', 16, 'Urgent pointer', 'Offset of the end of urgent data, meaningful with U.'),
    field('options', { t: 'options', list: 'tcp' }, 'Options',
      'MSS, WScale (value), SAckOK, SAck (blocks), Timestamp (tsval, tsecr), NOP, EOL or { kind: number, data }; padded with EOL to 4 bytes.', [], {
        size: (f) => Math.max(0, (f.dataofs as number) * 4 - 20),
      }),
  ],
  follows: payloadOnly,
  auto: (f, given, a) => {
    if (!('dataofs' in given)) f.dataofs = a.header / 4;
  },
  checksum: { field: 'chksum', scope: 'all', pseudo: true },
};

export const UDP: LayerCodec = {
  kind: 'udp',
  label: 'UDP',
  help: 'User Datagram Protocol header (RFC 768).',
  fields: [
    ...ports(53, 53),
    uint('len', 16, 'Length', 'Header plus data in bytes.', 8, { auto: true }),
    uint('chksum', 16, 'Checksum', 'Internet checksum over the pseudo-header and datagram; 0 means none (IPv4 only).', 0, { auto: true }),
  ],
  follows: payloadOnly,
  auto: (f, given, a) => {
    if (!('len' in given)) f.len = a.header + a.rest;
  },
  // A computed 0 is sent as 0xffff: 0 means "no checksum" (RFC 768).
  checksum: { field: 'chksum', scope: 'all', pseudo: true, zeroIsNone: true },
};

export const PAYLOAD: LayerCodec = {
  kind: 'payload',
  label: 'Payload',
  help: 'Raw bytes: hex:41414141, text, or a list of byte values.',
  fields: [field('load', { t: 'bytes' }, 'Data', 'The bytes as they are sent.', new Uint8Array(0), { size: (_f, left) => left })],
  follows: () => [],
};
