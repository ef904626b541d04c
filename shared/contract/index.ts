// The contract: every method and event between renderer and main.
// One table, one source of truth; the router and the client both read it.
import * as v from 'valibot';
import * as s from './schemas.js';

export * as schemas from './schemas.js';

const id = v.object({ id: s.SessionId });
const sessionResult = s.SessionInfo;

export const methods = {
  /** All sessions, plus the engine clock's wall-clock origin (ms since epoch at tUs = 0). */
  'session.list': {
    params: v.object({}),
    result: v.object({ sessions: v.array(s.SessionInfo), epochMs: v.number() }),
  },
  /** Everything the engine still holds for one session: trace and the data ring. */
  'session.history': {
    params: id,
    result: v.object({ trace: v.array(s.TraceEntry), data: v.array(s.DataEntry), droppedBytes: v.number() }),
  },
  /** Forget a closed session. */
  'session.remove': { params: id, result: v.object({}) },
  'socket.create': {
    params: v.object({ family: s.Family, type: s.SockType }),
    result: sessionResult,
  },
  'socket.bind': {
    params: v.object({ id: s.SessionId, address: s.IpAddress, port: s.Port }),
    result: sessionResult,
  },
  'socket.listen': {
    params: v.object({ id: s.SessionId, backlog: s.Backlog }),
    result: sessionResult,
  },
  /** connect; with `ex: true` it behaves like connect_ex (errno in the result, not an error). */
  'socket.connect': {
    params: v.object({ id: s.SessionId, address: s.IpAddress, port: s.Port, timeoutMs: v.optional(s.TimeoutMs) }),
    result: sessionResult,
  },
  'socket.send': {
    params: v.object({ id: s.SessionId, data: s.Bytes }),
    result: v.object({ bytes: v.number() }),
  },
  'socket.sendto': {
    params: v.object({ id: s.SessionId, data: s.Bytes, address: s.IpAddress, port: s.Port }),
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
  'socket.shutdown': {
    params: v.object({ id: s.SessionId, how: s.ShutdownHow }),
    result: sessionResult,
  },
  'socket.close': { params: id, result: sessionResult },
  'socket.getsockname': { params: id, result: s.SockAddr },
  'socket.getpeername': { params: id, result: s.SockAddr },
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
} as const;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type Params<M extends MethodName> = v.InferInput<Methods[M]['params']>;
export type Result<M extends MethodName> = v.InferOutput<Methods[M]['result']>;
export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = v.InferOutput<Events[E]>;
export type AnyEvent = { [E in EventName]: { name: E; payload: EventPayload<E> } }[EventName];

export type SessionInfo = v.InferOutput<typeof s.SessionInfo>;
export type SessionState = v.InferOutput<typeof s.SessionState>;
export type TraceEntry = v.InferOutput<typeof s.TraceEntry>;
export type DataEntry = v.InferOutput<typeof s.DataEntry>;
export type SockAddr = v.InferOutput<typeof s.SockAddr>;
export type Family = v.InferOutput<typeof s.Family>;
export type SockType = v.InferOutput<typeof s.SockType>;
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
