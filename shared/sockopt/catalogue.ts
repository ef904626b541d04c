// The socket options Sockbench knows by name: level, kind, range, unit, the
// sockets they apply to, and when setting them still matters. Anything else
// goes through setsockoptRaw / getsockoptRaw with numeric level and optname.
import type { Family, SockType } from '../contract/schemas.js';
import type { OptionSpec } from './types.js';

const ALL: readonly Family[] = ['AF_INET', 'AF_INET6', 'AF_UNIX'];
const INET: readonly Family[] = ['AF_INET', 'AF_INET6'];
const V4: readonly Family[] = ['AF_INET'];
const V6: readonly Family[] = ['AF_INET6'];
const ANY_TYPE: readonly SockType[] = ['SOCK_STREAM', 'SOCK_DGRAM', 'SOCK_SEQPACKET'];
const CONNECTED: readonly SockType[] = ['SOCK_STREAM', 'SOCK_SEQPACKET'];
const STREAM: readonly SockType[] = ['SOCK_STREAM'];
const DGRAM: readonly SockType[] = ['SOCK_DGRAM'];
const IP_TYPES: readonly SockType[] = ['SOCK_STREAM', 'SOCK_DGRAM'];
const INT_MAX = 2_147_483_647;

/** TOS byte codepoints (RFC 2474 DSCP << 2, and RFC 1349's legacy bits). */
const TOS_CHOICES = [
  { name: 'CS0', value: 0x00 }, { name: 'CS1', value: 0x20 }, { name: 'AF11', value: 0x28 }, { name: 'AF21', value: 0x48 },
  { name: 'AF31', value: 0x68 }, { name: 'AF41', value: 0x88 }, { name: 'CS5', value: 0xa0 }, { name: 'EF', value: 0xb8 },
  { name: 'CS6', value: 0xc0 }, { name: 'CS7', value: 0xe0 }, { name: 'IPTOS_LOWDELAY', value: 0x10 },
  { name: 'IPTOS_THROUGHPUT', value: 0x08 }, { name: 'IPTOS_RELIABILITY', value: 0x04 },
] as const;

