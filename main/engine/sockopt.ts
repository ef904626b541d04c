// setsockopt / getsockopt on a session's descriptor through the native addon.
// The catalogue (shared/sockopt) knows options by name; the addon's constants
// give this platform's numbers for them. Every call lands in the session's trace.
import { constants as osConstants, endianness } from 'node:os';
import { toHex } from '../../shared/codec/hex.js';
import {
  decodeValue, describeValue, encodeValue, findOption, LEVELS, momentPassed, notApplicable, OPTIONS, sizeOf, valueProblem,
  type Layout, type OptionSpec, type OptionValue,
} from '../../shared/sockopt/index.js';
import { EngineError } from '../core/errors.js';
import { isNativeError, native } from './native.js';
import type { Session, SockoptTarget } from './session.js';

type Call = 'setsockopt' | 'getsockopt';

const LONG_64 = new Set(['x64', 'arm64', 'ppc64', 's390x', 'riscv64', 'loong64']);

function constants(): Readonly<Record<string, number | undefined>> {
  return native().constants;
}

let cachedLayout: Layout | undefined;

/** Byte order, sizeof(long) and the platform's constants, for the shared codecs. */
export function layout(): Layout {
  cachedLayout ??= {
    littleEndian: endianness() === 'LE',
    longBytes: LONG_64.has(process.arch) ? 8 : 4,
    constant: (name) => constants()[name],
  };
  return cachedLayout;
}

const plain = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

function numbers(opt: OptionSpec, call: Call): { level: number; optname: number } {
  const level = constants()[opt.level];
  const optname = constants()[opt.name];
  if (level === undefined || optname === undefined) {
    throw EngineError.os('ENOPROTOOPT', call, `${opt.name} is not defined on this platform (${process.platform})`, 'option');
  }
  return { level, optname };
}

/** The descriptor, or an error saying when there will be one. */
function descriptor(session: Session, call: Call, opt?: OptionSpec): number {
  if (session.state === 'closed') throw EngineError.state('EBADF', call, 'the socket is closed');
  const fd = session.fileno();
  if (fd !== undefined) return fd;
  const why = opt && notApplicable(opt, session.family, session.type);
  if (why) throw EngineError.os('ENOPROTOOPT', call, why, 'option');
  throw EngineError.state('EBADF', call, session.state === 'error'
    ? 'the socket has no descriptor any more (a failed connect closes it): create a new socket'
    : `the socket has no descriptor (fileno() gives none while it is ${session.state})`);
}

/** Where the option goes: the session's own route (the socket worker), or the descriptor here. */
function target(session: Session, call: Call, opt?: OptionSpec): SockoptTarget {
  const via = session.state === 'closed' ? undefined : session.sockoptTarget();
  if (via) return via;
  const fd = descriptor(session, call, opt);
  return {
    setsockopt: async (level, optname, value) => native().setsockopt(fd, level, optname, value),
    getsockopt: async (level, optname, maxLen) => native().getsockopt(fd, level, optname, maxLen),
  };
}

/** The kernel's error, in words: why this option does not fit this socket, or what the errno means here. */
function kernelError(e: unknown, call: Call, session: Session, opt?: OptionSpec): unknown {
  if (!isNativeError(e)) return e;
  if (!opt) return EngineError.os(e.code, call, e.code === 'ENOPROTOOPT' ? 'the kernel knows no such option at that level for this socket' : undefined);
  const why = notApplicable(opt, session.family, session.type) ?? (call === 'setsockopt' ? momentPassed(opt, session.state) : null);
  if (why) return EngineError.os(e.code, call, `${why}; the kernel refused it`, 'option');
  const detail: Record<string, string> = {
    ENOPROTOOPT: `the kernel does not support ${opt.name} on this socket`,
    EPERM: `setting ${opt.name} to that value needs privileges (CAP_NET_ADMIN)`,
    ENOENT: `the kernel has no such ${opt.name === 'TCP_CONGESTION' ? 'congestion control algorithm (see /proc/sys/net/ipv4/tcp_available_congestion_control)' : 'value'}`,
    EINVAL: `the kernel refused this value of ${opt.name} for this socket in its state (${session.state})`,
  };
  return EngineError.os(e.code, call, detail[e.code], call === 'setsockopt' && e.code !== 'ENOPROTOOPT' ? 'value' : undefined);
}

const errnoNames = new Map(Object.entries(osConstants.errno as Record<string, number>).map(([k, n]) => [n, k]));

/** The value in words; SO_ERROR with its errno name. */
function describe(opt: OptionSpec, value: OptionValue): string {
  if (opt.name === 'SO_ERROR') return value === 0 ? '0 (no pending error)' : `${String(value)} (${errnoNames.get(value as number) ?? 'unknown errno'})`;
  return describeValue(opt, value, layout());
}

