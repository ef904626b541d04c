// Typed option values ↔ the bytes setsockopt takes and getsockopt gives:
// int (4 bytes), struct linger (2 ints), struct timeval (2 longs), raw bytes.
// Byte order and sizeof(long) come from the Layout main supplies.
import { toHex } from '../codec/hex.js';
import type { EnumKind, Layout, Linger, OptionSpec, OptionValue } from './types.js';

export class SockoptCodecError extends Error {
  override name = 'SockoptCodecError';
}

/** How many bytes to ask getsockopt for. */
export function sizeOf(opt: OptionSpec, layout: Layout): number {
  switch (opt.kind) {
    case 'linger':
      return 8;
    case 'timeval':
      return 2 * layout.longBytes;
    case 'bytes':
      return opt.maxLen;
    default:
      return 4;
  }
}

export function encodeInt(n: number, layout: Layout): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setInt32(0, n, layout.littleEndian);
  return out;
}

/** A C int; Linux gives some IPPROTO_IP options as one byte when asked for less than an int. */
export function decodeInt(bytes: Uint8Array, layout: Layout, what = 'an int'): number {
  if (bytes.byteLength === 1) return bytes[0]!;
  if (bytes.byteLength < 4) throw new SockoptCodecError(`expected ${what} (4 bytes), the kernel gave ${bytes.byteLength}`);
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getInt32(0, layout.littleEndian);
}

function choiceValue(opt: EnumKind & { name: string }, choice: string, layout: Layout): number {
  const c = opt.choices.find((x) => x.name === choice);
  const n = c?.value ?? layout.constant(choice);
  if (n === undefined) throw new SockoptCodecError(`${choice} is not defined on this platform`);
  return n;
}

/** The choice name for a number, or the number itself when no choice has it. */
export function choiceName(opt: EnumKind, n: number, layout: Layout): string | number {
  return opt.choices.find((c) => (c.value ?? layout.constant(c.name)) === n)?.name ?? n;
}

function encodeTimeval(seconds: number, layout: Layout): Uint8Array {
  const totalUs = Math.round(seconds * 1e6);
  const sec = Math.floor(totalUs / 1e6);
  const usec = totalUs - sec * 1e6;
  const out = new Uint8Array(2 * layout.longBytes);
  const view = new DataView(out.buffer);
  if (layout.longBytes === 8) {
    view.setBigInt64(0, BigInt(sec), layout.littleEndian);
    view.setBigInt64(8, BigInt(usec), layout.littleEndian);
  } else {
    view.setInt32(0, sec, layout.littleEndian);
    view.setInt32(4, usec, layout.littleEndian);
  }
  return out;
}

function decodeTimeval(bytes: Uint8Array, layout: Layout): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength === 16) {
    return Number(view.getBigInt64(0, layout.littleEndian)) + Number(view.getBigInt64(8, layout.littleEndian)) / 1e6;
  }
  if (bytes.byteLength === 8) return view.getInt32(0, layout.littleEndian) + view.getInt32(4, layout.littleEndian) / 1e6;
  throw new SockoptCodecError(`expected a struct timeval (8 or 16 bytes), the kernel gave ${bytes.byteLength}`);
}

/** The bytes for setsockopt. `value` must already have passed valueProblem(). */
export function encodeValue(opt: OptionSpec, value: OptionValue, layout: Layout): Uint8Array {
  switch (opt.kind) {
    case 'bool':
      return encodeInt(value === true ? 1 : 0, layout);
    case 'int':
      return encodeInt(value as number, layout);
    case 'enum':
      return encodeInt(typeof value === 'string' ? choiceValue(opt, value, layout) : (value as number), layout);
    case 'linger': {
      const l = value as Linger;
      const out = new Uint8Array(8);
      out.set(encodeInt(l.onoff ? 1 : 0, layout), 0);
      out.set(encodeInt(l.seconds, layout), 4);
      return out;
    }
    case 'timeval':
      return encodeTimeval(value as number, layout);
    case 'bytes':
      return typeof value === 'string' ? new TextEncoder().encode(value) : Uint8Array.from(value as Uint8Array);
  }
}

/** The typed value of getsockopt's bytes. */
export function decodeValue(opt: OptionSpec, bytes: Uint8Array, layout: Layout): OptionValue {
  switch (opt.kind) {
    case 'bool':
      return decodeInt(bytes, layout) !== 0;
    case 'int':
      return decodeInt(bytes, layout);
    case 'enum':
      return choiceName(opt, decodeInt(bytes, layout), layout);
    case 'linger':
      if (bytes.byteLength < 8) throw new SockoptCodecError(`expected a struct linger (8 bytes), the kernel gave ${bytes.byteLength}`);
      return { onoff: decodeInt(bytes.subarray(0, 4), layout) !== 0, seconds: decodeInt(bytes.subarray(4, 8), layout) };
    case 'timeval':
      return decodeTimeval(bytes, layout);
    case 'bytes': {
      if (!opt.text) return Uint8Array.from(bytes);
      const nul = bytes.indexOf(0);
      return new TextDecoder().decode(nul < 0 ? bytes : bytes.subarray(0, nul));
    }
  }
}

const seconds = (s: number): string => `${Number(s.toFixed(6))} s`;

/** A value in words, for the trace and the form: "131072 bytes", "on", "EF (0xb8)". */
export function describeValue(opt: OptionSpec, value: OptionValue, layout: Layout): string {
  switch (opt.kind) {
    case 'bool':
      return value ? 'on (1)' : 'off (0)';
    case 'int':
      return opt.unit && opt.unit !== 'errno' ? `${String(value)} ${opt.unit}` : String(value);
    case 'enum': {
      const n = typeof value === 'string' ? choiceValue(opt, value, layout) : (value as number);
      const name = choiceName(opt, n, layout);
      const num = opt.choices.some((c) => c.value !== undefined) ? `0x${n.toString(16).padStart(2, '0')}` : String(n);
      return typeof name === 'string' ? `${name} (${num})` : num;
    }
    case 'linger': {
      const l = value as Linger;
      return l.onoff ? `on, ${l.seconds} s` : `off (${l.seconds} s)`;
    }
    case 'timeval':
      return value === 0 ? '0 (no timeout)' : seconds(value as number);
    case 'bytes':
      return typeof value === 'string' ? JSON.stringify(value) : toHex(value as Uint8Array);
  }
}
