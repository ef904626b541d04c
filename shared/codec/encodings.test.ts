import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeText, encodeText, formatEscapedText, parseEscapedText, showText, streamDecoder, textEncodingByName, toHex,
  TEXT_ENCODINGS, type CodecResult, type TextEncodingName,
} from './index.js';
import { SAMPLES } from '../../test/support/text-samples.js';

const hex = (r: CodecResult): string => {
  if (!r.ok) throw new Error(`expected bytes, got error: ${r.error.message}`);
  return toHex(r.bytes, '');
};
const bytesOf = (text: string, enc: TextEncodingName): Uint8Array => {
  const r = encodeText(text, enc);
  if (!r.ok) throw new Error(r.error.message);
  return r.bytes;
};

describe('text encodings', () => {
  it('encode known characters to the bytes Python and the code pages give', () => {
    // Each value checked against Python 3.11's str.encode with the codec named.
    expect(hex(encodeText('中文', 'gbk'))).toBe('d6d0cec4'); // gbk
    expect(hex(encodeText('€', 'gbk'))).toBe('80'); // cp936 (Windows' GBK; Python's 'gbk' lacks €)
    expect(hex(encodeText('😀', 'gb18030'))).toBe('9439fc36'); // gb18030
    expect(hex(encodeText('中文', 'big5'))).toBe('a4a4a4e5'); // big5
    expect(hex(encodeText('カナ', 'shift_jis'))).toBe('834a8369'); // shift_jis
    expect(hex(encodeText('日本', 'euc-jp'))).toBe('c6fccbdc'); // euc_jp
    expect(hex(encodeText('한', 'euc-kr'))).toBe('c7d1'); // euc_kr
    expect(hex(encodeText('A😀', 'utf-16le'))).toBe('41003dd800de'); // utf-16-le
    expect(hex(encodeText('A😀', 'utf-16be'))).toBe('0041d83dde00'); // utf-16-be
    expect(hex(encodeText('€’', 'windows-1252'))).toBe('8092'); // cp1252
    expect(hex(encodeText('éÿ', 'latin1'))).toBe('e9ff'); // latin-1
    expect(hex(encodeText('é😀', 'utf-8'))).toBe('c3a9f09f9880');
  });

  it.each(TEXT_ENCODINGS)('%s: the sample decodes back to itself', (enc) => {
    expect(decodeText(bytesOf(SAMPLES[enc], enc), enc)).toBe(SAMPLES[enc]);
  });

  it.each(TEXT_ENCODINGS)('%s: received bytes split at every position decode to the same text', (enc) => {
    const text = SAMPLES[enc];
    const bytes = bytesOf(text, enc);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const d = streamDecoder(enc);
      const first = d.write(bytes.subarray(0, cut));
      // Only whole characters come out: never a replacement for half of one.
      expect(first).not.toContain('\ufffd');
      expect(text.startsWith(first)).toBe(true);
      expect(first + d.write(bytes.subarray(cut)) + d.end()).toBe(text);
    }
    // And one byte per read.
    const d = streamDecoder(enc);
    let all = '';
    for (const b of bytes) all += d.write(Uint8Array.of(b));
    expect(all + d.end()).toBe(text);
  });

  it('keeps a byte order mark as U+FEFF and shows bytes that are not text as U+FFFD', () => {
    expect(decodeText(Uint8Array.of(0xef, 0xbb, 0xbf, 0x41), 'utf-8')).toBe('\ufeffA');
    expect(decodeText(Uint8Array.of(0xff, 0xfe, 0x41, 0x00), 'utf-16le')).toBe('\ufeffA');
    expect(decodeText(Uint8Array.of(0x41, 0xff, 0x42), 'utf-8')).toBe('A\ufffdB');
    expect(() => decodeText(Uint8Array.of(0x41, 0xff), 'utf-8', true)).toThrow(TypeError);
    // A stream that ends inside a character says so at its end.
    const d = streamDecoder('gbk');
    expect(d.write(Uint8Array.of(0x41, 0xd6))).toBe('A');
    expect(d.end()).toBe('\ufffd');
  });

  it('Latin-1 is ISO-8859-1 (0x80–0x9f are controls), Windows-1252 is not', () => {
    expect(decodeText(Uint8Array.of(0x80), 'latin1')).toBe('\u0080');
    expect(decodeText(Uint8Array.of(0x80), 'windows-1252')).toBe('€');
    expect(encodeText('€', 'latin1').ok).toBe(false);
  });

  it.each([
    ['ab😀', 'gbk', 2, '😀', /"😀" \(U\+1F600\) cannot be encoded in GBK at position 3/],
    ['中文 é', 'big5', 3, 'é', /U\+00E9.*Big5 at position 4/],
    ['日本 한', 'shift_jis', 3, '한', /U\+D55C.*Shift_JIS/],
    ['한 é', 'euc-kr', 2, 'é', /EUC-KR/],
    ['x€', 'latin1', 1, '€', /Latin-1 at position 2/],
    ['café 中', 'windows-1252', 5, '中', /Windows-1252 at position 6/],
    ['a\ud83d', 'utf-8', 1, '\ud83d', /a lone surrogate \(U\+D83D\) cannot be encoded in UTF-8/],
    ['a\udc00b', 'utf-16le', 1, '\udc00', /lone surrogate/],
    ['x\ud800', 'gb18030', 1, '\ud800', /GB18030/],
  ] as const)('refuses %j in %s at its position, never as a "?"', (text, enc, index, ch, message) => {
    const r = encodeText(text, enc);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toMatchObject({ code: 'unencodable-char', index, position: index + 1, text: ch });
    expect(r.error.message).toMatch(message);
  });

  it('names the position in the whole input when the character follows escapes', () => {
    const r = parseEscapedText('a\\r\\n\\x00中', 'latin1');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ code: 'unencodable-char', index: 9, text: '中' });
  });

  it('knows the names people type', () => {
    expect(textEncodingByName('UTF8')).toBe('utf-8');
    expect(textEncodingByName('Shift-JIS')).toBe('shift_jis');
    expect(textEncodingByName('sjis')).toBe('shift_jis');
    expect(textEncodingByName('CP936')).toBe('gbk');
    expect(textEncodingByName('ISO-8859-1')).toBe('latin1');
    expect(textEncodingByName('utf_16be')).toBe('utf-16be');
    expect(textEncodingByName('cp1252')).toBe('windows-1252');
    expect(textEncodingByName('ebcdic')).toBeUndefined();
  });
});

