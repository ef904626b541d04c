// Events leave main in batches (one per interval), stay binary, and are
// bounded: when the receiver cannot keep up, data events are dropped and
// counted (session.dropped), session.updated events are coalesced to the
// latest per session, and counters stay exact because they travel in
// session.updated, never derived from the data that got through.
//
// Each batch carries a sequence number and the page acknowledges the batches
// it has applied. While `maxUnacked` batches wait for that, nothing more is
// sent: the next batch keeps filling up to its caps and data beyond them is
// only counted, updates coalesce, other events wait (up to `maxHeldEvents`),
// and it all goes out with the next acknowledgement. So a page that falls
// behind (or stops reading) costs main a bounded amount of memory, and
// replies never queue behind a backlog of data frames.
import type { AnyEvent, EventPayload } from '../../shared/contract/index.js';

export interface BatcherOptions {
  /** Flush interval in ms (one batch per frame at 60 Hz by default). */
  intervalMs: number;
  /** Data bytes one batch may carry; beyond that data is dropped and counted. */
  maxBatchDataBytes: number;
  /** Data events one batch may carry (a flood of small datagrams costs the page per entry, not per byte). */
  maxBatchDataEntries: number;
  /** Batches sent but not yet acknowledged before sending stops (Infinity: the receiver does not acknowledge). */
  maxUnacked: number;
  /** Data bytes sent but not yet acknowledged before sending stops: what a reply may have to wait behind. */
  maxUnackedBytes: number;
  /**
   * Data a page is sent per second, each entry costing its bytes plus
   * ENTRY_COST_BYTES, with one full batch as the burst; the rest is counted
   * as dropped. Infinity: no limit.
   */
  maxCostBytesPerSecond: number;
  /** And in the entries' own bytes, with the same burst. Infinity: no limit. */
  maxDataBytesPerSecond: number;
  /** The clock for that rate, ms. */
  now: () => number;
  /** Non-data events held while waiting for an acknowledgement before a batch is sent anyway. */
  maxHeldEvents: number;
  /** True while the transport's own send buffer is full (e.g. ws.bufferedAmount is high). */
  congested: () => boolean;
}

/** What the transports allow a page: batches sent but not yet applied, before main stops sending. */
export const MAX_UNACKED_BATCHES = 2;
/**
 * And data bytes: one full batch. A reply waits behind what was sent before
 * it, and a page under a TCP flood takes its time over a quarter MiB (two
 * full batches ahead put a form's answer 120 ms away; docs/BENCHMARKS.md).
 */
export const MAX_UNACKED_BYTES = 256 * 1024;

/**
 * What an entry costs a page beyond its bytes, counted as bytes: ~170, what a
 * session.data event took in a wire frame on its own (name, id, dir, time, a
 * UDP peer). A run of them is packed smaller on the WebSocket
 * (shared/contract/data-runs.ts), but each still costs the page a row.
 */
export const ENTRY_COST_BYTES = 170;

/**
 * And per second, after a first full batch: 3 MiB of cost (about 13,000
 * small datagrams) and 1 MiB of data. Each MiB a page is sent costs
 * Chromium's main thread 20-27 ms before any script runs (measured with a
 * bare page), and the page shows a few dozen rows; the session's own log in
 * main keeps what "save received" and pcapng need. 3 MiB of cost still shows
 * every datagram of 10k/s of 64 B (234 B of cost each, 640 KB/s of data); at
 * 50k/s, 2 MiB took the renderer from 62-66 % of a core to 55-57 %. A
 * stream's cost is nearly all its data, and 1 MiB/s of it is more than
 * anyone reads (docs/BENCHMARKS.md).
 */
export const MAX_PAGE_COST_PER_SECOND = 3 * 1024 * 1024;
// The log's "view skipped" hints quote it (renderer/src/i18n: droppedHint, viewSkippedHint).
export const MAX_PAGE_DATA_PER_SECOND = 1024 * 1024;

// A page shows a few dozen rows of a log that keeps 5,000 entries or 4 MiB:
// a quarter MiB or 500 entries per frame (30,000 a second) is more than
// anyone can read (at 50k datagrams/s, 2,000 per batch cost the page 25 ms a
// frame against 18 with 500: docs/BENCHMARKS.md), and
// everything beyond is counted (session.dropped) rather than framed, sent,
// decoded and thrown away.
const defaults: BatcherOptions = {
  intervalMs: 16,
  maxBatchDataBytes: 256 * 1024,
  maxBatchDataEntries: 500,
  maxUnacked: Infinity,
  maxUnackedBytes: Infinity,
  maxCostBytesPerSecond: Infinity,
  maxDataBytesPerSecond: Infinity,
  now: () => performance.now(),
  maxHeldEvents: 10_000,
  congested: () => false,
};

