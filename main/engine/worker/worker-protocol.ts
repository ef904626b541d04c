// The socket worker's IPC protocol, and the checks both sides run on every
// message: requests { rid, op, args } → replies { rid, ok, result | error },
// plus events the worker pushes. Buffers stay binary ('advanced' serialization).
// No dependencies but the shape of every child protocol (main/core/child-wire.ts):
// the worker imports only node:*, the addon and these pure modules.
import { isCallFailure, type CallFailure } from '../../core/child-wire.js';
import type { NativeAddr, Received, SocketFamily, SocketType } from '../native.js';

export type Handle = number;

export interface Ops {
  socket: { args: [family: SocketFamily, type: SocketType, protocol?: number]; result: Handle };
  bind: { args: [h: Handle, addr: NativeAddr]; result: null };
  listen: { args: [h: Handle, backlog: number]; result: null };
  /** Resolves when the connection is made (or refused); the caller applies any timeout. */
  connect: { args: [h: Handle, addr: NativeAddr]; result: null };
  /** No timeout given: one attempt, null if nothing waits. 0: EAGAIN now; null: wait forever. */
  accept: { args: [h: Handle, timeoutMs?: number | null]; result: { handle: Handle; peer: NativeAddr } | null };
  getsockname: { args: [h: Handle]; result: NativeAddr };
  getpeername: { args: [h: Handle]; result: NativeAddr };
  /** One non-blocking attempt: bytes accepted, or an EAGAIN error. */
  send: { args: [h: Handle, data: Uint8Array, flags?: number]; result: number };
  sendto: { args: [h: Handle, data: Uint8Array, addr: NativeAddr | null, flags?: number]; result: number };
  /** Waits for writability until every byte is queued; resolves with the total. */
  sendall: { args: [h: Handle, data: Uint8Array]; result: number };
  /** timeoutMs 0: EAGAIN now; null: wait forever; n: ETIMEDOUT after n ms. */
  recv: { args: [h: Handle, bufsize: number, timeoutMs: number | null, flags?: number]; result: Received };
  shutdown: { args: [h: Handle, how: 0 | 1 | 2]; result: null };
  close: { args: [h: Handle]; result: null };
  setsockopt: { args: [h: Handle, level: number, name: number, value: Uint8Array]; result: null };
  getsockopt: { args: [h: Handle, level: number, name: number, maxLen: number]; result: Uint8Array };
  /** No timeout given: a non-blocking peek, the revents for the given poll events. With one (null: forever):
   * waits until one of POLLIN / POLLOUT is ready, then its revents; ETIMEDOUT after timeoutMs. */
  poll: { args: [h: Handle, events: number, timeoutMs?: number | null]; result: number };
  autoRead: { args: [h: Handle, on: boolean, bufsize?: number]; result: null };
  autoAccept: { args: [h: Handle, on: boolean]; result: null };
}

export type OpName = keyof Ops;
export type Args<O extends OpName> = Ops[O]['args'];
export type Result<O extends OpName> = Ops[O]['result'];

export interface Request {
  rid: number;
  op: OpName;
  args: unknown[];
}


export type WorkerEvent =
  | { event: 'ready'; pid: number }
  | { event: 'data'; handle: Handle; data: Uint8Array; from: NativeAddr | null; truncated: boolean; /** A truncated message's whole length. */ length?: number }
  | { event: 'eof'; handle: Handle }
  | { event: 'error'; handle: Handle; error: CallFailure }
  | { event: 'accepted'; handle: Handle; child: Handle; peer: NativeAddr }
  | { event: 'pending'; handle: Handle };

export const MAX_BUFSIZE = 16 * 1024 * 1024;
const MAX_TIMEOUT = 2 ** 31 - 1;

type Check = (v: unknown) => boolean;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const int = (min: number, max: number): Check => (v) => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;
const int32 = int(-(2 ** 31), 2 ** 31 - 1);
const oneOf = (...xs: unknown[]): Check => (v) => xs.includes(v);
const orNull = (c: Check): Check => (v) => v === null || c(v);
export const isHandle = int(1, Number.MAX_SAFE_INTEGER);
const isBytes: Check = (v) => v instanceof Uint8Array;
const isBool: Check = (v) => typeof v === 'boolean';
const timeout = orNull(int(0, MAX_TIMEOUT));
const bufsize = int(0, MAX_BUFSIZE);

export const isAddr: Check = (v) => {
  if (!isObj(v)) return false;
  if (v.family === 'AF_UNIX') return typeof v.path === 'string' && v.path.length <= 4096;
  return (v.family === 'AF_INET' || v.family === 'AF_INET6') && typeof v.address === 'string' && v.address.length <= 256 && int(0, 65535)(v.port);
};