describe('text with escapes in every encoding', () => {
  it('writes \\r \\n \\t \\0 \\\\ as characters of the encoding and \\xHH as one raw byte', () => {
    expect(hex(parseEscapedText('a\\r\\n', 'utf-16le'))).toBe('61000d000a00');
    expect(hex(parseEscapedText('\\\\\\0', 'utf-16be'))).toBe('005c0000');
    expect(hex(parseEscapedText('\\x41', 'utf-16le'))).toBe('41');
    expect(hex(parseEscapedText('你好\\r\\n', 'gbk'))).toBe('c4e3bac30d0a');
  });

  it.each(TEXT_ENCODINGS)('%s: formats the sample as itself and any bytes so they parse back exactly', (enc) => {
    const sample = bytesOf(SAMPLES[enc], enc);
    expect(formatEscapedText(sample, enc)).toBe(SAMPLES[enc]);
    const roundTrip = (b: Uint8Array) => hex(parseEscapedText(formatEscapedText(b, enc), enc)) === toHex(b, '');
    expect(roundTrip(Uint8Array.from({ length: 256 }, (_, i) => i))).toBe(true);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 24 }), roundTrip), { numRuns: 300 });
    // Text and garbage mixed: the text stays readable (in UTF-16 the garbage
    // is a lone surrogate, two bytes; one odd byte would shift every character after it).
    const garbage = { 'utf-16le': [0x00, 0xd8], 'utf-16be': [0xd8, 0x00] }[enc as string] ?? [0xff];
    const mixed = Uint8Array.of(...garbage, ...sample, 0x0d, 0x0a);
    const shown = formatEscapedText(mixed, enc);
    expect(shown).toContain(SAMPLES[enc].slice(3));
    expect(roundTrip(mixed)).toBe(true);
  });

  it('shows control and invisible characters as escapes, and UTF-16 controls by their bytes', () => {
    expect(formatEscapedText(Uint8Array.of(0x68, 0x69, 0x0d, 0x0a, 0x00, 0x5c, 0xff))).toBe('hi\\r\\n\\0\\\\\\xff');
    expect(formatEscapedText(bytesOf('a\r\n\u0001', 'utf-16le'), 'utf-16le')).toBe('a\\r\\n\\x01\\x00');
    expect(formatEscapedText(Uint8Array.of(0x41, 0x00, 0x42), 'utf-16le')).toBe('A\\x42');
    expect(formatEscapedText(bytesOf('\u200b', 'utf-8'))).toBe('\\xe2\\x80\\x8b');
  });
});

describe('showText', () => {
  it('puts decoded text on one readable line', () => {
    expect(showText('a\r\n\tb\\\u0001\u0085\u200b中')).toBe('a\\r\\n\\tb\\\\\\x01\\x85\\u{200b}中');
  });
});