export class EventBatcher {
  private readonly options: BatcherOptions;
  private queue: AnyEvent[] = [];
  private updates = new Map<number, EventPayload<'session.updated'>>();
  private dropped = new Map<number, { bytes: number; chunks: number }>();
  private dataBytes = 0;
  private dataEntries = 0;
  private sentSeq = 0;
  private ackedSeq = 0;
  /** Data bytes of each batch sent and not yet acknowledged, oldest first. */
  private unacked: { seq: number; bytes: number }[] = [];
  private unackedBytes = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  /** What the per-second allowances (cost, data) still let through now. */
  private readonly costCredit: Allowance;
  private readonly dataCredit: Allowance;

  constructor(
    private readonly sink: (events: AnyEvent[], seq: number) => void,
    options: Partial<BatcherOptions> = {},
  ) {
    const o = (this.options = { ...defaults, ...options });
    // A quiet session's answer, up to one full batch, is sent whole however fast it comes.
    this.costCredit = new Allowance(o.maxCostBytesPerSecond, o.maxBatchDataBytes + ENTRY_COST_BYTES, o.now);
    this.dataCredit = new Allowance(o.maxDataBytesPerSecond, o.maxBatchDataBytes, o.now);
  }

  /** Takes an entry of `n` bytes from both per-second allowances, if both have it. */
  private spend(n: number): boolean {
    if (!this.costCredit.has(n + ENTRY_COST_BYTES) || !this.dataCredit.has(n)) return false;
    this.costCredit.take(n + ENTRY_COST_BYTES);
    this.dataCredit.take(n);
    return true;
  }

  /** True while the receiver has not acknowledged enough of what it was sent. */
  get waiting(): boolean {
    return this.sentSeq - this.ackedSeq >= this.options.maxUnacked || this.unackedBytes >= this.options.maxUnackedBytes;
  }

  push(ev: AnyEvent): void {
    if (this.closed) return;
    if (ev.name === 'session.updated') {
      this.updates.set(ev.payload.id, ev.payload);
    } else if (ev.name === 'session.data') {
      const n = ev.payload.bytes.byteLength;
      // Once a session's data was dropped from this batch, the rest of its data in the batch is too:
      // the batch says "dropped" after its data, so the page marks the gap where it was.
      if (
        this.dropped.has(ev.payload.id) ||
        this.dataBytes + n > this.options.maxBatchDataBytes ||
        this.dataEntries >= this.options.maxBatchDataEntries ||
        this.options.congested() ||
        !this.spend(n)
      ) {
        const d = this.dropped.get(ev.payload.id);
        if (d) {
          d.bytes += n;
          d.chunks++;
        } else this.dropped.set(ev.payload.id, { bytes: n, chunks: 1 });
      } else {
        this.dataBytes += n;
        this.dataEntries++;
        this.queue.push(ev);
      }
    } else {
      this.queue.push(ev);
    }
    this.timer ??= setTimeout(() => this.flush(), this.options.intervalMs);
  }

  /**
   * The receiver has applied every batch up to `seq`. Anything held for it
   * goes out now. Numbers beyond what was sent, or going backwards, change
   * nothing (the receiver is not trusted to count).
   */
  ack(seq: number): void {
    if (!Number.isSafeInteger(seq) || seq <= this.ackedSeq) return;
    const wasWaiting = this.waiting;
    this.ackedSeq = Math.min(seq, this.sentSeq);
    while (this.unacked.length > 0 && this.unacked[0]!.seq <= this.ackedSeq) this.unackedBytes -= this.unacked.shift()!.bytes;
    if (wasWaiting && !this.waiting) this.flush();
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.closed || !this.pending()) return;
    if (this.waiting && this.queue.length < this.options.maxHeldEvents) return; // ack() sends it
    const batch = this.queue;
    for (const [id, d] of this.dropped) batch.push({ name: 'session.dropped', payload: { id, ...d } });
    for (const payload of this.updates.values()) batch.push({ name: 'session.updated', payload });
    ++this.sentSeq;
    if (this.dataBytes > 0 && this.options.maxUnackedBytes !== Infinity) {
      this.unacked.push({ seq: this.sentSeq, bytes: this.dataBytes });
      this.unackedBytes += this.dataBytes;
    }
    this.queue = [];
    this.updates = new Map();
    this.dropped = new Map();
    this.dataBytes = 0;
    this.dataEntries = 0;
    this.sink(batch, this.sentSeq);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private pending(): boolean {
    return this.queue.length > 0 || this.updates.size > 0 || this.dropped.size > 0;
  }
}

/** So many bytes a second, up to `burst` saved up (a token bucket). */
class Allowance {
  private credit: number;
  private at: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number,
  ) {
    this.credit = burst;
    this.at = now();
  }

  /** True if `cost` may go now (anything up to a burst, once the credit is full). */
  has(cost: number): boolean {
    if (this.perSecond === Infinity) return true;
    const now = this.now();
    this.credit = Math.min(this.burst, this.credit + ((now - this.at) * this.perSecond) / 1000);
    this.at = now;
    return this.credit >= Math.min(cost, this.burst);
  }

  take(cost: number): void {
    this.credit -= cost;
  }
}