/** Each op's argument checks; the `min` first ones are required. */
const argSpecs: { [O in OpName]: { min: number; checks: Check[]; text: string } } = {
  socket: { min: 2, checks: [oneOf('AF_INET', 'AF_INET6', 'AF_UNIX'), oneOf('SOCK_STREAM', 'SOCK_DGRAM', 'SOCK_SEQPACKET'), int(0, 255)], text: 'family, type, protocol?' },
  bind: { min: 2, checks: [isHandle, isAddr], text: 'handle, addr' },
  listen: { min: 2, checks: [isHandle, int32], text: 'handle, backlog' },
  connect: { min: 2, checks: [isHandle, isAddr], text: 'handle, addr' },
  accept: { min: 1, checks: [isHandle, timeout], text: 'handle, timeoutMs?: number | null' },
  getsockname: { min: 1, checks: [isHandle], text: 'handle' },
  getpeername: { min: 1, checks: [isHandle], text: 'handle' },
  send: { min: 2, checks: [isHandle, isBytes, int32], text: 'handle, data: Uint8Array, flags?' },
  sendto: { min: 3, checks: [isHandle, isBytes, orNull(isAddr), int32], text: 'handle, data: Uint8Array, addr | null, flags?' },
  sendall: { min: 2, checks: [isHandle, isBytes], text: 'handle, data: Uint8Array' },
  recv: { min: 3, checks: [isHandle, bufsize, timeout, int32], text: `handle, bufsize: 0..${MAX_BUFSIZE}, timeoutMs: number | null, flags?` },
  shutdown: { min: 2, checks: [isHandle, oneOf(0, 1, 2)], text: 'handle, how: 0 | 1 | 2' },
  close: { min: 1, checks: [isHandle], text: 'handle' },
  setsockopt: { min: 4, checks: [isHandle, int32, int32, (v) => isBytes(v) && (v as Uint8Array).length <= 65536], text: 'handle, level, name, value: Uint8Array' },
  getsockopt: { min: 4, checks: [isHandle, int32, int32, int(0, 65536)], text: 'handle, level, name, maxLen: 0..65536' },
  poll: { min: 2, checks: [isHandle, int(0, 0x7fff), timeout], text: 'handle, events, timeoutMs?: number | null' },
  autoRead: { min: 2, checks: [isHandle, isBool, int(1, MAX_BUFSIZE)], text: 'handle, on: boolean, bufsize?' },
  autoAccept: { min: 2, checks: [isHandle, isBool], text: 'handle, on: boolean' },
};

export const isOp = (v: unknown): v is OpName => typeof v === 'string' && Object.hasOwn(argSpecs, v);

/** Flow control: the main process took in this many data bytes. */
export const isAck = (m: unknown): m is { ack: number } => isObj(m) && Object.keys(m).length === 1 && int(1, Number.MAX_SAFE_INTEGER)(m.ack);

/** Why a request is malformed, or null when it is well formed. */
export function requestProblem(m: unknown): string | null {
  if (!isObj(m)) return 'a request must be an object { rid, op, args }';
  if (!isHandle(m.rid)) return 'rid must be a positive integer';
  if (!isOp(m.op)) return `unknown op ${JSON.stringify(String(m.op)).slice(0, 40)}`;
  if (!Array.isArray(m.args)) return 'args must be an array';
  const spec = argSpecs[m.op];
  if (m.args.length < spec.min || m.args.length > spec.checks.length) return `${m.op}(${spec.text}): wrong number of arguments`;
  const bad = m.args.findIndex((a, i) => !(a === undefined && i >= spec.min) && !spec.checks[i]!(a));
  return bad < 0 ? null : `${m.op}(${spec.text}): argument ${bad + 1} is invalid`;
}

const received: Check = (v) => isObj(v) && isBytes(v.data) && isBool(v.truncated) && (v.from === null || isAddr(v.from));
const nothing: Check = (v) => v === null;

/** What each op's result must look like, checked by the client. */
export const resultChecks: { [O in OpName]: Check } = {
  socket: isHandle,
  bind: nothing,
  listen: nothing,
  connect: nothing,
  accept: (v) => v === null || (isObj(v) && isHandle(v.handle) && isAddr(v.peer)),
  getsockname: isAddr,
  getpeername: isAddr,
  send: int(0, Number.MAX_SAFE_INTEGER),
  sendto: int(0, Number.MAX_SAFE_INTEGER),
  sendall: int(0, Number.MAX_SAFE_INTEGER),
  recv: received,
  shutdown: nothing,
  close: nothing,
  setsockopt: nothing,
  getsockopt: isBytes,
  poll: int(0, 0xffff),
  autoRead: nothing,
  autoAccept: nothing,
};

export function isWorkerEvent(m: unknown): m is WorkerEvent {
  if (!isObj(m)) return false;
  switch (m.event) {
    case 'ready':
      return int(1, 2 ** 31)(m.pid);
    case 'data':
      return isHandle(m.handle) && isBytes(m.data) && (m.from === null || isAddr(m.from)) && isBool(m.truncated) && (m.length === undefined || int(0, Number.MAX_SAFE_INTEGER)(m.length));
    case 'eof':
    case 'pending':
      return isHandle(m.handle);
    case 'error':
      return isHandle(m.handle) && isCallFailure(m.error);
    case 'accepted':
      return isHandle(m.handle) && isHandle(m.child) && isAddr(m.peer);
    default:
      return false;
  }
}

export { replyProblem, type CallFailure, type ChildReply as Reply } from '../../core/child-wire.js';
