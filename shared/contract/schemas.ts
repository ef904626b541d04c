// Schemas for everything that crosses the bridge. Types are inferred from
// these (see ./index.ts), never written twice.
import * as v from 'valibot';
import { ipFamily } from '../net/address.js';

export const Family = v.picklist(['AF_INET', 'AF_INET6'], 'family must be AF_INET or AF_INET6');
export const SockType = v.picklist(['SOCK_STREAM', 'SOCK_DGRAM'], 'type must be SOCK_STREAM or SOCK_DGRAM');
export const ShutdownHow = v.picklist(['SHUT_RD', 'SHUT_WR', 'SHUT_RDWR'], 'how must be SHUT_RD, SHUT_WR or SHUT_RDWR');
export const ReadMode = v.picklist(['auto', 'manual'], 'read mode must be auto or manual');

export const SessionState = v.picklist([
  'created', 'bound', 'listening', 'connecting', 'connected', 'half-closed', 'closed', 'error',
]);

export const SessionId = v.pipe(v.number('id must be a number'), v.integer('id must be an integer'), v.minValue(1, 'id must be ≥ 1'));

export const Port = v.pipe(
  v.number('port must be a number'),
  v.integer('port must be a whole number'),
  v.minValue(0, 'port must be between 0 and 65535'),
  v.maxValue(65535, 'port must be between 0 and 65535'),
);

/** An IPv4 or IPv6 literal (IPv6 may carry a %scope). Host names are not resolved here. */
export const IpAddress = v.pipe(
  v.string('address must be text'),
  v.trim(),
  v.check((s) => ipFamily(s) !== null, 'not an IP address (expected e.g. 127.0.0.1 or ::1)'),
);

export const TimeoutMs = v.nullable(
  v.pipe(v.number('timeout must be a number'), v.minValue(0, 'timeout must be ≥ 0'), v.maxValue(3_600_000, 'timeout must be at most 1 hour')),
);

export const Bufsize = v.pipe(
  v.number('bufsize must be a number'),
  v.integer('bufsize must be a whole number'),
  v.minValue(1, 'bufsize must be between 1 and 1048576'),
  v.maxValue(1_048_576, 'bufsize must be between 1 and 1048576'),
);

export const Backlog = v.pipe(
  v.number('backlog must be a number'),
  v.integer('backlog must be a whole number'),
  v.minValue(1, 'backlog must be between 1 and 65535'),
  v.maxValue(65535, 'backlog must be between 1 and 65535'),
);

/** Payloads stay binary on both transports. At most 16 MiB per call. */
export const AnyBytes = v.custom<Uint8Array>((x) => x instanceof Uint8Array, 'data must be bytes (Uint8Array)');

export const Bytes = v.pipe(
  AnyBytes,
  v.check((b) => b.byteLength <= 16 * 1024 * 1024, 'data must be at most 16 MiB per call'),
);

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
  /** The connect timeout / recv timeout in ms, null = blocking without limit (settimeout(None)). */
  timeoutMs: TimeoutMs,
  counters: Counters,
  /** The last error that moved the session to `error`, if any. */
  lastError: v.optional(BridgeError),
  /** Monotonic µs since engine start. */
  createdUs: v.number(),
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
});
