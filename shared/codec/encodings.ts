// The text encodings people send and read on sockets, and the one way to
// encode and decode them. The tables and the decoders are @exodus/bytes'
// (the WHATWG Encoding Standard, as browsers and Windows code pages have
// them; Uint8Array in and out, so it runs unchanged in the browser); this
// module adds what a socket tool needs on top: an unencodable character is an
// error at its position (never a silent '?'), and received streams are
// decoded with a streaming decoder so a character split across two reads
// comes out whole.
import { TextDecoder as WhatwgDecoder } from '@exodus/bytes/encoding.js';
import { createMultibyteEncoder } from '@exodus/bytes/multi-byte.js';
import { createSinglebyteDecoder, createSinglebyteEncoder } from '@exodus/bytes/single-byte.js';
import { utf16fromString } from '@exodus/bytes/utf16.js';
import { utf8fromString } from '@exodus/bytes/utf8.js';
import { ENCODING_LABELS, type TextEncodingName } from './encoding-names.js';
import { codecError, type CodecResult } from './errors.js';

export * from './encoding-names.js';

type Encode = (text: string) => Uint8Array;
const encoders = new Map<TextEncodingName, Encode>();

function makeEncoder(encoding: TextEncodingName): Encode {
  switch (encoding) {
    case 'utf-8':
      return utf8fromString;
    case 'utf-16le':
      return (text) => utf16fromString(text, 'uint8-le');
    case 'utf-16be':
      return (text) => utf16fromString(text, 'uint8-be');
    case 'windows-1252':
      return createSinglebyteEncoder('windows-1252');
    case 'latin1':
      // The real ISO-8859-1 (0x80–0x9f are the C1 controls), not the WHATWG
      // label that means windows-1252.
      return createSinglebyteEncoder('iso-8859-1');
    default:
      return createMultibyteEncoder(encoding);
  }
}

/** The library's encoder, made once: it throws a TypeError on anything it cannot hold. */
function encoderOf(encoding: TextEncodingName): Encode {
  let e = encoders.get(encoding);
  if (!e) encoders.set(encoding, (e = makeEncoder(encoding)));
  return e;
}

const codePointLabel = (cp: number): string => 'U+' + cp.toString(16).toUpperCase().padStart(4, '0');

/** The error for a character (one code point) the encoding cannot hold, at `index` of the input. */
export function unencodableChar(ch: string, encoding: TextEncodingName, index: number): CodecResult {
  const cp = ch.codePointAt(0)!;
  const lone = cp >= 0xd800 && cp <= 0xdfff;
  const what = lone ? `a lone surrogate (${codePointLabel(cp)})` : `"${ch}" (${codePointLabel(cp)})`;
  return codecError('unencodable-char', index, ch, `${what} cannot be encoded in ${ENCODING_LABELS[encoding]}`);
}

/**
 * Text to bytes. A character the encoding cannot hold (or a lone surrogate)
 * is an 'unencodable-char' error at its index in `text` (plus `offset`, for a
 * caller encoding a piece of a longer input).
 */
export function encodeText(text: string, encoding: TextEncodingName, offset = 0): CodecResult {
  const encode = encoderOf(encoding);
  try {
    return { ok: true, bytes: encode(text) };
  } catch {
    // Find the first code point that fails alone (no listed encoding is stateful).
    for (let i = 0; i < text.length; ) {
      const cp = text.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      try {
        encode(ch);
      } catch {
        return unencodableChar(ch, encoding, offset + i);
      }
      i += ch.length;
    }
    return codecError('unencodable-char', offset, text.slice(0, 1), `the text cannot be encoded in ${ENCODING_LABELS[encoding]}`);
  }
}

/** Bytes to text, decoded as a stream: feed chunks in order; a character split between two of them comes out whole with the second. */
export interface StreamDecoder {
  /** The text completed by this chunk (bytes of an unfinished character wait for the next). */
  write(bytes: Uint8Array): string;
  /** Whatever is still waiting, as U+FFFD (the stream ended inside a character); the decoder starts afresh. */
  end(): string;
}

/**
 * A streaming decoder. Bytes that are not valid in the encoding become
 * U+FFFD (or, with `fatal`, throw); a byte order mark is kept as U+FEFF,
 * never swallowed, since it is part of what arrived.
 */
export function streamDecoder(encoding: TextEncodingName, fatal = false): StreamDecoder {
  if (encoding === 'latin1') {
    // Every byte is one character: nothing to carry between chunks.
    const decode = createSinglebyteDecoder('iso-8859-1', !fatal);
    return { write: (bytes) => decode(bytes), end: () => '' };
  }
  // UTF-8 and UTF-16LE: the platform's own decoder (every browser and Node has
  // them, ICU or not), several times faster on a stream than the library's.
  const d = encoding === 'utf-8' || encoding === 'utf-16le'
    ? new TextDecoder(encoding, { fatal, ignoreBOM: true })
    : new WhatwgDecoder(encoding, { fatal, ignoreBOM: true });
  return {
    write: (bytes) => d.decode(bytes, { stream: true }),
    end: () => d.decode(),
  };
}

const strictDecoders = new Map<TextEncodingName, (bytes: Uint8Array) => string>();

/** Bytes to text in one go: invalid bytes become U+FFFD, or with `fatal` throw a TypeError. */
export function decodeText(bytes: Uint8Array, encoding: TextEncodingName, fatal = false): string {
  if (!fatal) {
    const d = streamDecoder(encoding);
    return d.write(bytes) + d.end();
  }
  // Strict one-shot decoding runs per character when formatting bytes: make its decoder once.
  let decode = strictDecoders.get(encoding);
  if (!decode) {
    if (encoding === 'latin1') decode = createSinglebyteDecoder('iso-8859-1');
    else {
      const d = new WhatwgDecoder(encoding, { fatal: true, ignoreBOM: true });
      decode = (b) => d.decode(b);
    }
    strictDecoders.set(encoding, decode);
  }
  return decode(bytes);
}
