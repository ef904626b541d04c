// Errors the engine raises, and their translation into the bridge's typed
// error {code, errno?, message, field?}. The errno is always the kernel's
// name and number (e.g. ECONNREFUSED (111)) plus a sentence a person reads.
import { constants } from 'node:os';
import { getSystemErrorName } from 'node:util';
import type { BridgeError, ErrorCode, Errno } from '../../shared/contract/index.js';

const errnoNumbers = constants.errno as Record<string, number>;

/** The sentence each errno is explained with (exported for the translation check, test/i18n). */
export const ERRNO_EXPLANATIONS: Record<string, string> = {
  ECONNREFUSED: 'nothing is listening there: the peer answered the SYN with a reset',
  ECONNRESET: 'the peer reset the connection',
  ETIMEDOUT: 'no answer within the timeout',
  EADDRINUSE: 'another socket is already bound to that address and port',
  EADDRNOTAVAIL: 'that address does not belong to this machine',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EAFNOSUPPORT: 'the address is of another family than the socket',
  EINVAL: 'the call is not valid in the socket’s current state',
  ENOTCONN: 'the socket is not connected',
  EISCONN: 'the socket is already connected',
  EPIPE: 'the connection is closed for writing',
  EAGAIN: 'no data available right now (non-blocking)',
  EBADF: 'the socket is closed',
  EOPNOTSUPP: 'the operation is not supported for this socket type',
  EHOSTUNREACH: 'no route to that host',
  ENETUNREACH: 'the network is unreachable',
  EMSGSIZE: 'the message is too long for this socket',
  EMFILE: 'this process has no free file descriptor (its open-files limit, ulimit -n, is reached): close some sessions and try again',
  ENFILE: 'the system has no free file descriptor (its limit, fs.file-max, is reached)',
};

/** What an error message quotes at most: a value sent in is echoed only so far. */
const MESSAGE_MAX = 1024;

/** The message, cut to MESSAGE_MAX characters with the length of what was left out. */
export function capMessage(message: string): string {
  if (message.length <= MESSAGE_MAX) return message;
  return `${message.slice(0, MESSAGE_MAX - 40)}… (${message.length - (MESSAGE_MAX - 40)} more characters not shown)`;
}

export function errnoOf(name: string): Errno {
  return { name, number: errnoNumbers[name] ?? 0 };
}

/** The name of a negative errno as libuv and the addon's watcher give it (−104: ECONNRESET). */
export function errnoName(negative: number): string {
  try {
    return getSystemErrorName(negative);
  } catch {
    return `E${-negative}`;
  }
}

/** "ECONNREFUSED (111)" */
export function formatErrno(e: Errno): string {
  return `${e.name} (${e.number})`;
}

export class EngineError extends Error {
  override name = 'EngineError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly errno?: Errno,
    readonly field?: string,
  ) {
    super(message);
  }

  /** An error the kernel would give, e.g. osError('ENOTCONN', 'send'). */
  static os(name: string, call: string, detail?: string, field?: string): EngineError {
    const errno = errnoOf(name);
    const why = detail ?? ERRNO_EXPLANATIONS[name] ?? 'the kernel refused the call';
    return new EngineError('OS_ERROR', `${call}: ${formatErrno(errno)}: ${why}`, errno, field);
  }

  static state(name: string, call: string, detail: string): EngineError {
    const errno = errnoOf(name);
    return new EngineError('INVALID_STATE', `${call}: ${formatErrno(errno)}: ${detail}`, errno);
  }
}

/** Turns a Node system error (err.code = 'ECONNREFUSED') into an EngineError. */
export function fromSystemError(err: unknown, call: string, field?: string): EngineError {
  if (err instanceof EngineError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) && code in errnoNumbers) {
    return EngineError.os(code, call, undefined, field);
  }
  const message = err instanceof Error ? err.message : String(err);
  return new EngineError('INTERNAL', `${call}: ${message}`);
}

export function toBridgeError(err: unknown): BridgeError {
  const e = err instanceof EngineError ? err : fromSystemError(err, 'call');
  const out: BridgeError = { code: e.code, message: capMessage(e.message) };
  if (e.errno) out.errno = e.errno;
  if (e.field) out.field = e.field;
  return out;
}

/** The same error, pointing at the form field that caused it. */
export function withField(err: unknown, fieldFor: (errnoName: string) => string | undefined): unknown {
  if (!(err instanceof EngineError) || !err.errno || err.field) return err;
  const field = fieldFor(err.errno.name);
  return field ? new EngineError(err.code, err.message, err.errno, field) : err;
}

/** Which form field a bind error is about: the address (or path, or scope), or the port. */
export function bindErrorField(name: string): string | undefined {
  if (['EADDRNOTAVAIL', 'EAFNOSUPPORT', 'ENOENT', 'EROFS', 'ENOTDIR', 'ENODEV', 'ENAMETOOLONG'].includes(name)) return 'address';
  if (name === 'EADDRINUSE' || name === 'EACCES') return 'port';
  return undefined;
}
