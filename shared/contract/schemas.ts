// Schemas for everything that crosses the bridge. Types are inferred from
// these (see ./index.ts), never written twice.
import * as v from 'valibot';
import { APPEND_NAMES } from '../codec/append.js';
import { TEXT_ENCODINGS } from '../codec/encoding-names.js';
import { ipBytes, ipFamily, isHostName, unixPathProblem } from '../net/address.js';
import { TlsInfo } from './tls.js';

export const Family = v.picklist(['AF_INET', 'AF_INET6', 'AF_UNIX'], 'family must be AF_INET, AF_INET6 or AF_UNIX');
export const SockType = v.picklist(
  ['SOCK_STREAM', 'SOCK_DGRAM', 'SOCK_SEQPACKET'],
  'type must be SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET',
);
export const ShutdownHow = v.picklist(['SHUT_RD', 'SHUT_WR', 'SHUT_RDWR'], 'how must be SHUT_RD, SHUT_WR or SHUT_RDWR');
export const ReadMode = v.picklist(['auto', 'manual'], 'read mode must be auto or manual');
/** auto: every connection is accepted as it arrives; manual: they wait in the kernel's queue for accept(). */
export const AcceptMode = v.picklist(['auto', 'manual'], 'accept mode must be auto or manual');
/** What a session does with what it receives (for a listener: what its accepted connections do). */
export const ServeMode = v.picklist(['none', 'echo', 'reply'], 'serve mode must be none, echo or reply');

/** A text encoding of shared/codec (saved packets, rules and scenarios name one for their text). */
export const TextEncoding = v.picklist(TEXT_ENCODINGS, `encoding must be one of ${TEXT_ENCODINGS.join(', ')}`);
/** What is appended to a message on send: a checksum or a line ending (shared/codec/append.ts). */
export const AppendName = v.picklist(APPEND_NAMES, `append must be one of ${APPEND_NAMES.join(', ')}`);

export const SessionState = v.picklist([
  'created', 'bound', 'listening', 'connecting', 'connected', 'half-closed', 'closed', 'error',
]);

/** A whole number in [min, max], with messages that name the field (`count must be between 1 and 100`). */
export const intInRange = (name: string, min: number, max: number) =>
  v.pipe(
    v.number(`${name} must be a number`),
    v.integer(`${name} must be a whole number`),
    v.minValue(min, `${name} must be between ${min} and ${max}`),
    v.maxValue(max, `${name} must be between ${min} and ${max}`),
  );

export const SessionId = v.pipe(v.number('id must be a number'), v.integer('id must be an integer'), v.minValue(1, 'id must be ≥ 1'));

export const Port = intInRange('port', 0, 65535);

/** An IPv4 or IPv6 literal (IPv6 may carry a %scope). Host names are not resolved here. */
export const IpAddress = v.pipe(
  v.string('address must be text'),
  v.trim(),
  v.check((s) => ipFamily(s) !== null, 'not an IP address (expected e.g. 127.0.0.1 or ::1)'),
);

/**
 * Where a socket binds, connects or sends: an IP literal, a host name (by its
 * syntax; main resolves it with getaddrinfo and the trace shows the lookup),
 * or for AF_UNIX a filesystem path (/run/x.sock, ./x.sock) or a Linux
 * abstract name (@name). Which the session accepts is checked by the session (its family).
 */
export const SocketAddress = v.pipe(
  v.string('address must be text'),
  v.trim(),
  v.check(
    (s) => ipFamily(s) !== null || isHostName(s) || unixPathProblem(s) === null,
    (issue) => unixPathProblem(String(issue.input)) ?? 'not an IP address, host name or Unix socket path',
  ),
);

/** A DNS host name, by its syntax (net.lookup resolves it). */
export const HostName = v.pipe(
  v.string('host must be text'),
  v.trim(),
  v.check(isHostName, 'not a host name (letters, digits, inner hyphens and dots, e.g. localhost or example.com)'),
);

export const TimeoutMs = v.nullable(
  v.pipe(v.number('timeout must be a number'), v.minValue(0, 'timeout must be ≥ 0'), v.maxValue(3_600_000, 'timeout must be at most 1 hour')),
);

