// Bytes as text for rules and scenarios: a regex matches the text a message
// decodes to (in the rule set's or scenario's encoding), and what it matched
// must be mapped back to bytes (an expect consumes exactly those). Captures
// and placeholders go back into bytes in the same encoding.
import { decodeText, encodeText, formatEscapedText, streamDecoder, toHex, type TextEncodingName } from '../../shared/codec/index.js';

/** One of TEXT_ENCODINGS (the schemas check the name). */
export type Encoding = TextEncodingName;

const isAscii = (bytes: Uint8Array): boolean => {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return false;
  return true;
};

/**
 * Text as bytes in `encoding` (no escapes: captures and placeholders are
 * literal). A character the encoding cannot hold throws with its words, never
 * a silent '?'.
 */
export function encode(text: string, encoding: Encoding): Uint8Array {
  const r = encodeText(text, encoding);
  if (!r.ok) throw new Error(r.error.message);
  return r.bytes;
}

/** Bytes as text (an invalid sequence becomes U+FFFD). */
export function decode(bytes: Uint8Array, encoding: Encoding): string {
  return decodeText(bytes, encoding);
}

/** Text decoded from bytes, and how many bytes the first `n` UTF-16 units of it came from. */
export interface Decoded {
  text: string;
  bytesFor(n: number): number;
}

export function decodeWithOffsets(bytes: Uint8Array, encoding: Encoding): Decoded {
  // Latin-1, and ASCII in an ASCII-compatible encoding: one byte a unit.
  if (encoding === 'latin1' || (isAscii(bytes) && !/^utf-16/.test(encoding))) {
    return { text: decodeText(bytes, encoding), bytesFor: (n) => n };
  }
  // Otherwise one byte at a time through a streaming decoder: each unit it gives is owed to the bytes so far.
  const d = streamDecoder(encoding);
  let text = '';
  const ends: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const got = d.write(bytes.subarray(i, i + 1));
    text += got;
    for (let k = 0; k < got.length; k++) ends.push(i + 1);
  }
  const tail = d.end();
  text += tail;
  for (let k = 0; k < tail.length; k++) ends.push(bytes.length);
  return { text, bytesFor: (n) => (n <= 0 ? 0 : ends[Math.min(n, ends.length) - 1]!) };
}

/** Text as one line: control characters (a YAML string may hold real CR and LF) written as escapes. */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x1f\x7f]/g, (c) => ({ '\r': '\\r', '\n': '\\n', '\t': '\\t', '\0': '\\0' })[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** What a failure shows of a run of bytes at most. */
export const SHOW_MAX = 1024;

/**
 * Bytes as a person reads them in a failure: escaped text, and hex. A run
 * longer than SHOW_MAX is shown from a little before `at` (where it departs
 * from what was expected), with its offset and total length; `mark` says
 * where in the text and the hex that byte is.
 */
export function shown(bytes: Uint8Array, at?: number): { text: string; hex: string; offset?: number; total?: number; mark?: { text: number; hex: number } } {
  const offset = bytes.length <= SHOW_MAX ? 0 : Math.max(0, Math.min((at ?? 0) - 64, bytes.length - SHOW_MAX));
  const part = bytes.subarray(offset, offset + SHOW_MAX);
  const out: ReturnType<typeof shown> = { text: formatEscapedText(part), hex: toHex(part) };
  if (offset) out.offset = offset;
  if (bytes.length > SHOW_MAX) out.total = bytes.length;
  if (at !== undefined && at >= offset && at <= offset + part.length) {
    out.mark = { text: formatEscapedText(part.subarray(0, at - offset)).length, hex: (at - offset) * 3 };
  }
  return out;
}
