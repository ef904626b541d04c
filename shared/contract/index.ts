// The contract: every method and event between renderer and main.
// One table, one source of truth; the router and the client both read it.
import * as v from 'valibot';
import * as s from './schemas.js';
import * as so from '../sockopt/schemas.js';
import { probeEvents, probeMethods } from './probes.js';
import { craftEvents, craftMethods } from './craft.js';
import { workspaceEvents, workspaceMethods } from './workspace.js';
import { automationEvents, automationMethods } from './automation.js';
import { TlsClientOptions, tlsMethods, TlsServerOptions } from './tls.js';

export * as schemas from './schemas.js';
export * as probeSchemas from './probes.js';
export * as craftSchemas from './craft.js';
export * as workspaceSchemas from './workspace.js';
export * as automationSchemas from './automation.js';
export * as tlsSchemas from './tls.js';

const id = v.object({ id: s.SessionId });
const sessionResult = s.SessionInfo;

export const methods = {
  /** All sessions, plus the engine clock's wall-clock origin (ms since epoch at tUs = 0). */
  'session.list': {
    params: v.object({}),
    result: v.object({ sessions: v.array(s.SessionInfo), epochMs: v.number() }),
  },
  /** Which family × type pairs this machine's kernel supports, and why not where it does not. */
  'engine.capabilities': {
    params: v.object({}),
    result: v.object({
      platform: v.string(),
      combos: v.array(v.object({ family: s.Family, type: s.SockType, available: v.boolean(), reason: v.optional(v.string()) })),
    }),
  },
  /** Everything the engine still holds for one session: trace and the data ring. */
  'session.history': {
    params: id,
    result: v.object({ trace: v.array(s.TraceEntry), data: v.array(s.DataEntry), droppedBytes: v.number() }),
  },
  /** Start (clearing what was kept) or stop keeping every received byte, for saving to a file. */
  'session.capture': { params: v.object({ id: s.SessionId, on: v.boolean('on must be true or false') }), result: sessionResult },
  /** A slice of what the capture kept; the renderer reads it in chunks to save it. */
  'session.captureRead': {
    params: v.object({
      id: s.SessionId,
      offset: v.pipe(v.number('offset must be a number'), v.integer('offset must be a whole number'), v.minValue(0, 'offset must be ≥ 0')),
      length: s.Bufsize,
    }),
    result: v.object({ data: s.AnyBytes }),
  },
  /** Forget a closed session. */
  'session.remove': { params: id, result: v.object({}) },
  'socket.create': {
    params: v.object({ family: s.Family, type: s.SockType }),
    result: sessionResult,
  },
  'socket.bind': {
    params: v.object({ id: s.SessionId, address: s.SocketAddress, port: v.optional(s.Port, 0) }),
    result: sessionResult,
  },
  /** With `tls`, every accepted connection is a TLS server session (its handshake traced on it). */
  'socket.listen': {
    params: v.object({ id: s.SessionId, backlog: s.Backlog, acceptMode: v.optional(s.AcceptMode, 'auto'), tls: v.optional(TlsServerOptions) }),
    result: sessionResult,
  },
  /** Manual accept: take the oldest connection from the kernel's queue; it becomes a session of its own. */
  'socket.accept': { params: id, result: sessionResult },
  'socket.setAcceptMode': { params: v.object({ id: s.SessionId, mode: s.AcceptMode }), result: sessionResult },
  /** Echo every message back, or answer each with `reply`; on a listener it applies to each accepted connection. */
  'socket.setServeMode': {
    params: v.object({ id: s.SessionId, mode: s.ServeMode, reply: v.optional(s.Bytes) }),
    result: sessionResult,
  },
  /** connect; with `tls`, then the TLS handshake as a client (a failed one, verification included, leaves the session in error). */
  'socket.connect': {
    params: v.object({ id: s.SessionId, address: s.SocketAddress, port: v.optional(s.Port, 0), timeoutMs: v.optional(s.TimeoutMs), tls: v.optional(TlsClientOptions) }),
    result: sessionResult,
  },
  /**
   * STARTTLS: upgrade a connected plain stream session to TLS in place (what
   * was sent and received before stays in its log). As the server, `send`
   * goes out in the clear just before (e.g. "220 Ready to start TLS"), so the
   * client's hello cannot be read as plain data.
   */
  'socket.starttls': {
    params: v.variant('role', [
      v.object({ id: s.SessionId, role: v.literal('client'), tls: v.optional(TlsClientOptions, {}), timeoutMs: v.optional(s.TimeoutMs) }),
      v.object({ id: s.SessionId, role: v.literal('server'), tls: v.optional(TlsServerOptions, {}), send: v.optional(s.Bytes), timeoutMs: v.optional(s.TimeoutMs) }),
    ], 'role must be client or server'),
    result: sessionResult,
  },
  /** connect_ex: the same call, but the kernel's errno is the result (null = connected) instead of an error. */
  'socket.connect_ex': {
    params: v.object({ id: s.SessionId, address: s.SocketAddress, port: v.optional(s.Port, 0), timeoutMs: v.optional(s.TimeoutMs) }),
    result: v.object({ errno: v.nullable(s.Errno), message: v.optional(v.string()), session: s.SessionInfo }),
  },
  /** One send(): the kernel may take fewer bytes than given (see `bytes`); blocking waits only until it takes some. */
  'socket.send': {
    params: v.object({ id: s.SessionId, data: s.Bytes }),
    result: v.object({ bytes: v.number() }),
  },
  /**
   * Datagram sessions: send the same message `count` times, as fast as the
   * kernel takes it (intervalUs 0) or paced; answers when done or stopped.
   * With an address it is sendto, without it send on a connected socket.
   */
  'socket.sendRepeat': {
    params: v.object({
      id: s.SessionId,
      data: s.Bytes,
      count: s.intInRange('count', 1, 100_000_000),
      intervalUs: v.optional(v.pipe(v.number('interval must be a number'), v.minValue(0, 'interval must be ≥ 0 µs (0 = flood)'), v.maxValue(60_000_000, 'interval must be at most 60 s')), 0),
      address: v.optional(s.SocketAddress),
      port: v.optional(s.Port, 0),
    }),
    result: v.object({ sent: v.number(), seconds: v.number(), retries: v.number(), stopped: v.picklist(['done', 'cancelled']) }),
  },
  'socket.sendRepeatStop': { params: id, result: v.object({}) },
  /** sendall(): keeps sending until every byte is queued. */
  'socket.sendall': {
    params: v.object({ id: s.SessionId, data: s.Bytes }),
    result: v.object({ bytes: v.number() }),
  },
  'socket.sendto': {
    params: v.object({ id: s.SessionId, data: s.Bytes, address: s.SocketAddress, port: v.optional(s.Port, 0) }),
    result: v.object({ bytes: v.number() }),
  },
  /** Manual read mode only: read at most bufsize bytes, waiting up to the session timeout. */
  'socket.recv': {
    params: v.object({ id: s.SessionId, bufsize: s.Bufsize }),
    result: v.object({ data: s.AnyBytes }),
  },
  'socket.recvfrom': {
    params: v.object({ id: s.SessionId, bufsize: s.Bufsize }),
    result: v.object({ data: s.AnyBytes, from: s.SockAddr }),
  },
  'socket.setReadMode': {
    params: v.object({ id: s.SessionId, mode: s.ReadMode }),
    result: sessionResult,
  },
  'socket.settimeout': {
    params: v.object({ id: s.SessionId, timeoutMs: s.TimeoutMs }),
    result: sessionResult,
  },
  'socket.gettimeout': { params: id, result: v.object({ timeoutMs: s.TimeoutMs }) },
  /** setblocking(False) is settimeout(0); setblocking(True) is settimeout(None). */
  'socket.setblocking': { params: v.object({ id: s.SessionId, flag: v.boolean('flag must be true or false') }), result: sessionResult },
  'socket.shutdown': {
    params: v.object({ id: s.SessionId, how: s.ShutdownHow }),
    result: sessionResult,
  },
  'socket.close': { params: id, result: sessionResult },
  // Socket options
  /** setsockopt for an option of the catalogue (shared/sockopt) with a value of its kind; gives the bytes passed. */
  'socket.setsockopt': { params: so.SetsockoptParams, result: so.SetsockoptResult },
  /** getsockopt: what the kernel says now (e.g. Linux's doubled SO_RCVBUF), typed and raw. */
  'socket.getsockopt': { params: so.GetsockoptParams, result: so.GetsockoptResult },
  /** setsockopt with numeric level and optname, for options outside the catalogue. */
  'socket.setsockoptRaw': { params: so.SetsockoptRawParams, result: so.RawResult },
  /** getsockopt with numeric level and optname: at most maxLen bytes (default 64). */
  'socket.getsockoptRaw': { params: so.GetsockoptRawParams, result: so.RawResult },
  'socket.getsockname': { params: id, result: s.SockAddr },
  'socket.getpeername': { params: id, result: s.SockAddr },
  // UDP extras
  /** setsockopt(SO_BROADCAST): allows sendto a broadcast address (without it the kernel says EACCES). */
  'socket.setBroadcast': { params: v.object({ id: s.SessionId, on: s.Toggle }, s.requiredKeys), result: sessionResult },
  /** IP_ADD_MEMBERSHIP / IPV6_JOIN_GROUP; iface absent = the kernel chooses (by route). */
  'socket.joinGroup': {
    params: v.object({ id: s.SessionId, group: s.MulticastGroup, iface: v.optional(s.MulticastIface) }, s.requiredKeys),
    result: sessionResult,
  },
  /** IP_DROP_MEMBERSHIP / IPV6_LEAVE_GROUP. */
  'socket.leaveGroup': {
    params: v.object({ id: s.SessionId, group: s.MulticastGroup, iface: v.optional(s.MulticastIface) }, s.requiredKeys),
    result: sessionResult,
  },
  /** IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS. */
  'socket.setMulticastTTL': { params: v.object({ id: s.SessionId, ttl: s.MulticastTTL }, s.requiredKeys), result: sessionResult },
  /** IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP. */
  'socket.setMulticastLoopback': { params: v.object({ id: s.SessionId, on: s.Toggle }, s.requiredKeys), result: sessionResult },
  /** IP_MULTICAST_IF / IPV6_MULTICAST_IF: the interface multicast is sent from. */
  'socket.setMulticastInterface': { params: v.object({ id: s.SessionId, iface: s.MulticastIface }, s.requiredKeys), result: sessionResult },
  /** getaddrinfo: every address a host name resolves to, in the resolver's order (the forms offer them to pick from). */
  'net.lookup': {
    params: v.object({ host: s.HostName }, s.requiredKeys),
    result: v.object({ addresses: v.array(v.object({ family: v.picklist([4, 6]), address: v.string() })), durUs: v.number() }),
  },
  ...probeMethods,
  ...craftMethods,
  ...workspaceMethods,
  ...tlsMethods,
  ...automationMethods,
} as const;

