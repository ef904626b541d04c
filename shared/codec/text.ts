// Text with escapes ↔ bytes, in any of the listed encodings. Escapes:
// \r \n \t \0 \\ stand for those characters (encoded like the rest, so in
// UTF-16 \r is 0d 00) and \xHH for one raw byte. Everything else is encoded
// with the chosen text encoding. An unknown or incomplete escape, or a
// character the encoding cannot hold, is an error naming its position, never
// silently kept or replaced.
import { decodeText, encodeText, isAsciiSuperset, unencodableChar, type TextEncodingName } from './encodings.js';
import { codecError, type CodecResult } from './errors.js';

const ESCAPED_CHAR: Readonly<Record<string, string>> = { r: '\r', n: '\n', t: '\t', '0': '\0', '\\': '\\' };
const ESCAPE_OF: Readonly<Record<number, string>> = { 0x0d: '\\r', 0x0a: '\\n', 0x09: '\\t', 0x00: '\\0', 0x5c: '\\\\' };
const HEX = /^[0-9a-fA-F]$/;

/** Pieces of output, joined once at the end (a text without escapes is one piece, not copied). */
class Pieces {
  private parts: Uint8Array[] = [];
  private raw: number[] = [];
  private length = 0;
  add(bytes: Uint8Array): void {
    this.endRaw();
    this.parts.push(bytes);
    this.length += bytes.length;
  }
  addByte(b: number): void {
    this.raw.push(b);
    this.length++;
  }
  private endRaw(): void {
    if (this.raw.length === 0) return;
    this.parts.push(Uint8Array.from(this.raw));
    this.raw = [];
  }
  bytes(): Uint8Array {
    this.endRaw();
    if (this.parts.length === 1) return this.parts[0]!;
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

/**
 * Text between raw \xHH bytes, gathered with its escaped characters resolved,
 * then encoded in one call (a call per escape would cost more than the text).
 */
class TextRun {
  // Concatenated, not joined: V8 joins 100k small slices far slower than it flattens a rope.
  private str = '';
  /** Where the run starts in the input, and the run offsets at which an escape (two input characters for one) stands. */
  private inputStart = 0;
  private escapesAt: number[] = [];
  start(at: number): void {
    this.inputStart = at;
  }
  text(s: string): void {
    this.str += s;
  }
  escaped(ch: string): void {
    this.escapesAt.push(this.str.length);
    this.text(ch);
  }
  /** Encodes and empties the run; an unencodable character's index is mapped back into the input. */
  flush(encoding: TextEncodingName, out: Pieces): CodecResult | null {
    if (this.str === '') return null;
    const r = encodeText(this.str, encoding);
    const escapesAt = this.escapesAt;
    const inputStart = this.inputStart;
    this.str = '';
    this.escapesAt = [];
    if (r.ok) {
      out.add(r.bytes);
      return null;
    }
    // Escaped characters are ASCII, which every listed encoding holds: the culprit was typed as itself.
    const k = r.error.index;
    const index = inputStart + k + escapesAt.filter((at) => at < k).length;
    return unencodableChar(r.error.text, encoding, index);
  }
}

/** Parses text with escapes into the exact bytes it stands for. */
export function parseEscapedText(input: string, encoding: TextEncodingName = 'utf-8'): CodecResult {
  const out = new Pieces();
  const run = new TextRun();
  let i = 0;
  while (i < input.length) {
    const at = input.indexOf('\\', i);
    run.text(input.slice(i, at < 0 ? input.length : at));
    if (at < 0) break;
    i = at;
    const next = input[i + 1];
    if (next === undefined) return codecError('incomplete-escape', i, '\\', 'incomplete escape "\\" (nothing after the backslash)');
    const ch = ESCAPED_CHAR[next];
    if (ch !== undefined) {
      run.escaped(ch);
      i += 2;
    } else if (next === 'x') {
      const h1 = input[i + 2];
      const h2 = input[i + 3];
      if (h1 === undefined || h2 === undefined || !HEX.test(h1) || !HEX.test(h2)) {
        let seen = '\\x';
        if (h1 !== undefined && HEX.test(h1)) seen += h1;
        return codecError('incomplete-escape', i, seen, `incomplete escape "${seen}" (\\x needs two hex digits)`);
      }
      const failed = run.flush(encoding, out);
      if (failed) return failed;
      out.addByte(parseInt(h1 + h2, 16));
      i += 4;
      run.start(i);
    } else {
      const cp = input.codePointAt(i + 1)!;
      const shown = '\\' + String.fromCodePoint(cp);
      return codecError('unknown-escape', i, shown, `unknown escape "${shown}" (known: \\r \\n \\t \\0 \\\\ \\xHH)`);
    }
  }
  const failed = run.flush(encoding, out);
  return failed ?? { ok: true, bytes: out.bytes() };
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');
const escapeBytes = (bytes: Uint8Array): string => Array.from(bytes, (b) => '\\x' + hex2(b)).join('');

/** Characters written as escapes rather than as themselves: controls, invisible or confusable ones, and the backslash. */
const INVISIBLE = '\\x00-\\x1f\\x5c\\x7f-\\x9f\\xad\\u2000-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff';
/** In text to parse back, a U+FFFD too: bytes that decode to it were not that character's UTF-8. */
const ESCAPED = new RegExp(`[${INVISIBLE}\\ufffd]`, 'g');
const SHOWN_ESCAPED = new RegExp(`[${INVISIBLE}]`, 'g');

/**
 * Decoded text as one line a person can read: controls, invisible characters
 * and the backslash are shown as \r \n \t \0 \\, \xHH (up to U+00FF) or
 * \u{…}; bytes that were not text stay the decoder's U+FFFD.
 */
export function showText(text: string): string {
  return text.replace(SHOWN_ESCAPED, (ch) => {
    const cp = ch.charCodeAt(0);
    return ESCAPE_OF[cp] ?? (cp < 0x100 ? '\\x' + hex2(cp) : `\\u{${cp.toString(16)}}`);
  });
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** One character's worth of text: printable as itself, \r \n \t \0 \\ as escapes, anything else as its bytes. */
function formatChar(ch: string, bytes: () => Uint8Array): string {
  const cp = ch.codePointAt(0)!;
  if (ESCAPE_OF[cp] !== undefined) return ESCAPE_OF[cp];
  ESCAPED.lastIndex = 0;
  return ESCAPED.test(ch) ? escapeBytes(bytes()) : ch;
}

/** The character the bytes at i start (its length in bytes, exactly as the encoder would write it), or null. */
function charAt(bytes: Uint8Array, i: number, encoding: TextEncodingName): { ch: string; len: number } | null {
  const lengths = isAsciiSuperset(encoding) ? [1, 2, 3, 4] : [2, 4];
  for (const len of lengths) {
    if (i + len > bytes.length) break;
    const piece = bytes.subarray(i, i + len);
    let ch: string;
    try {
      ch = decodeText(piece, encoding, true);
    } catch {
      continue; // incomplete or invalid at this length
    }
    if (ch.length === 0 || String.fromCodePoint(ch.codePointAt(0)!) !== ch) return null;
    const back = encodeText(ch, encoding);
    return back.ok && sameBytes(back.bytes, piece) ? { ch, len } : null;
  }
  return null;
}

/** The text the bytes spell, if they are valid and the encoder writes that text back as exactly these bytes. */
function validText(bytes: Uint8Array, encoding: TextEncodingName): string | null {
  let text: string;
  try {
    text = decodeText(bytes, encoding, true);
  } catch {
    return null;
  }
  const back = encodeText(text, encoding);
  return back.ok && sameBytes(back.bytes, bytes) ? text : null;
}

/**
 * The inverse of parseEscapedText: printable text stays text, everything else
 * becomes an escape, so parseEscapedText(formatEscapedText(b, e), e) gives
 * exactly b back. Bytes the encoding would not write that way (invalid, or a
 * second spelling of a character) are \xHH.
 */
export function formatEscapedText(bytes: Uint8Array, encoding: TextEncodingName = 'utf-8'): string {
  // Valid text (the usual case): one decode, one encode, then per character.
  const text = validText(bytes, encoding);
  if (text !== null) {
    // Each character alone encodes to its own bytes: no listed encoding is stateful.
    return text.replace(ESCAPED, (ch) => formatChar(ch, () => (encodeText(ch, encoding) as { bytes: Uint8Array }).bytes));
  }
  // Otherwise character by character, with \xHH for what is not a character.
  let s = '';
  const ascii = isAsciiSuperset(encoding);
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    if (ascii && b < 0x80) {
      s += formatChar(String.fromCharCode(b), () => bytes.subarray(i, i + 1));
      i++;
      continue;
    }
    const c = charAt(bytes, i, encoding);
    if (c) {
      const at = i;
      s += formatChar(c.ch, () => bytes.subarray(at, at + c.len));
      i += c.len;
    } else {
      // Not a character: its byte (in UTF-16 its code unit, so the next one stays aligned).
      const n = ascii ? 1 : Math.min(2, bytes.length - i);
      s += escapeBytes(bytes.subarray(i, i + n));
      i += n;
    }
  }
  return s;
}
