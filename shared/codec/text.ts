// Text with escapes ↔ bytes. Escapes: \r \n \t \0 \\ \xHH. Everything else is
// encoded with the chosen text encoding. An unknown or incomplete escape is an
// error naming its position, never silently kept.
import { codecError, type CodecResult } from './errors.js';

export type TextEncodingName = 'utf-8' | 'latin1';
export const TEXT_ENCODINGS: readonly TextEncodingName[] = ['utf-8', 'latin1'];

const SIMPLE: Record<string, number> = { r: 0x0d, n: 0x0a, t: 0x09, '0': 0x00, '\\': 0x5c };
const HEX = /^[0-9a-fA-F]$/;

class ByteSink {
  private buf = new Uint8Array(64);
  length = 0;
  push(b: number): void {
    if (this.length === this.buf.length) {
      const next = new Uint8Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = b;
  }
  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** Appends the UTF-8 (or Latin-1) bytes of one code point; false when Latin-1 cannot hold it. */
function encodeCodePoint(cp: number, enc: TextEncodingName, out: ByteSink): boolean {
  if (enc === 'latin1') {
    if (cp > 0xff) return false;
    out.push(cp);
    return true;
  }
  if (cp < 0x80) out.push(cp);
  else if (cp < 0x800) {
    out.push(0xc0 | (cp >> 6));
    out.push(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out.push(0xe0 | (cp >> 12));
    out.push(0x80 | ((cp >> 6) & 0x3f));
    out.push(0x80 | (cp & 0x3f));
  } else {
    out.push(0xf0 | (cp >> 18));
    out.push(0x80 | ((cp >> 12) & 0x3f));
    out.push(0x80 | ((cp >> 6) & 0x3f));
    out.push(0x80 | (cp & 0x3f));
  }
  return true;
}

/** Parses text with escapes into the exact bytes it stands for. */
export function parseEscapedText(input: string, encoding: TextEncodingName = 'utf-8'): CodecResult {
  const out = new ByteSink();
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (ch === '\\') {
      const next = input[i + 1];
      if (next === undefined) return codecError('incomplete-escape', i, '\\', 'incomplete escape "\\" (nothing after the backslash)');
      const simple = SIMPLE[next];
      if (simple !== undefined) {
        out.push(simple);
        i += 2;
        continue;
      }
      if (next === 'x') {
        const h1 = input[i + 2];
        const h2 = input[i + 3];
        if (h1 === undefined || h2 === undefined || !HEX.test(h1) || !HEX.test(h2)) {
          let seen = '\\x';
          if (h1 !== undefined && HEX.test(h1)) seen += h1;
          return codecError('incomplete-escape', i, seen, `incomplete escape "${seen}" (\\x needs two hex digits)`);
        }
        out.push(parseInt(h1 + h2, 16));
        i += 4;
        continue;
      }
      const cp = input.codePointAt(i + 1)!;
      const shown = '\\' + String.fromCodePoint(cp);
      return codecError('unknown-escape', i, shown, `unknown escape "${shown}" (known: \\r \\n \\t \\0 \\\\ \\xHH)`);
    }
    const cp = input.codePointAt(i)!;
    // A lone surrogate cannot be encoded; encode U+FFFD like TextEncoder does.
    const safe = cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp;
    if (!encodeCodePoint(safe, encoding, out)) {
      const shown = String.fromCodePoint(cp);
      return codecError('unencodable-char', i, shown, `"${shown}" cannot be encoded in Latin-1`);
    }
    i += cp > 0xffff ? 2 : 1;
  }
  return { ok: true, bytes: out.bytes() };
}

/** Length of a valid UTF-8 sequence starting at i, or 0. */
function utf8SeqLength(b: Uint8Array, i: number): number {
  const b0 = b[i]!;
  let len: number;
  let min: number;
  if (b0 >= 0xc2 && b0 <= 0xdf) [len, min] = [2, 0x80];
  else if (b0 >= 0xe0 && b0 <= 0xef) [len, min] = [3, 0x800];
  else if (b0 >= 0xf0 && b0 <= 0xf4) [len, min] = [4, 0x10000];
  else return 0;
  if (i + len > b.length) return 0;
  let cp = b0 & (0xff >> (len + 1));
  for (let k = 1; k < len; k++) {
    const c = b[i + k]!;
    if ((c & 0xc0) !== 0x80) return 0;
    cp = (cp << 6) | (c & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/**
 * The inverse of parseEscapedText: printable text stays text, everything else
 * becomes an escape, so formatEscapedText(b) parses back to exactly b.
 */
export function formatEscapedText(bytes: Uint8Array, encoding: TextEncodingName = 'utf-8'): string {
  let s = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b === 0x0d) s += '\\r';
    else if (b === 0x0a) s += '\\n';
    else if (b === 0x09) s += '\\t';
    else if (b === 0x00) s += '\\0';
    else if (b === 0x5c) s += '\\\\';
    else if (b >= 0x20 && b < 0x7f) s += String.fromCharCode(b);
    else if (encoding === 'latin1' && b >= 0xa0) s += String.fromCharCode(b);
    else if (encoding === 'utf-8' && b >= 0x80) {
      const len = utf8SeqLength(bytes, i);
      if (len > 0) {
        let cp = b & (0xff >> (len + 1));
        for (let k = 1; k < len; k++) cp = (cp << 6) | (bytes[i + k]! & 0x3f);
        // Invisible or confusable code points stay escaped.
        if (cp >= 0xa0 && cp !== 0xad && !(cp >= 0x2000 && cp <= 0x200f) && cp !== 0xfeff) {
          s += String.fromCodePoint(cp);
          i += len;
          continue;
        }
      }
      s += '\\x' + hex2(b);
    } else s += '\\x' + hex2(b);
    i++;
  }
  return s;
}
