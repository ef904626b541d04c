// Hex text ↔ bytes. Input may separate bytes with whitespace or colons and
// may prefix a group with 0x; every group must hold whole bytes.
import { codecError, type CodecResult } from './errors.js';

const isHexDigit = (c: string): boolean => /^[0-9a-fA-F]$/.test(c);
const isSeparator = (c: string): boolean => c === ':' || c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === ',';

export function parseHex(input: string): CodecResult {
  const out: number[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (isSeparator(c)) {
      i++;
      continue;
    }
    // One group: optional 0x, then hex digits up to the next separator.
    const start = i;
    if (c === '0' && (input[i + 1] === 'x' || input[i + 1] === 'X')) i += 2;
    const digitsStart = i;
    while (i < input.length && !isSeparator(input[i]!)) {
      const d = input[i]!;
      if (!isHexDigit(d)) {
        const shown = String.fromCodePoint(input.codePointAt(i)!);
        return codecError('bad-hex-digit', i, shown, `"${shown}" is not a hex digit`);
      }
      i++;
    }
    const digits = input.slice(digitsStart, i);
    if (digits.length === 0) return codecError('bad-hex-digit', start, input.slice(start, i), '"0x" without hex digits');
    if (digits.length % 2 === 1) {
      return codecError('odd-hex-digits', i - 1, digits, `odd number of hex digits in "${digits}" (the last byte needs two digits)`);
    }
    for (let k = 0; k < digits.length; k += 2) out.push(parseInt(digits.slice(k, k + 2), 16));
  }
  return { ok: true, bytes: Uint8Array.from(out) };
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
