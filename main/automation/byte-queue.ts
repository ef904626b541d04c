// Bytes that arrived and are not taken yet, in one growing buffer (doubling,
// so a long message costs O(n) however many reads it came in).
export class ByteQueue {
  private buf = new Uint8Array(0);
  private start = 0;
  private end = 0;

  get length(): number {
    return this.end - this.start;
  }

  /** What is held, as a view (valid until the next push or take). */
  view(): Uint8Array {
    return this.buf.subarray(this.start, this.end);
  }

  push(chunk: Uint8Array): void {
    const held = this.length;
    if (this.end + chunk.byteLength > this.buf.byteLength) {
      const next = this.start > 0 && held + chunk.byteLength <= this.buf.byteLength
        ? this.buf
        : new Uint8Array(Math.max(held + chunk.byteLength, this.buf.byteLength * 2, 4096));
      if (next === this.buf) this.buf.copyWithin(0, this.start, this.end);
      else next.set(this.buf.subarray(this.start, this.end));
      this.buf = next;
      this.start = 0;
      this.end = held;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.byteLength;
  }

  /** Takes the first n bytes (a copy). */
  take(n: number): Uint8Array {
    const out = this.buf.slice(this.start, this.start + n);
    this.drop(n);
    return out;
  }

  /** Forgets the first n bytes. */
  drop(n: number): void {
    this.start += Math.min(n, this.length);
    if (this.start === this.end) this.start = this.end = 0;
  }
}
