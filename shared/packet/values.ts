// Field values: from what a user (UI, CLI, test) gives to the one canonical
// form that resolveStack and parseStack both produce (numbers for numeric,
// enum and flag fields; RFC 5952 text for addresses; Uint8Array for bytes),
// and between that form and the wire.
import { toHex } from '../codec/hex.js';
import { formatIPv4, formatIPv6, ipv4Bytes, ipv4Word, ipv6Bytes } from '../net/address.js';
import { decodeOptions, emptyEncodesEmpty, encodeOptions, formatOption } from './options.js';
import { FieldError, type FieldSpec, type FieldValue, type Fields, type OptionValue } from './spec.js';

const INT = /^(0x[0-9a-f]+|\d+)$/i;

function toUint(s: FieldSpec, bits: number, raw: FieldValue): number {
  // The usual case, a number already in range: no string work.
  if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 0 && raw <= 2 ** bits - 1) return raw;
  const v = typeof raw === 'string' && INT.test(raw.trim()) ? Number(raw.trim()) : raw;
  const max = 2 ** bits - 1;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
    throw new FieldError(s.name, `${s.name} must be 0..${max}, got ${typeof raw === 'string' ? JSON.stringify(raw) : String(raw)}`);
  }
  return v;
}

const list = (names: Iterable<string>): string => [...names].join(', ');

function toEnum(s: FieldSpec, raw: FieldValue, f: Fields): number {
  if (s.type.t !== 'enum') throw new Error('not an enum');
  if (typeof raw === 'string' && !INT.test(raw.trim())) {
    const names = s.type.names(f);
    const hit = Object.entries(names).find(([, n]) => n === raw) ?? Object.entries(s.type.aliases ?? {}).find(([n]) => n === raw)?.reverse();
    const known = Object.values(names).length ? `known: ${list(Object.values(names))}, or a number` : 'no names here: give a number';
    if (!hit) throw new FieldError(s.name, `${s.name}: unknown name ${JSON.stringify(raw)} (${known})`);
    return Number(hit[0]);
  }
  return toUint(s, s.type.bits, raw);
}

/** "S,E,C", "SEC", "DF+MF", "" or a number. */
function toFlags(s: FieldSpec, raw: FieldValue): number {
  if (s.type.t !== 'flags') throw new Error('not flags');
  if (typeof raw !== 'string' || INT.test(raw.trim())) return toUint(s, s.type.bits, raw);
  const names = s.type.names;
  let parts = raw.split(/[,+| ]/).filter((p) => p !== '');
  // Scapy writes TCP flags as letters run together: "SA".
  if (parts.length === 1 && names.indexOf(parts[0]!) < 0) parts = [...parts[0]!];
  let v = 0;
  for (const p of parts) {
    const bit = names.indexOf(p);
    if (bit < 0) throw new FieldError(s.name, `${s.name}: unknown flag ${JSON.stringify(p)} (known: ${list(names)})`);
    v |= 1 << bit;
  }
  return v;
}

function toBytes(s: FieldSpec, raw: FieldValue): Uint8Array {
  if (raw instanceof Uint8Array) return raw;
  if (Array.isArray(raw) && raw.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 255)) return Uint8Array.from(raw as number[]);
  if (typeof raw === 'string') {
    const b = raw.startsWith('hex:') ? hexBytes(raw.slice(4)) : utf8(raw);
    if (b) return b;
  }
  throw new FieldError(s.name, `${s.name} must be bytes: hex:41ff…, text, or a list of 0..255`);
}

/** The bytes of hex digit pairs (spaces and colons between them ignored), or null. */
export function hexBytes(text: string): Uint8Array | null {
  const hex = text.replace(/[\s:]/g, '');
  return /^([0-9a-f]{2})*$/i.test(hex) ? Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16)) : null;
}

const UTF8 = new TextEncoder();
export const utf8 = (text: string): Uint8Array => UTF8.encode(text);

function toAddress(s: FieldSpec, family: 4 | 6, raw: FieldValue): string {
  // A dotted quad ipv4Bytes accepts has no leading zeros, so it is already canonical.
  if (family === 4 && typeof raw === 'string' && ipv4Word(raw) >= 0) return raw;
  const b = typeof raw === 'string' ? (family === 4 ? ipv4Bytes(raw) : ipv6Bytes(raw)) : null;
  if (!b) throw new FieldError(s.name, `${s.name} must be an IPv${family} address, got ${JSON.stringify(raw)}`);
  return family === 4 ? formatIPv4(b) : formatIPv6(b);
}

/** The canonical form of a value the user gave, or a FieldError saying what is allowed. */
export function normalize(s: FieldSpec, raw: FieldValue, f: Fields): FieldValue {
  const t = s.type;
  switch (t.t) {
    case 'uint':
      return toUint(s, t.bits, raw);
    case 'enum':
      return toEnum(s, raw, f);
    case 'flags':
      return toFlags(s, raw);
    case 'ipv4':
      return toAddress(s, 4, raw);
    case 'ipv6':
      return toAddress(s, 6, raw);
    case 'ipv6list':
      if (!Array.isArray(raw)) throw new FieldError(s.name, `${s.name} must be a list of IPv6 addresses`);
      return (raw as unknown[]).map((a) => toAddress(s, 6, a as string));
    case 'bytes':
      return toBytes(s, raw);
    case 'options':
      // Canonical = what the wire gives back (padding included, "MSS" for kind 2 …);
      // an empty IPv4 or TCP list (every packet of a flood) gives back an empty list.
      if (Array.isArray(raw) && raw.length === 0 && emptyEncodesEmpty(t.list)) return [];
      return decodeOptions(t.list, encodeOptions(t.list, raw as readonly OptionValue[]));
  }
}