export const events = {
  /** A session appeared (created by the user, or accepted by a listener). */
  'session.created': s.SessionInfo,
  /** State, addresses or counters changed. */
  'session.updated': s.SessionInfo,
  'session.removed': v.object({ id: s.SessionId }),
  'session.trace': v.object({ id: s.SessionId, entry: s.TraceEntry }),
  /** Bytes sent or received. Batched; binary stays binary. */
  'session.data': s.DataEntry,
  /** Bytes the bridge did not forward because the receiver could not keep up (counters stay exact). */
  'session.dropped': v.object({ id: s.SessionId, bytes: v.number(), chunks: v.number() }),
  ...probeEvents,
  ...craftEvents,
  ...workspaceEvents,
  ...automationEvents,
} as const;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type Params<M extends MethodName> = v.InferInput<Methods[M]['params']>;
export type Result<M extends MethodName> = v.InferOutput<Methods[M]['result']>;
/** Params as a handler sees them: validated, defaults applied. */
export type ValidParams<M extends MethodName> = v.InferOutput<Methods[M]['params']>;
/** What main implements: one handler per method, given validated params. */
export type Handlers = { [M in MethodName]: (params: ValidParams<M>) => Promise<Result<M>> | Result<M> };
export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = v.InferOutput<Events[E]>;
export type AnyEvent = { [E in EventName]: { name: E; payload: EventPayload<E> } }[EventName];

export type { Family, SockType, SessionState } from './schemas.js';
export type SessionInfo = v.InferOutput<typeof s.SessionInfo>;
export type TraceEntry = v.InferOutput<typeof s.TraceEntry>;
export type DataEntry = v.InferOutput<typeof s.DataEntry>;
export type RulesStatus = v.InferOutput<typeof s.RulesStatus>;
export type SockAddr = v.InferOutput<typeof s.SockAddr>;
export type BridgeError = v.InferOutput<typeof s.BridgeError>;
export type ErrorCode = v.InferOutput<typeof s.ErrorCode>;
export type Errno = v.InferOutput<typeof s.Errno>;

/** What a transport returns for one call. */
export type Reply<R = unknown> = { ok: true; result: R } | { ok: false; error: BridgeError };

export function isMethodName(m: unknown): m is MethodName {
  return typeof m === 'string' && Object.prototype.hasOwnProperty.call(methods, m);
}

/** Thrown by the client when a call fails; carries the typed error. */
export class CallError extends Error {
  constructor(readonly error: BridgeError) {
    super(error.message);
    this.name = 'CallError';
  }
  get code(): ErrorCode { return this.error.code; }
  get field(): string | undefined { return this.error.field; }
}
