// Bytes as source-code literals, for pasting into a program: a C string
// literal and a Python bytes literal. Printable ASCII stays as itself, the
// usual controls get their short escapes, anything else is \xHH. Lines break
// after each \n so a text protocol stays readable.
import { HEX_BYTE } from './hex.js';

const SHORT: Readonly<Record<number, string>> = { 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x5c: '\\\\' };
const isHexDigit = (b: number | undefined): boolean =>
  b !== undefined && ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66));

function literal(bytes: Uint8Array, quote: '"' | "'", open: string, close: string, hexSplits: boolean): string {
  const lines: string[] = [];
  let cur = '';
  let afterHex = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    let piece: string;
    if (SHORT[b] !== undefined) piece = SHORT[b];
    else if (b === quote.charCodeAt(0)) piece = '\\' + quote;
    else if (b >= 0x20 && b < 0x7f) {
      // C reads every hex digit after \x as part of the escape: close and reopen the string.
      piece = (hexSplits && afterHex && isHexDigit(b) ? `${close} ${open}` : '') + String.fromCharCode(b);
    } else piece = '\\x' + HEX_BYTE[b]!;
    afterHex = piece.startsWith('\\x');
    cur += piece;
    if (b === 0x0a && i < bytes.length - 1) {
      lines.push(open + cur + close);
      cur = '';
      afterHex = false;
    }
  }
  lines.push(open + cur + close);
  return lines.join('\n');
}

/** A C string literal (adjacent literals, one per line, which C joins): "GET / HTTP/1.0\r\n". */
export function toCLiteral(bytes: Uint8Array): string {
  return literal(bytes, '"', '"', '"', true);
}

/** A Python bytes literal; several lines are wrapped in parentheses, which Python joins: b'GET /\r\n'. */
export function toPythonLiteral(bytes: Uint8Array): string {
  const s = literal(bytes, "'", "b'", "'", false);
  return s.includes('\n') ? `(\n    ${s.split('\n').join('\n    ')}\n)` : s;
}
