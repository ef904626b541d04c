// Bytes as people write and read them: text with escapes in the listed text
// encodings, hex, base64, hexdumps, and the checksums appended on send. No
// Node, no DOM: used by the renderer's composer and log and by anything in
// main that sends or prints bytes (the CLI, saved packets, rules, scenarios).
import { appendix, type AppendName } from './append.js';
import { parseBase64 } from './base64.js';
import type { CodecError, CodecResult } from './errors.js';
import { parseHex } from './hex.js';
import type { TextEncodingName } from './encodings.js';
import { parseEscapedText } from './text.js';

export * from './errors.js';
export * from './encodings.js';
export * from './text.js';
export * from './hex.js';
export * from './base64.js';
export * from './hexdump.js';
export * from './append.js';

export type InputMode = 'text' | 'hex' | 'base64';
export const INPUT_MODES: readonly InputMode[] = ['text', 'hex', 'base64'];

/** Parses composer input in the given mode into the exact bytes to send. */
export function parseInput(input: string, mode: InputMode, encoding: TextEncodingName = 'utf-8'): CodecResult {
  switch (mode) {
    case 'text':
      return parseEscapedText(input, encoding);
    case 'hex':
      return parseHex(input);
    case 'base64':
      return parseBase64(input);
  }
}

/** Bytes to send, the last `appended` of them added by an append choice. */
export type Composed = { ok: true; bytes: Uint8Array; appended: number } | { ok: false; error: CodecError };

/**
 * What a composer, a saved packet, a rule's reply or a scenario's send stands
 * for: its input parsed in its mode (text in its encoding), then what `append`
 * adds (a checksum over those bytes, or a line ending).
 */
export function composeBytes(input: string, mode: InputMode, encoding: TextEncodingName = 'utf-8', append?: AppendName): Composed {
  const r = parseInput(input, mode, encoding);
  if (!r.ok || !append) return r.ok ? { ...r, appended: 0 } : r;
  const tail = appendix(r.bytes, append);
  const bytes = new Uint8Array(r.bytes.length + tail.length);
  bytes.set(r.bytes);
  bytes.set(tail, r.bytes.length);
  return { ok: true, bytes, appended: tail.length };
}
