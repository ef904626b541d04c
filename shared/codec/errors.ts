// Errors of the byte codecs. Each names where in the input it happened, so
// the composer can point at the culprit instead of refusing the whole text.

export type CodecErrorCode =
  | 'unknown-escape'
  | 'incomplete-escape'
  | 'odd-hex-digits'
  | 'bad-hex-digit'
  | 'bad-base64-char'
  | 'bad-base64-length'
  | 'bad-base64-padding'
  | 'unencodable-char';

export interface CodecError {
  code: CodecErrorCode;
  /** 0-based index into the input string (UTF-16 code units, as textarea selections count). */
  index: number;
  /** 1-based position a person reads: index + 1. */
  position: number;
  /** The offending text, e.g. "\q", "g", "6". */
  text: string;
  /** An English sentence naming the problem and its position. */
  message: string;
}

export type CodecResult = { ok: true; bytes: Uint8Array } | { ok: false; error: CodecError };

export function codecError(code: CodecErrorCode, index: number, text: string, what: string): { ok: false; error: CodecError } {
  return {
    ok: false,
    error: { code, index, position: index + 1, text, message: `${what} at position ${index + 1}` },
  };
}
