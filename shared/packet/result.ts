// The result of every packet parser. Parsers never throw: truncated or
// garbage input gives { ok: false } with a sentence and the byte offset
// (from the start of the buffer given) where parsing could not go on.

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string; offset: number };

export function parsed<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function parseError(error: string, offset: number): { ok: false; error: string; offset: number } {
  return { ok: false, error, offset };
}

/** Big-endian reads; callers check bounds first. */
export const u16 = (b: Uint8Array, o: number): number => ((b[o]! << 8) | b[o + 1]!) >>> 0;
export const u32 = (b: Uint8Array, o: number): number => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

export function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

export function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/** Throws a RangeError naming the field: for builders, whose input is the program's own. */
export function checkInt(name: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${name} must be an integer in ${min}..${max}, got ${v}`);
}
