// Base64 (RFC 4648, standard or URL-safe alphabet) without atob/btoa, so it
// runs the same in Node and in the browser. Whitespace is ignored; padding
// is optional but, when present, must be correct and at the end.
import { codecError, type CodecResult } from './errors.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const VALUE = new Map<string, number>();
for (let i = 0; i < 64; i++) VALUE.set(ALPHABET[i]!, i);
VALUE.set('-', 62);
VALUE.set('_', 63);

export function parseBase64(input: string): CodecResult {
  const values: number[] = [];
  const indexOf: number[] = [];
  let padAt = -1;
  let pads = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (c === ' ' || c === '\n' || c === '\r' || c === '\t') continue;
    if (c === '=') {
      if (padAt < 0) padAt = i;
      pads++;
      continue;
    }
    const v = VALUE.get(c);
    if (v === undefined) {
      const shown = String.fromCodePoint(input.codePointAt(i)!);
      return codecError('bad-base64-char', i, shown, `"${shown}" is not a base64 character`);
    }
    if (padAt >= 0) return codecError('bad-base64-padding', padAt, '=', '"=" padding before the end of the base64 text');
    values.push(v);
    indexOf.push(i);
  }
  const rem = values.length % 4;
  if (rem === 1) {
    const at = indexOf[indexOf.length - 1] ?? 0;
    return codecError('bad-base64-length', at, input[at] ?? '', 'base64 text ends with a lone character (length must not be 4n+1)');
  }
  if (pads > 0 && (pads > 2 || (values.length + pads) % 4 !== 0)) {
    return codecError('bad-base64-padding', padAt, '=', 'wrong amount of "=" padding');
  }
  const out = new Uint8Array(Math.floor((values.length * 3) / 4));
  let o = 0;
  for (let i = 0; i < values.length; i += 4) {
    const a = values[i]!;
    const b = values[i + 1] ?? 0;
    const c = values[i + 2] ?? 0;
    const d = values[i + 3] ?? 0;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = (n >> 16) & 0xff;
    if (i + 2 < values.length) out[o++] = (n >> 8) & 0xff;
    if (i + 3 < values.length) out[o++] = n & 0xff;
  }
  return { ok: true, bytes: out };
}

export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    const n = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    s += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]!;
    s += b === undefined ? '=' : ALPHABET[(n >> 6) & 63]!;
    s += c === undefined ? '=' : ALPHABET[n & 63]!;
  }
  return s;
}