/** What the trace adds for the person reading it: Linux's doubled buffer sizes. */
function note(opt: OptionSpec): string {
  return (opt.name === 'SO_RCVBUF' || opt.name === 'SO_SNDBUF') && process.platform === 'linux'
    ? ' (Linux reports twice the size set: the extra half is for its bookkeeping)'
    : '';
}

const traceValue = (v: OptionValue): unknown => (v instanceof Uint8Array ? toHex(v) : v);

function lookup(name: string): OptionSpec {
  const opt = findOption(name);
  if (!opt) throw new EngineError('BAD_REQUEST', `unknown option ${JSON.stringify(name)}`, undefined, 'option');
  return opt;
}

export async function setOption(session: Session, name: string, value: OptionValue) {
  const opt = lookup(name);
  if (opt.readOnly) throw new EngineError('BAD_REQUEST', `${opt.name} is read-only: getsockopt reads it, setsockopt cannot change it`, undefined, 'option');
  const problem = valueProblem(opt, value);
  if (problem) throw new EngineError('BAD_REQUEST', problem, undefined, 'value');
  const late = momentPassed(opt, session.state);
  const raw = await session.sockopt('setsockopt', { level: opt.level, option: opt.name, value: traceValue(value) }, async () => {
    const to = target(session, 'setsockopt', opt);
    const { level, optname } = numbers(opt, 'setsockopt');
    const bytes = encodeValue(opt, value, layout());
    try {
      await to.setsockopt(level, optname, bytes);
    } catch (e) {
      throw kernelError(e, 'setsockopt', session, opt);
    }
    return bytes;
  }, (b) => `None (optval ${toHex(b)}, ${b.byteLength} bytes)${late ? `; ${late}, so it changes nothing now` : ''}`);
  return { option: opt.name, level: opt.level, raw, text: describe(opt, value) + (late ? ` (${late}: too late to matter)` : '') };
}

export async function getOption(session: Session, name: string) {
  const opt = lookup(name);
  const got = await session.sockopt('getsockopt', { level: opt.level, option: opt.name }, async () => {
    const from = target(session, 'getsockopt', opt);
    const { level, optname } = numbers(opt, 'getsockopt');
    let raw: Uint8Array;
    try {
      raw = plain(await from.getsockopt(level, optname, sizeOf(opt, layout())));
    } catch (e) {
      throw kernelError(e, 'getsockopt', session, opt);
    }
    let value: OptionValue;
    try {
      value = decodeValue(opt, raw, layout());
    } catch (e) {
      throw new EngineError('INTERNAL', `getsockopt: ${opt.name}: ${(e as Error).message} (${toHex(raw)})`);
    }
    return { raw, value, text: describe(opt, value) };
  }, (r) => `${r.text}${note(opt)} — ${toHex(r.raw) || '(no bytes)'}`);
  return { option: opt.name, level: opt.level, ...got };
}

/** The catalogue's name for a numeric (level, optname), if it has one: "SOL_SOCKET/SO_TYPE". */
function knownAs(level: number, optname: number): OptionSpec | undefined {
  const c = constants();
  return OPTIONS.find((o) => c[o.level] === level && c[o.name] === optname);
}

function rawArgs(level: number, optname: number): Record<string, unknown> {
  const known = knownAs(level, optname);
  const levelName = LEVELS.find((l) => constants()[l] === level);
  return { level: levelName ? `${level} (${levelName})` : level, optname: known ? `${optname} (${known.name})` : optname };
}

export async function setRaw(session: Session, level: number, optname: number, data: Uint8Array) {
  await session.sockopt('setsockopt', { ...rawArgs(level, optname), optval: toHex(data) }, async () => {
    const to = target(session, 'setsockopt');
    try {
      await to.setsockopt(level, optname, data);
    } catch (e) {
      throw kernelError(e, 'setsockopt', session);
    }
  }, () => `None (optval ${data.byteLength} bytes)`);
  return { data, text: `${data.byteLength} bytes set` };
}

export async function getRaw(session: Session, level: number, optname: number, maxLen: number) {
  return session.sockopt('getsockopt', { ...rawArgs(level, optname), buflen: maxLen }, async () => {
    const from = target(session, 'getsockopt');
    let data: Uint8Array;
    try {
      data = plain(await from.getsockopt(level, optname, maxLen));
    } catch (e) {
      throw kernelError(e, 'getsockopt', session);
    }
    let text = `${data.byteLength} bytes: ${toHex(data) || '(none)'}`;
    const known = knownAs(level, optname);
    if (known) {
      try {
        text += ` = ${known.name} ${describe(known, decodeValue(known, data, layout()))}`;
      } catch {
        // Too few bytes for the catalogue's reading: the raw bytes are the answer.
      }
    }
    return { data, text };
  }, (r) => r.text);
}