export const OPTIONS: readonly OptionSpec[] = [
  // SOL_SOCKET
  { name: 'SO_REUSEADDR', level: 'SOL_SOCKET', kind: 'bool', families: INET, types: ANY_TYPE, when: 'before-bind',
    help: 'Allow bind to a local address still in TIME_WAIT (TCP) or shared with other SO_REUSEADDR sockets.' },
  { name: 'SO_REUSEPORT', level: 'SOL_SOCKET', kind: 'bool', families: INET, types: IP_TYPES, when: 'before-bind',
    help: 'Let several sockets bind the same address and port; the kernel spreads connections or datagrams among them.' },
  { name: 'SO_KEEPALIVE', level: 'SOL_SOCKET', kind: 'bool', families: INET, types: STREAM, when: 'any',
    help: 'Send keepalive probes on an idle connection (timing from TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT).' },
  { name: 'SO_LINGER', level: 'SOL_SOCKET', kind: 'linger', maxSeconds: 65_535, unit: 's', families: ALL, types: CONNECTED, when: 'any',
    help: 'On: close waits up to the given seconds for unsent data; on with 0 s: close sends a reset (RST) at once.' },
  { name: 'SO_RCVBUF', level: 'SOL_SOCKET', kind: 'int', min: 0, max: INT_MAX, unit: 'bytes', families: ALL, types: ANY_TYPE, when: 'any',
    help: 'Receive buffer size. Linux doubles the value for its bookkeeping and caps it at net.core.rmem_max.' },
  { name: 'SO_SNDBUF', level: 'SOL_SOCKET', kind: 'int', min: 0, max: INT_MAX, unit: 'bytes', families: ALL, types: ANY_TYPE, when: 'any',
    help: 'Send buffer size. Linux doubles the value for its bookkeeping and caps it at net.core.wmem_max.' },
  { name: 'SO_RCVLOWAT', level: 'SOL_SOCKET', kind: 'int', min: 0, max: INT_MAX, unit: 'bytes', families: ALL, types: ANY_TYPE, when: 'any',
    help: 'A read is not woken until at least this many bytes are queued (0 counts as 1).' },
  { name: 'SO_BROADCAST', level: 'SOL_SOCKET', kind: 'bool', families: V4, types: DGRAM, when: 'any',
    help: 'Allow sending datagrams to a broadcast address (without it: EACCES).' },
  { name: 'SO_RCVTIMEO', level: 'SOL_SOCKET', kind: 'timeval', maxSeconds: 86_400, unit: 's', families: ALL, types: ANY_TYPE, when: 'any',
    help: 'Timeout of blocking receives, as a struct timeval (0 = none); the workbench reads without blocking, so use settimeout for its own reads.' },
  { name: 'SO_SNDTIMEO', level: 'SOL_SOCKET', kind: 'timeval', maxSeconds: 86_400, unit: 's', families: ALL, types: ANY_TYPE, when: 'any',
    help: 'Timeout of blocking sends and connects, as a struct timeval (0 = none).' },
  { name: 'SO_TYPE', level: 'SOL_SOCKET', kind: 'enum', readOnly: true, families: ALL, types: ANY_TYPE, when: 'any',
    choices: [{ name: 'SOCK_STREAM' }, { name: 'SOCK_DGRAM' }, { name: 'SOCK_SEQPACKET' }, { name: 'SOCK_RAW' }],
    help: 'The socket type given to socket() (read-only).' },
  { name: 'SO_ERROR', level: 'SOL_SOCKET', kind: 'int', min: 0, max: INT_MAX, unit: 'errno', readOnly: true, families: ALL, types: ANY_TYPE, when: 'any',
    help: 'The pending socket error, e.g. of a non-blocking connect; reading it clears it (read-only).' },
  { name: 'SO_DOMAIN', level: 'SOL_SOCKET', kind: 'enum', readOnly: true, families: ALL, types: ANY_TYPE, when: 'any',
    choices: [{ name: 'AF_INET' }, { name: 'AF_INET6' }, { name: 'AF_UNIX' }],
    help: 'The address family given to socket() (read-only).' },
  { name: 'SO_PROTOCOL', level: 'SOL_SOCKET', kind: 'enum', readOnly: true, families: ALL, types: ANY_TYPE, when: 'any',
    choices: [{ name: 'IPPROTO_TCP' }, { name: 'IPPROTO_UDP' }],
    help: 'The protocol the kernel chose for the socket, e.g. IPPROTO_TCP; 0 for AF_UNIX (read-only).' },
  { name: 'SO_ACCEPTCONN', level: 'SOL_SOCKET', kind: 'bool', readOnly: true, families: ALL, types: CONNECTED, when: 'any',
    help: 'Whether the socket is listening (read-only).' },
  // IPPROTO_TCP
  { name: 'TCP_NODELAY', level: 'IPPROTO_TCP', kind: 'bool', families: INET, types: STREAM, when: 'any',
    help: 'Turn off Nagle’s algorithm: small writes go out at once instead of waiting for the previous ACK.' },
  { name: 'TCP_KEEPIDLE', level: 'IPPROTO_TCP', kind: 'int', min: 1, max: 32_767, unit: 's', families: INET, types: STREAM, when: 'any',
    help: 'Idle time before the first keepalive probe (needs SO_KEEPALIVE).' },
  { name: 'TCP_KEEPINTVL', level: 'IPPROTO_TCP', kind: 'int', min: 1, max: 32_767, unit: 's', families: INET, types: STREAM, when: 'any',
    help: 'Time between keepalive probes.' },
  { name: 'TCP_KEEPCNT', level: 'IPPROTO_TCP', kind: 'int', min: 1, max: 127, unit: 'probes', families: INET, types: STREAM, when: 'any',
    help: 'Unanswered keepalive probes before the connection is dropped (ETIMEDOUT).' },
  { name: 'TCP_MAXSEG', level: 'IPPROTO_TCP', kind: 'int', min: 88, max: 32_767, unit: 'bytes', families: INET, types: STREAM, when: 'before-connect',
    help: 'Maximum segment size announced in the SYN; reading it on a connection gives the MSS in use.' },
  { name: 'TCP_QUICKACK', level: 'IPPROTO_TCP', kind: 'bool', families: INET, types: STREAM, when: 'any',
    help: 'ACK at once instead of delaying; not permanent: the kernel may return to delayed ACKs.' },
  { name: 'TCP_CONGESTION', level: 'IPPROTO_TCP', kind: 'bytes', text: true, maxLen: 16, families: INET, types: STREAM, when: 'any',
    help: 'Congestion control algorithm by name, e.g. cubic or reno (see net.ipv4.tcp_available_congestion_control).' },
  // IPPROTO_IP
  { name: 'IP_TTL', level: 'IPPROTO_IP', kind: 'int', min: 1, max: 255, unit: 'hops', families: V4, types: IP_TYPES, when: 'any',
    help: 'Time to live of outgoing unicast packets: each router decrements it and drops the packet at 0.' },
  { name: 'IP_TOS', level: 'IPPROTO_IP', kind: 'enum', choices: TOS_CHOICES, min: 0, max: 255, families: V4, types: IP_TYPES, when: 'any',
    help: 'Type-of-service byte: DSCP in the upper 6 bits, ECN in the lower 2 (on TCP the kernel keeps its own ECN bits).' },
  { name: 'IP_MULTICAST_TTL', level: 'IPPROTO_IP', kind: 'int', min: 0, max: 255, unit: 'hops', families: V4, types: DGRAM, when: 'any',
    help: 'Time to live of outgoing multicast datagrams (1 = this network only).' },
  { name: 'IP_MULTICAST_LOOP', level: 'IPPROTO_IP', kind: 'bool', families: V4, types: DGRAM, when: 'any',
    help: 'Deliver multicast datagrams sent by this host back to its own sockets.' },
  // IPPROTO_IPV6
  { name: 'IPV6_V6ONLY', level: 'IPPROTO_IPV6', kind: 'bool', families: V6, types: IP_TYPES, when: 'before-bind',
    help: 'Only IPv6: no IPv4-mapped addresses, so :: and 0.0.0.0 on the same port can be bound separately.' },
  { name: 'IPV6_TCLASS', level: 'IPPROTO_IPV6', kind: 'int', min: -1, max: 255, families: V6, types: IP_TYPES, when: 'any',
    help: 'Traffic class of outgoing packets, IPv6’s TOS byte: DSCP in the upper 6 bits (-1 = the default, 0).' },
  { name: 'IPV6_MULTICAST_HOPS', level: 'IPPROTO_IPV6', kind: 'int', min: -1, max: 255, unit: 'hops', families: V6, types: DGRAM, when: 'any',
    help: 'Hop limit of outgoing multicast datagrams (-1 = the default, 1).' },
  { name: 'IPV6_MULTICAST_LOOP', level: 'IPPROTO_IPV6', kind: 'bool', families: V6, types: DGRAM, when: 'any',
    help: 'Deliver multicast datagrams sent by this host back to its own sockets.' },
  { name: 'IPV6_UNICAST_HOPS', level: 'IPPROTO_IPV6', kind: 'int', min: -1, max: 255, unit: 'hops', families: V6, types: IP_TYPES, when: 'any',
    help: 'Hop limit of outgoing unicast packets (-1 = the route’s default).' },
];

const byName = new Map(OPTIONS.map((o) => [o.name, o]));

export function findOption(name: string): OptionSpec | undefined {
  return byName.get(name);
}

export const OPTION_NAMES: readonly string[] = OPTIONS.map((o) => o.name);