/** A value as the crafter and CLI show it: names for enums and flags ("echo-request", "S,A"), hex for bytes. */
export function formatValue(s: FieldSpec, v: FieldValue, f: Fields = {}): string {
  const t = s.type;
  if (t.t === 'enum') return t.names(f)[v as number] ?? String(v);
  if (t.t === 'flags') return t.names.filter((_, bit) => ((v as number) >> bit) & 1).join(',') || '0';
  if (t.t === 'bytes') return `hex:${toHex(v as Uint8Array, '')}`;
  if (t.t === 'options') return (v as OptionValue[]).map(formatOption).join(' ');
  if (t.t === 'ipv6list') return (v as string[]).join(',');
  return String(v);
}

/** Wire bytes of a variable-length value (addresses, bytes, options). */
export function encodeVar(s: FieldSpec, v: FieldValue): Uint8Array {
  const t = s.type;
  if (t.t === 'ipv4') return ipv4Bytes(v as string)!;
  if (t.t === 'ipv6') return ipv6Bytes(v as string)!;
  if (t.t === 'ipv6list') {
    const out = new Uint8Array((v as string[]).length * 16);
    (v as string[]).forEach((a, i) => out.set(ipv6Bytes(a)!, i * 16));
    return out;
  }
  if (t.t === 'options') return encodeOptions(t.list, v as OptionValue[]);
  return v as Uint8Array;
}

export function decodeVar(s: FieldSpec, b: Uint8Array): FieldValue {
  const t = s.type;
  if (t.t === 'ipv4') return formatIPv4(b);
  if (t.t === 'ipv6') return formatIPv6(b);
  if (t.t === 'ipv6list') return Array.from({ length: b.length >> 4 }, (_, i) => formatIPv6(b, i * 16));
  if (t.t === 'options') return decodeOptions(t.list, b);
  return b.slice();
}

/** Bits of a numeric field; 0 for variable ones. */
export function fixedBits(s: FieldSpec): number {
  const t = s.type;
  if (t.t === 'uint' || t.t === 'enum' || t.t === 'flags') return t.bits;
  return t.t === 'ipv4' ? 32 : t.t === 'ipv6' ? 128 : 0;
}

export const isNumeric = (s: FieldSpec): boolean => s.type.t === 'uint' || s.type.t === 'enum' || s.type.t === 'flags';

/** Writes `bits` bits of v at bit position `pos` of b (MSB first). */
export function putBits(b: Uint8Array, pos: number, bits: number, v: number): void {
  if (pos % 8 === 0 && bits % 8 === 0) {
    if (bits <= 32) {
      // Whole bytes of a value below 2^32: shifts, no division.
      for (let i = bits / 8 - 1, o = pos / 8; i >= 0; i--) b[o + i] = v >>> ((bits / 8 - 1 - i) * 8);
      return;
    }
    for (let i = bits / 8 - 1; i >= 0; i--, v = Math.floor(v / 256)) b[pos / 8 + i] = v % 256;
    return;
  }
  if (bits <= 24) return putWindow(b, pos, bits, v);
  for (let i = bits - 1; i >= 0; i--, v = Math.floor(v / 2)) {
    const p = pos + i;
    const mask = 0x80 >> (p % 8);
    b[p >> 3] = v % 2 ? b[p >> 3]! | mask : b[p >> 3]! & ~mask;
  }
}

export function getBits(b: Uint8Array, pos: number, bits: number): number {
  let v = 0;
  if (pos % 8 === 0 && bits % 8 === 0) {
    for (let i = 0; i < bits / 8; i++) v = v * 256 + b[pos / 8 + i]!;
    return v;
  }
  if (bits <= 24) return getWindow(b, pos, bits);
  for (let i = 0; i < bits; i++) v = v * 2 + ((b[(pos + i) >> 3]! >> (7 - ((pos + i) % 8))) & 1);
  return v;
}

// A field of at most 24 bits not on byte boundaries (version, ihl, flags,
// frag …) lies within 4 bytes (n of them from byte `first`): read them as
// one 32-bit window and mask, rather than go bit by bit.
function putWindow(b: Uint8Array, pos: number, bits: number, v: number): void {
  const first = pos >> 3;
  const n = ((pos + bits + 7) >> 3) - first;
  const shift = n * 8 - (pos & 7) - bits;
  const mask = ((1 << bits) - 1) << shift;
  let w = 0;
  for (let i = 0; i < n; i++) w = (w << 8) | b[first + i]!;
  w = (w & ~mask) | ((v << shift) & mask);
  for (let i = n - 1; i >= 0; i--, w >>>= 8) b[first + i] = w;
}

function getWindow(b: Uint8Array, pos: number, bits: number): number {
  const first = pos >> 3;
  const n = ((pos + bits + 7) >> 3) - first;
  let w = 0;
  for (let i = 0; i < n; i++) w = (w << 8) | b[first + i]!;
  return (w >>> (n * 8 - (pos & 7) - bits)) & ((1 << bits) - 1);
}
