// Events leave main in batches (one per interval), stay binary, and are
// bounded: when the receiver cannot keep up, data events are dropped and
// counted (session.dropped), session.updated events are coalesced to the
// latest per session, and counters stay exact because they travel in
// session.updated, never derived from the data that got through.
import type { AnyEvent, EventPayload } from '../../shared/contract/index.js';

export interface BatcherOptions {
  /** Flush interval in ms (one batch per frame at 60 Hz by default). */
  intervalMs: number;
  /** Data bytes one batch may carry; beyond that data is dropped and counted. */
  maxBatchDataBytes: number;
  /** True while the transport's own send buffer is full (e.g. ws.bufferedAmount is high). */
  congested: () => boolean;
}

const defaults: BatcherOptions = {
  intervalMs: 16,
  maxBatchDataBytes: 1024 * 1024,
  congested: () => false,
};

export class EventBatcher {
  private readonly options: BatcherOptions;
  private queue: AnyEvent[] = [];
  private updates = new Map<number, EventPayload<'session.updated'>>();
  private dropped = new Map<number, { bytes: number; chunks: number }>();
  private dataBytes = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(
    private readonly sink: (events: AnyEvent[]) => void,
    options: Partial<BatcherOptions> = {},
  ) {
    this.options = { ...defaults, ...options };
  }

  push(ev: AnyEvent): void {
    if (this.closed) return;
    if (ev.name === 'session.updated') {
      this.updates.set(ev.payload.id, ev.payload);
    } else if (ev.name === 'session.data') {
      const n = ev.payload.bytes.byteLength;
      if (this.dataBytes + n > this.options.maxBatchDataBytes || this.options.congested()) {
        const d = this.dropped.get(ev.payload.id) ?? { bytes: 0, chunks: 0 };
        d.bytes += n;
        d.chunks++;
        this.dropped.set(ev.payload.id, d);
      } else {
        this.dataBytes += n;
        this.queue.push(ev);
      }
    } else {
      this.queue.push(ev);
    }
    this.timer ??= setTimeout(() => this.flush(), this.options.intervalMs);
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    for (const [id, d] of this.dropped) batch.push({ name: 'session.dropped', payload: { id, ...d } });
    for (const payload of this.updates.values()) batch.push({ name: 'session.updated', payload });
    this.queue = [];
    this.updates = new Map();
    this.dropped = new Map();
    this.dataBytes = 0;
    if (batch.length > 0 && !this.closed) this.sink(batch);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
