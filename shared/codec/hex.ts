// Hex text ↔ bytes. Input may separate bytes with whitespace or colons and
// may prefix a group with 0x; every group must hold whole bytes.
import { codecError, type CodecResult } from './errors.js';

const isSeparator = (c: number): boolean => c === 0x3a || c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x2c;

/** A hex digit's value, or -1. */
function nibble(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x57 : -1;
}

// Character codes and one preallocated buffer: the composer re-parses on
// every keystroke, and a pasted megabyte of hex must not freeze the page.
export function parseHex(input: string): CodecResult {
  const out = new Uint8Array(input.length >> 1);
  let n = 0;
  let i = 0;
  while (i < input.length) {
    if (isSeparator(input.charCodeAt(i))) {
      i++;
      continue;
    }
    // One group: optional 0x, then hex digits up to the next separator.
    const start = i;
    if (input.charCodeAt(i) === 0x30 && (input.charCodeAt(i + 1) | 0x20) === 0x78) i += 2;
    const digitsStart = i;
    while (i < input.length && !isSeparator(input.charCodeAt(i))) {
      if (nibble(input.charCodeAt(i)) < 0) {
        const shown = String.fromCodePoint(input.codePointAt(i)!);
        return codecError('bad-hex-digit', i, shown, `"${shown}" is not a hex digit`);
      }
      i++;
    }
    const digits = i - digitsStart;
    if (digits === 0) return codecError('bad-hex-digit', start, input.slice(start, i), '"0x" without hex digits');
    if (digits % 2 === 1) {
      const text = input.slice(digitsStart, i);
      return codecError('odd-hex-digits', i - 1, text, `odd number of hex digits in "${text}" (the last byte needs two digits)`);
    }
    for (let k = digitsStart; k < i; k += 2) out[n++] = (nibble(input.charCodeAt(k)) << 4) | nibble(input.charCodeAt(k + 1));
  }
  return { ok: true, bytes: out.slice(0, n) };
}

/** "68 65 6c" (lower case, one separator between bytes). */
export function toHex(bytes: Uint8Array, separator = ' '): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    if (i > 0) s += separator;
    s += HEX_BYTE[bytes[i]!];
  }
  return s;
}

export const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, n) => n.toString(16).padStart(2, '0'));
