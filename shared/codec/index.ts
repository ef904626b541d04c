// Bytes as people write and read them: text with escapes in the listed text
// encodings, hex, base64, hexdumps, and the checksums appended on send. No
// Node, no DOM: used by the renderer's composer and log and by anything in
// main that sends or prints bytes (the CLI, saved packets, rules, scenarios).
import { parseBase64 } from './base64.js';
import type { CodecResult } from './errors.js';
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