export const Bufsize = intInRange('bufsize', 1, 1_048_576);

export const Backlog = intInRange('backlog', 1, 65535);

/** Payloads stay binary on both transports. At most 16 MiB per call. */
export const MAX_CALL_BYTES = 16 * 1024 * 1024;

export const AnyBytes = v.custom<Uint8Array>((x) => x instanceof Uint8Array, 'data must be bytes (Uint8Array)');

export const Bytes = v.pipe(
  AnyBytes,
  v.check((b) => b.byteLength <= MAX_CALL_BYTES, 'data must be at most 16 MiB per call'),
);

/** For AF_UNIX, `address` is the path ('' unnamed, '@name' abstract) and `port` is 0. */
export const SockAddr = v.object({
  family: Family,
  address: v.string(),
  port: v.number(),
});

export const Errno = v.object({ name: v.string(), number: v.number() });

export const ErrorCode = v.picklist([
  'BAD_REQUEST', // params failed the schema; `field` names the culprit
  'UNKNOWN_METHOD',
  'NO_SUCH_SESSION',
  'OS_ERROR', // the kernel said no; `errno` has its name and number
  'INVALID_STATE', // the call is not legal in the session's state (errno as the kernel would give)
  'TLS_ERROR', // the TLS handshake failed or the peer's certificate did not verify; the message names why
  'TIMEOUT',
  'FORBIDDEN', // the message came from somewhere the bridge does not serve (a subframe, a foreign page)
  'INTERNAL',
]);

export const BridgeError = v.object({
  code: ErrorCode,
  message: v.string(),
  errno: v.optional(Errno),
  field: v.optional(v.string()),
});

export const Counters = v.object({
  bytesIn: v.number(),
  bytesOut: v.number(),
  chunksIn: v.number(),
  chunksOut: v.number(),
  /**
   * Datagrams the kernel dropped for this socket because its receive buffer
   * was full (SO_RXQ_OVFL, or /proc/net/udp's drops), since the session began;
   * absent where the kernel does not say. Not what the view skipped
   * (session.dropped) nor what the app let go (appDropped).
   */
  kernelDropped: v.optional(v.number()),
  /** Messages and bytes the app itself had to let go (e.g. a bounded queue was full), counted so nothing goes unseen. */
  appDropped: v.optional(v.object({ chunks: v.number(), bytes: v.number() })),
});

/** Hit counts of the auto-reply rule set a session answers with (a listener: over all its connections). */
export const RulesStatus = v.object({
  name: v.string(),
  /** One per rule, in order. */
  rules: v.array(v.object({ label: v.string(), hits: v.number() })),
  /** Messages cut from what arrived (answered or not). */
  messages: v.number(),
});

export const SessionInfo = v.object({
  id: SessionId,
  family: Family,
  type: SockType,
  state: SessionState,
  readMode: ReadMode,
  local: v.optional(SockAddr),
  peer: v.optional(SockAddr),
  /** For an accepted connection: the listener it came from. */
  parent: v.optional(SessionId),
  backlog: v.optional(v.number()),
  /** The descriptor (fileno()), while the socket has one. */
  fd: v.optional(v.number()),
  /** The socket lives in the socket worker process (AF_UNIX datagrams, SOCK_SEQPACKET): its descriptor is that process's. */
  inWorker: v.optional(v.boolean()),
  /** Listeners: how connections are accepted, and how many wait in the kernel's accept queue (null: the kernel does not say, as for AF_UNIX, beyond "some"). */
  acceptMode: v.optional(AcceptMode),
  pending: v.optional(v.nullable(v.number())),
  /** Received bytes being kept for saving to a file (makefile('rb')): how many so far, and what did not fit. */
  capture: v.optional(v.object({ on: v.boolean(), bytes: v.number(), overflow: v.number(), limit: v.number() })),
  /** Echo or reply-with mode, and the reply's length. */
  serve: v.optional(v.object({ mode: ServeMode, replyBytes: v.number() })),
  /** Auto-reply rules (main/automation): the rule set's name and each rule's hits. */
  rules: v.optional(RulesStatus),
  /** The connect timeout / recv timeout in ms, null = blocking without limit (settimeout(None)). */
  timeoutMs: TimeoutMs,
  counters: Counters,
  /** The last error that moved the session to `error`, if any. */
  lastError: v.optional(BridgeError),
  /** Monotonic µs since engine start. */
  createdUs: v.number(),
  /** UDP: multicast groups joined, each with the interface it was joined on (absent: the kernel chose). */
  groups: v.optional(v.array(v.object({ group: v.string(), iface: v.optional(v.string()) }))),
  /** TLS sessions and listeners: the handshake, the peer's chain, the certificate presented. */
  tls: v.optional(TlsInfo),
});

