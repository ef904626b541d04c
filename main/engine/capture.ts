// "Save received stream to a file" (the seed's makefile('rb') turned into a
// tool): while on, every byte a session receives is kept, in order, up to a
// limit, for the renderer to read back in chunks and save. Independent of the
// log's ring, which may drop bytes from the view during a flood.
export const CAPTURE_LIMIT = 256 * 1024 * 1024;

export class Capture {
  private chunks: Uint8Array[] = [];
  private offsets: number[] = [];
  bytes = 0;
  on = false;
  /** Bytes that arrived after the limit was reached (not kept). */
  overflow = 0;

  start(): void {
    this.chunks = [];
    this.offsets = [];
    this.bytes = 0;
    this.overflow = 0;
    this.on = true;
  }

  stop(): void {
    this.on = false;
  }

  add(b: Uint8Array): void {
    if (!this.on) return;
    const room = CAPTURE_LIMIT - this.bytes;
    if (room <= 0) {
      this.overflow += b.byteLength;
      return;
    }
    const kept = b.byteLength > room ? b.subarray(0, room) : b;
    this.overflow += b.byteLength - kept.byteLength;
    this.offsets.push(this.bytes);
    this.chunks.push(kept.slice()); // a copy: the receive buffer is reused by Node
    this.bytes += kept.byteLength;
  }

  /** Bytes [offset, offset + length) of what was captured. */
  read(offset: number, length: number): Uint8Array {
    const end = Math.min(this.bytes, offset + length);
    if (offset >= end) return new Uint8Array(0);
    const out = new Uint8Array(end - offset);
    // First chunk that holds `offset`: binary search over the start offsets.
    let lo = 0;
    let hi = this.offsets.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.offsets[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    for (let i = lo, at = offset; at < end; i++) {
      const c = this.chunks[i]!;
      const from = at - this.offsets[i]!;
      const take = Math.min(c.byteLength - from, end - at);
      out.set(c.subarray(from, from + take), at - offset);
      at += take;
    }
    return out;
  }
}
