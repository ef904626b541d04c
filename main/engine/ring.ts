// A ring of data entries bounded by count and bytes, so a flood never grows
// memory without limit. What falls off is counted, not forgotten silently.
export class BoundedRing<T extends { bytes: Uint8Array }> {
  private items: T[] = [];
  private head = 0;
  private bytes = 0;
  droppedBytes = 0;
  droppedEntries = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxBytes: number,
  ) {}

  push(item: T): void {
    this.items.push(item);
    this.bytes += item.bytes.byteLength;
    while (this.items.length - this.head > this.maxEntries || (this.bytes > this.maxBytes && this.items.length - this.head > 1)) {
      const old = this.items[this.head++]!;
      this.bytes -= old.bytes.byteLength;
      this.droppedBytes += old.bytes.byteLength;
      this.droppedEntries++;
    }
    // Compact now and then so the array does not grow with the head.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  toArray(): T[] {
    return this.items.slice(this.head);
  }

  get size(): number {
    return this.items.length - this.head;
  }
}
