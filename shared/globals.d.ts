// shared/ runs in Node and in the browser, so it may use only what both have.
// These two exist in both; everything else of Node or the DOM is off limits.
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  decode(input?: Uint8Array, options?: { stream?: boolean }): string;
}
