// What a socket option is, as the catalogue describes it. Only names live
// here: the numeric values of levels, option names and platform constants
// (SOL_SOCKET, SO_RCVBUF, SOCK_STREAM …) come from the native addon in main.
import type { Family, SockType } from '../contract/schemas.js';

export type Level = 'SOL_SOCKET' | 'IPPROTO_IP' | 'IPPROTO_IPV6' | 'IPPROTO_TCP';
export const LEVELS: readonly Level[] = ['SOL_SOCKET', 'IPPROTO_TCP', 'IPPROTO_IP', 'IPPROTO_IPV6'];

/** When setting the option still has its effect (getsockopt works at any time). */
export type When = 'before-bind' | 'before-connect' | 'before-listen' | 'any';

/** An int (4 bytes), 0 or 1. */
export interface BoolKind { kind: 'bool' }
/** An int in [min, max]. */
export interface IntKind { kind: 'int'; min: number; max: number }
/**
 * One of named choices. `value` is given when the protocol fixes it (TOS
 * codepoints); otherwise the platform defines it and main looks the name up
 * (SOCK_STREAM …). With `min`/`max`, any whole number in range is accepted too.
 */
export interface EnumKind { kind: 'enum'; choices: readonly { name: string; value?: number }[]; min?: number; max?: number }
/** struct linger { int l_onoff; int l_linger; }. */
export interface LingerKind { kind: 'linger'; maxSeconds: number }
/** struct timeval { long tv_sec; long tv_usec; }, shown in seconds; 0 = no timeout. */
export interface TimevalKind { kind: 'timeval'; maxSeconds: number }
/** Raw bytes, at most maxLen; `text` options take and show a string (e.g. "cubic"). */
export interface BytesKind { kind: 'bytes'; maxLen: number; text?: boolean }

export type OptionKind = BoolKind | IntKind | EnumKind | LingerKind | TimevalKind | BytesKind;

export type OptionSpec = OptionKind & {
  name: string;
  level: Level;
  /** One line, English; the renderer may show a translation instead. */
  help: string;
  unit?: string;
  families: readonly Family[];
  types: readonly SockType[];
  when: When;
  readOnly?: boolean;
};

export interface Linger { onoff: boolean; seconds: number }

/** A typed option value: bool → boolean, int → number, enum → choice name (or a number in range),
 *  linger → {onoff, seconds}, timeval → seconds, bytes → Uint8Array (text options: a string). */
export type OptionValue = boolean | number | string | Linger | Uint8Array;

/** How the platform lays out C types; main fills it in. */
export interface Layout {
  littleEndian: boolean;
  /** sizeof(long): 8 on 64-bit Linux and macOS, 4 on 32-bit. */
  longBytes: 4 | 8;
  /** Platform constants by name (SOCK_STREAM …), for enum choices without a fixed value. */
  constant(name: string): number | undefined;
}