export const TraceEntry = v.object({
  seq: v.number(),
  /** Monotonic µs since engine start. */
  tUs: v.number(),
  call: v.string(),
  args: v.record(v.string(), v.unknown()),
  ok: v.boolean(),
  /** Human summary of the result, e.g. "7 bytes" or "127.0.0.1:40112". */
  result: v.optional(v.string()),
  errno: v.optional(Errno),
  message: v.optional(v.string()),
  /** Duration of the call in µs (connect, recv, sendall can take time). */
  durUs: v.optional(v.number()),
});

export const DataEntry = v.object({
  id: SessionId,
  dir: v.picklist(['in', 'out']),
  tUs: v.number(),
  bytes: AnyBytes,
  /** UDP: who sent it (in) or where it went (out). */
  addr: v.optional(SockAddr),
  /** A repeated send (socket.sendRepeat): this one entry stands for `repeat` identical datagrams. */
  repeat: v.optional(v.number()),
  /** An automatic reply: the rule that sent it ("set › rule"). */
  rule: v.optional(v.string()),
});

// UDP extras: broadcast and multicast.

/** A multicast group: 224.0.0.0/4 (IPv4) or ff00::/8 (IPv6), without a %scope (the interface is its own field). */
export const MulticastGroup = v.pipe(
  v.string('group must be text'),
  v.trim(),
  v.check((s) => ipFamily(s) !== null, 'not an IP address (expected a multicast group, e.g. 239.1.2.3 or ff05::1:3)'),
  v.check((s) => !s.includes('%'), 'give the interface in its own field, not as a %scope of the group'),
  v.check(
    (s) => {
      const b = ipBytes(s);
      return !b || (b.length === 4 ? b[0]! >= 224 && b[0]! <= 239 : b[0] === 0xff); // not an address: said above
    },
    'not a multicast address: a group is in 224.0.0.0/4 (IPv4) or ff00::/8 (IPv6)',
  ),
);

/**
 * The interface a membership or multicast send uses: for AF_INET a local IPv4
 * address (127.0.0.1) or an interface name (lo); for AF_INET6 an interface
 * name (lo) or index (1). Which of them fits is checked by the session.
 */
export const MulticastIface = v.pipe(
  v.string('interface must be text'),
  v.trim(),
  v.check(
    (s) => ipFamily(s) !== null || /^[A-Za-z0-9][\w.:-]{0,14}$/.test(s),
    'not an interface (expected an address like 127.0.0.1, a name like lo, or an index like 1)',
  ),
);

export const MulticastTTL = intInRange('ttl', 0, 255);

export const Toggle = v.boolean('on must be true or false');

/** The message for an object whose key is missing ("iface is required") or that is no object at all. */
export const requiredKeys = (issue: v.BaseIssue<unknown>): string => {
  const key = issue.path?.at(-1)?.key;
  return key === undefined ? 'params must be an object' : `${String(key)} is required`;
};

// Types the socket-option catalogue (shared/sockopt) needs without importing the whole contract.
export type Family = v.InferOutput<typeof Family>;
export type SockType = v.InferOutput<typeof SockType>;
export type SessionState = v.InferOutput<typeof SessionState>;

/**
 * A name the caller gives a run (ping, traceroute, sweep, raw socket, crafted
 * send) with its start call; every event of that run carries it back, so the
 * caller can tell its run's events apart before the call has answered with
 * the run's id (and another window's runs from its own).
 */
export const RunRef = v.pipe(v.string('ref must be a string'), v.regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'ref must be 1 to 64 letters, digits, or _ . : -'));
