// hexdump -C style formatting: offset, hex bytes, ASCII with '.' for
// anything not printable.
import { HEX_BYTE } from './hex.js';

/** Printable ASCII (0x20–0x7e) as itself, everything else as '.'. */
export function toAscii(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
  }
  return s;
}

export interface HexdumpLine {
  /** "00000010" */
  offset: string;
  /** "68 65 6c 6c 6f 0d 0a", an extra space after the 8th byte, padded to full width. */
  hex: string;
  /** "hello.." */
  ascii: string;
}

/** One line of a hexdump: bytes [line*width, line*width+width). */
export function hexdumpLine(bytes: Uint8Array, line: number, width = 16, baseOffset = 0): HexdumpLine {
  const start = line * width;
  const chunk = bytes.subarray(start, Math.min(start + width, bytes.length));
  let hex = '';
  for (let i = 0; i < width; i++) {
    if (i > 0) hex += i === 8 ? '  ' : ' ';
    hex += i < chunk.length ? HEX_BYTE[chunk[i]!] : '  ';
  }
  return { offset: (baseOffset + start).toString(16).padStart(8, '0'), hex, ascii: toAscii(chunk) };
}

export function hexdumpLineCount(byteLength: number, width = 16): number {
  return Math.ceil(byteLength / width);
}

/** The whole dump as text, lines joined with \n (like `hexdump -C` without the trailing offset line). */
export function hexdump(bytes: Uint8Array, width = 16): string {
  const lines: string[] = [];
  for (let l = 0; l < hexdumpLineCount(bytes.length, width); l++) {
    const { offset, hex, ascii } = hexdumpLine(bytes, l, width);
    lines.push(`${offset}  ${hex}  |${ascii}|`);
  }
  return lines.join('\n');
}
