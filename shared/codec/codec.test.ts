import { describe, expect, it } from 'vitest';
import {
  composeBytes, formatEscapedText, hexdump, hexdumpLine, parseBase64, parseEscapedText, parseHex, parseInput, toAscii, toBase64, toHex,
  type CodecResult,
} from './index.js';

const bytes = (r: CodecResult): number[] => {
  if (!r.ok) throw new Error(`expected bytes, got error: ${r.error.message}`);
  return [...r.bytes];
};
const err = (r: CodecResult) => {
  if (r.ok) throw new Error(`expected an error, got ${toHex(r.bytes)}`);
  return r.error;
};

describe('text with escapes', () => {
  it('turns hello\\r\\n into its 7 bytes', () => {
    expect(toHex(Uint8Array.from(bytes(parseEscapedText('hello\\r\\n'))))).toBe('68 65 6c 6c 6f 0d 0a');
  });

  it('knows \\r \\n \\t \\0 \\\\ and \\xHH (either case)', () => {
    expect(bytes(parseEscapedText('\\r\\n\\t\\0\\\\\\x41\\xfF'))).toEqual([13, 10, 9, 0, 0x5c, 0x41, 0xff]);
  });

  it('encodes the rest as UTF-8, or Latin-1 when asked', () => {
    expect(bytes(parseEscapedText('é中😀'))).toEqual([0xc3, 0xa9, 0xe4, 0xb8, 0xad, 0xf0, 0x9f, 0x98, 0x80]);
    expect(bytes(parseEscapedText('é', 'latin1'))).toEqual([0xe9]);
    const e = err(parseEscapedText('ab中', 'latin1'));
    expect(e.code).toBe('unencodable-char');
    expect(e.index).toBe(2);
  });

  it('gives empty input as zero bytes', () => {
    expect(bytes(parseEscapedText(''))).toEqual([]);
  });

  it('rejects an unknown escape and names its position', () => {
    const e = err(parseEscapedText('abc\\qdef'));
    expect(e.code).toBe('unknown-escape');
    expect(e.index).toBe(3);
    expect(e.position).toBe(4);
    expect(e.text).toBe('\\q');
    expect(e.message).toContain('position 4');
    expect(e.message).toContain('\\q');
  });

  it('rejects an incomplete escape: a trailing backslash, \\x with fewer than two hex digits', () => {
    expect(err(parseEscapedText('ab\\'))).toMatchObject({ code: 'incomplete-escape', index: 2 });
    expect(err(parseEscapedText('\\x'))).toMatchObject({ code: 'incomplete-escape', index: 0, text: '\\x' });
    expect(err(parseEscapedText('z\\x4'))).toMatchObject({ code: 'incomplete-escape', index: 1, text: '\\x4' });
    expect(err(parseEscapedText('\\x4g'))).toMatchObject({ code: 'incomplete-escape', index: 0 });
  });

  it('formats bytes back to text that parses to the same bytes', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    for (const enc of ['utf-8', 'latin1'] as const) {
      const text = formatEscapedText(all, enc);
      expect(bytes(parseEscapedText(text, enc))).toEqual([...all]);
    }
    expect(formatEscapedText(Uint8Array.from([0x68, 0x69, 0x0d, 0x0a, 0x00, 0x5c, 0xff]))).toBe('hi\\r\\n\\0\\\\\\xff');
    const utf8 = (parseEscapedText('中文') as { bytes: Uint8Array }).bytes;
    expect(formatEscapedText(utf8)).toBe('中文');
  });
});

describe('hex', () => {
  it('accepts spaces, colons, newlines and 0x prefixes', () => {
    expect(bytes(parseHex('68 65 6c 6c 6f 0d 0a'))).toEqual([0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x0d, 0x0a]);
    expect(bytes(parseHex('de:ad:BE:EF'))).toEqual([0xde, 0xad, 0xbe, 0xef]);
    expect(bytes(parseHex('deadbeef\n0x01 0X02'))).toEqual([0xde, 0xad, 0xbe, 0xef, 1, 2]);
    expect(bytes(parseHex('  '))).toEqual([]);
  });

  it('rejects an odd digit count, pointing at the unpaired digit', () => {
    const e = err(parseHex('68 656'));
    expect(e.code).toBe('odd-hex-digits');
    expect(e.index).toBe(5);
    expect(e.message).toContain('position 6');
  });

  it('rejects a non-hex character with its position', () => {
    const e = err(parseHex('68 6g'));
    expect(e).toMatchObject({ code: 'bad-hex-digit', index: 4, text: 'g' });
    expect(e.message).toContain('position 5');
  });

  it('formats bytes as lower-case hex', () => {
    expect(toHex(Uint8Array.from([0, 15, 255]))).toBe('00 0f ff');
    expect(toHex(Uint8Array.from([0xab, 0xcd]), '')).toBe('abcd');
  });
});

