// Length-prefixed frames over a byte stream (the helper's stdin/stdout):
//   [u32 little-endian length][payload]
// payload = encodeFrame(message) of shared/contract/wire.ts, so bytes stay
// binary. A frame longer than the cap is skipped (its declared length is the
// only way to stay in step) and reported, never buffered.
import { decodeFrame, encodeFrame, FrameError } from '../../shared/contract/wire.js';

export type Chunk = { frame: Uint8Array } | { oversize: number };

export class FrameReader {
  private buf: Uint8Array = new Uint8Array(0);
  /** Bytes of an oversize frame still to be thrown away. */
  private skip = 0;

  constructor(private readonly maxFrame: number) {}

  /** Feeds bytes; returns the complete frames (and oversize notices) they finish. */
  push(chunk: Uint8Array): Chunk[] {
    // A plain view: Buffer#slice would share memory instead of copying.
    let data = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const out: Chunk[] = [];
    if (this.skip > 0) {
      const n = Math.min(this.skip, data.byteLength);
      this.skip -= n;
      data = data.subarray(n);
    }
    this.buf = this.buf.byteLength ? concat(this.buf, data) : data;
    let at = 0;
    while (this.buf.byteLength - at >= 4) {
      const len = new DataView(this.buf.buffer, this.buf.byteOffset + at, 4).getUint32(0, true);
      if (len > this.maxFrame) {
        out.push({ oversize: len });
        const have = Math.min(len, this.buf.byteLength - at - 4);
        at += 4 + have;
        this.skip = len - have;
        continue;
      }
      if (this.buf.byteLength - at - 4 < len) break;
      out.push({ frame: this.buf.slice(at + 4, at + 4 + len) });
      at += 4 + len;
    }
    // Keep only the unfinished tail (a copy, so the caller's chunk is not pinned).
    this.buf = at >= this.buf.byteLength ? new Uint8Array(0) : this.buf.slice(at);
    return out;
  }

  /** Bytes held for an unfinished frame. */
  get pending(): number {
    return this.buf.byteLength;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}

/** One message as a length-prefixed frame. */
export function frameOf(message: unknown): Uint8Array {
  const payload = encodeFrame(message);
  const out = new Uint8Array(4 + payload.byteLength);
  new DataView(out.buffer).setUint32(0, payload.byteLength, true);
  out.set(payload, 4);
  return out;
}

/**
 * decodeFrame with a cap on the JSON part: the JSON is where blob references
 * live, and each may copy the whole blob, so a small cap bounds the memory a
 * hostile frame can make us allocate. Throws FrameError only.
 */
export function decodePayload(payload: Uint8Array, maxJson: number): unknown {
  if (payload.byteLength >= 4) {
    const jsonLen = new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0);
    if (jsonLen > maxJson) throw new FrameError(`frame JSON is ${jsonLen} bytes; at most ${maxJson} allowed`);
  }
  return decodeFrame(payload);
}

export { FrameError };
