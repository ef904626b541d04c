// A ring buffer bounded by count and bytes, so a flood never grows memory
// without limit; what falls off is counted, not forgotten silently. The
// engine keeps each session's data in one; the renderer's stores keep logs
// and traces in them, non-reactive (markRaw, one version bump per batch), so
// a flood costs one redraw per batch, not one per entry.

export class Ring<T> {
  private buf: (T | undefined)[];
  private head = 0;
  /** Entries held now. */
  length = 0;
  /** Absolute sequence number of entry 0 (grows as old entries are evicted). */
  firstSeq = 0;
  /** Sum of sizeOf() over the entries held. */
  bytes = 0;
  /** Entries and bytes pushed out to respect the caps. */
  evictedEntries = 0;
  evictedBytes = 0;

  constructor(
    readonly maxEntries: number,
    readonly maxBytes = Infinity,
    private readonly sizeOf: (item: T) => number = () => 0,
  ) {
    if (!(maxEntries >= 1)) throw new RangeError('a ring needs room for at least one entry');
    this.buf = new Array<T | undefined>(Math.min(maxEntries, 1024));
  }

  /** Absolute sequence number one past the newest entry. */
  get endSeq(): number {
    return this.firstSeq + this.length;
  }

  push(item: T): void {
    const size = this.sizeOf(item);
    while (this.length > 0 && (this.length >= this.maxEntries || this.bytes + size > this.maxBytes)) this.shift();
    if (this.length === this.buf.length) this.grow();
    this.buf[(this.head + this.length) % this.buf.length] = item;
    this.length++;
    this.bytes += size;
  }

  /** The i-th entry held (0 = oldest), or undefined. */
  at(i: number): T | undefined {
    if (i < 0 || i >= this.length) return undefined;
    return this.buf[(this.head + i) % this.buf.length];
  }

  /** The entry with absolute sequence number seq, if still held. */
  bySeq(seq: number): T | undefined {
    return this.at(seq - this.firstSeq);
  }

  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const item = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) % this.buf.length;
    this.length--;
    this.firstSeq++;
    const size = item === undefined ? 0 : this.sizeOf(item);
    this.bytes -= size;
    this.evictedEntries++;
    this.evictedBytes += size;
    return item;
  }

  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.length; i++) out.push(this.at(i)!);
    return out;
  }

  /** Replaces the contents (e.g. after merging history); eviction counters keep counting. */
  replace(items: readonly T[]): void {
    const firstSeq = this.firstSeq;
    this.buf = new Array<T | undefined>(Math.min(this.maxEntries, Math.max(1024, items.length)));
    this.head = 0;
    this.length = 0;
    this.bytes = 0;
    this.firstSeq = firstSeq;
    for (const it of items) this.push(it);
  }

  private grow(): void {
    const next = new Array<T | undefined>(Math.min(this.maxEntries, this.buf.length * 2));
    for (let i = 0; i < this.length; i++) next[i] = this.buf[(this.head + i) % this.buf.length];
    this.buf = next;
    this.head = 0;
  }
}