describe('base64', () => {
  it('round-trips every length and byte', () => {
    for (let n = 0; n < 20; n++) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff);
      expect(bytes(parseBase64(toBase64(b)))).toEqual([...b]);
    }
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(bytes(parseBase64(toBase64(all)))).toEqual([...all]);
  });

  it('decodes known vectors (RFC 4648), with or without padding, URL-safe too', () => {
    expect(toBase64(Uint8Array.from([...'foobar'].map((c) => c.charCodeAt(0))))).toBe('Zm9vYmFy');
    expect(toBase64(Uint8Array.from([0x66]))).toBe('Zg==');
    expect(bytes(parseBase64('Zg=='))).toEqual([0x66]);
    expect(bytes(parseBase64('Zg'))).toEqual([0x66]);
    expect(bytes(parseBase64('Zm9v\nYmE='))).toEqual([...'fooba'].map((c) => c.charCodeAt(0)));
    expect(bytes(parseBase64('-_8'))).toEqual([0xfb, 0xff]);
  });

  it('rejects bad characters, lone trailing characters and misplaced padding', () => {
    expect(err(parseBase64('Zm9v!'))).toMatchObject({ code: 'bad-base64-char', index: 4, text: '!' });
    expect(err(parseBase64('Zm9vY'))).toMatchObject({ code: 'bad-base64-length', index: 4 });
    expect(err(parseBase64('Zg=a'))).toMatchObject({ code: 'bad-base64-padding', index: 2 });
    expect(err(parseBase64('Zm9=='))).toMatchObject({ code: 'bad-base64-padding' });
  });
});

describe('hexdump', () => {
  it('shows hex bytes and ASCII with dots for non-printables', () => {
    const b = (parseEscapedText('hello\\r\\n') as { bytes: Uint8Array }).bytes;
    expect(toAscii(b)).toBe('hello..');
    const line = hexdumpLine(b, 0);
    expect(line.offset).toBe('00000000');
    expect(line.hex.trimEnd()).toBe('68 65 6c 6c 6f 0d 0a');
    expect(line.ascii).toBe('hello..');
  });

  it('puts 16 bytes on a line with a gap after the 8th and pads the last line', () => {
    const b = Uint8Array.from({ length: 20 }, (_, i) => 0x41 + i);
    const dump = hexdump(b).split('\n');
    expect(dump).toHaveLength(2);
    expect(dump[0]).toBe('00000000  41 42 43 44 45 46 47 48  49 4a 4b 4c 4d 4e 4f 50  |ABCDEFGHIJKLMNOP|');
    expect(dump[1]).toBe(`00000010  51 52 53 54${' '.repeat(37)}  |QRST|`);
    expect(toAscii(Uint8Array.from([0x1f, 0x20, 0x7e, 0x7f, 0x80]))).toBe('. ~..');
  });
});

describe('parseInput', () => {
  it('dispatches on the mode', () => {
    expect(bytes(parseInput('hi\\n', 'text'))).toEqual([0x68, 0x69, 0x0a]);
    expect(bytes(parseInput('6869', 'hex'))).toEqual([0x68, 0x69]);
    expect(bytes(parseInput('aGk=', 'base64'))).toEqual([0x68, 0x69]);
  });
});

describe('composeBytes', () => {
  it('parses in the mode and encoding, then appends, counting what it appended', () => {
    const m = composeBytes('01 03 00 00 00 0a', 'hex', 'utf-8', 'crc16-modbus');
    expect(m.ok && [toHex(m.bytes), m.appended]).toEqual(['01 03 00 00 00 0a c5 cd', 2]);
    const t = composeBytes('中\\n', 'text', 'gbk', 'crlf');
    expect(t.ok && [toHex(t.bytes), t.appended]).toEqual(['d6 d0 0a 0d 0a', 2]);
    const plain = composeBytes('aGk=', 'base64');
    expect(plain.ok && [toHex(plain.bytes), plain.appended]).toEqual(['68 69', 0]);
    expect(composeBytes('中', 'text', 'latin1', 'crc32')).toMatchObject({ ok: false, error: { code: 'unencodable-char', position: 1 } });
  });
});
