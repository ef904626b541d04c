// A flood of echo requests run inside the helper (imported by sockets.ts):
// the app asks once, the helper sends `count` copies of the first request
// with the sequence counted up, flat out or on an absolute schedule, and
// reports send stamps and the target's echo replies in batches. One request
// for the whole flood is what lets it reach hping3's rate: a round trip to
// the app per probe caps it at a few thousand a second.
// The echo and checksum modules of the codecs import no codec table: the helper stays small.
import { setEchoSequence } from '../../shared/packet/echo.js';
import { checksumValid } from '../../shared/packet/checksum.js';
import { FLOOD_BATCH, SPIN_UP_TO_US, type FloodArgs, type FloodResult, type CallFailure } from './helper-protocol.js';

/** What a flood needs from its socket. */
export interface FloodSocket {
  family: 4 | 6;
  /** Sends one packet; `stamp` runs right before the syscall (or is given the time taken there), `done` after it (in order). */
  send(bytes: Buffer, stamp: (tUs?: number) => void, done: (error: CallFailure | null) => void): void;
  /**
   * Sends up to `n` copies of `template` with the sequence counted up from
   * `firstSeq` in one native call (sockbench_stamp's floodSend), each stamped
   * into `stampsUs` (NaN: that one failed with `error`); `sent` counts those
   * stamped. `again`: the kernel's buffer was full (the rest was not sent).
   */
  sendMany?(template: Buffer, firstSeq: number, n: number, stampsUs: Float64Array): { sent: number; error: CallFailure | null; again: boolean };
  /**
   * Sends `count` copies of `template` (sequence counted up from `firstSeq`)
   * every `intervalUs` from a thread of their own (sockbench_stamp's
   * pacedSend), spinning between sends when the gap is at most `spinUs`.
   * `sink` gets their stamps in batches (NaN: that send failed; `error`: the
   * first failure of the batch) and `ended` once with the last. Returns the
   * thread's stop, or the failure that kept it from starting.
   */
  sendPaced?(template: Buffer, firstSeq: number, count: number, intervalUs: number, spinUs: number, sink: PacedSink): { stop(): void } | CallFailure;
}

export type PacedSink = (first: number, stampsUs: Float64Array, error: CallFailure | null, ended: boolean) => void;

export interface FloodSinks {
  now(): number;
  /** error: the first failed send among these (their stamps are NaN). */
  sent(first: number, tUs: Float64Array, error?: CallFailure): void;
  replies(records: Float64Array): void;
}

/** Sends per turn of the event loop: receiving must get its turns too. */
const SEND_TURN = 64;
/** The same with sendMany, whose sends cost no JavaScript each (the replies are read in C too). */
const SEND_MANY_TURN = 128;
/** Waits longer than this use a timer; shorter ones spin on setImmediate (a timer is ≥ 1 ms). */
const TIMER_FROM_US = 1500;

export class Flood {
  readonly identifier: number;
  /** The first echo request, ICMP header first. */
  readonly template: Buffer;
  private readonly seq0: number;
  private queued = 0;
  private done = 0;
  private errors = 0;
  private firstError: CallFailure | null = null;
  private stopped = false;
  private finished = false;
  private t0 = 0;
  private timer: ReturnType<typeof setTimeout> | ReturnType<typeof setImmediate> | undefined;
  private stamps: number[] = [];
  private stampsFirst = 0;
  /** The first failed send among `stamps`. */
  private stampsError: CallFailure | null = null;
  /** The thread sending a paced flood (sendPaced), until it has ended. */
  private paced: { stop(): void } | null = null;
  private pendingStamp = 0;
  private replies: number[] = [];
  private flushing = false;
  private readonly manyStamps = new Float64Array(SEND_MANY_TURN);

  constructor(
    private readonly sock: FloodSocket,
    private readonly args: FloodArgs,
    private readonly sinks: FloodSinks,
    private readonly end: (r: FloodResult) => void,
  ) {
    this.template = Buffer.from(args.bytes);
    this.identifier = this.template.readUInt16BE(4);
    this.seq0 = this.template.readUInt16BE(6);
  }

  get address(): string {
    return this.args.address;
  }

  start(): void {
    this.t0 = this.sinks.now();
    if (this.args.intervalUs > 0 && this.sock.sendPaced && this.startPaced()) return;
    this.tick();
  }

  stop(): void {
    this.stopped = true;
    this.paced?.stop(); // it ends, and finishes the flood, before its next send
    this.finishIfDone();
  }

  /** The socket is gone: sends still queued in it will never complete. */
  abort(): void {
    this.stopped = true;
    this.paced?.stop();
    this.paced = null;
    this.queued = this.done;
    this.finishIfDone();
  }

  /** Hands the schedule to a sending thread; false when it could not start (the event loop paces instead). */
  private startPaced(): boolean {
    const { count, intervalUs } = this.args;
    const paced = this.sock.sendPaced!(this.template, this.seq0, count, intervalUs, intervalUs <= SPIN_UP_TO_US ? intervalUs : 0, (first, stampsUs, error, ended) => {
      if (this.finished) return;
      if (stampsUs.length) {
        if (this.stamps.length === 0) this.stampsFirst = first;
        for (let k = 0; k < stampsUs.length; k++) this.stamps.push(stampsUs[k]!);
        this.noteError(error, stampsUs.reduce((n, t) => n + (Number.isNaN(t) ? 1 : 0), 0));
        this.queued = this.done = first + stampsUs.length;
        if (this.stamps.length >= FLOOD_BATCH) this.flush();
        else this.flushSoon();
      }
      if (!ended) return;
      this.paced = null;
      this.stopped ||= this.done < count;
      this.finishIfDone();
    });
    if ('stop' in paced) {
      this.paced = paced;
      return true;
    }
    return false;
  }

  private noteError(error: CallFailure | null, failed: number): void {
    if (!error) return;
    this.errors += failed;
    this.firstError ??= error;
    this.stampsError ??= error;
  }

  /** An echo reply read on the flood's socket: kept when it is the flood's and came back as sent; false lets the caller forward it. */
  offerReply(icmp: Buffer, ttl: number, from: string, tUs: number): boolean {
    if (from !== this.args.address || icmp.byteLength !== this.template.byteLength) return false;
    if (icmp.readUInt16BE(4) !== this.identifier || icmp.compare(this.template, 8, this.template.byteLength, 8) !== 0) return false;
    if (this.sock.family === 4 && !checksumValid(icmp)) return false;
    this.addReply(icmp.readUInt16BE(6), tUs, ttl);
    return true;
  }

  /** An echo reply the native reader already matched to this flood (see FloodSocket.sendMany's counterpart in helper-sockets). */
  addReply(sequence: number, tUs: number, ttl: number): void {
    this.replies.push(sequence, tUs, ttl);
    if (this.replies.length >= FLOOD_BATCH * 3) this.flush();
    else this.flushSoon();
  }

  private tick(): void {
    this.timer = undefined;
    if (this.stopped) return this.finishIfDone();
    const { count, intervalUs } = this.args;
    if (this.sock.sendMany) this.sendBatch();
    else for (let n = 0; n < SEND_TURN && this.queued < count && !this.stopped; n++) {
      if (intervalUs > 0 && this.t0 + this.queued * intervalUs > this.sinks.now()) break;
      this.sendOne(this.queued++);
    }
    if (this.queued >= count) return this.finishIfDone();
    const waitUs = intervalUs > 0 ? this.t0 + this.queued * intervalUs - this.sinks.now() : 0;
    this.timer = waitUs >= TIMER_FROM_US ? setTimeout(() => this.tick(), Math.floor((waitUs - 500) / 1000)) : setImmediate(() => this.tick());
  }

  /** This turn's sends in one native call: as many as are due, up to SEND_MANY_TURN. */
  private sendBatch(): void {
    const { count, intervalUs } = this.args;
    let n = Math.min(SEND_MANY_TURN, count - this.queued);
    if (intervalUs > 0) n = Math.min(n, this.queued === 0 ? 1 : Math.floor((this.sinks.now() - this.t0) / intervalUs) + 1 - this.queued);
    if (n <= 0) return;
    const first = this.queued;
    const r = this.sock.sendMany!(this.template, (this.seq0 + first) & 0xffff, n, this.manyStamps);
    if (r.sent === 0) return;
    if (first === 0 && !Number.isNaN(this.manyStamps[0])) this.t0 = this.manyStamps[0]!; // the schedule counts from the first send
    if (this.stamps.length === 0) this.stampsFirst = this.done;
    for (let k = 0; k < r.sent; k++) this.stamps.push(this.manyStamps[k]!);
    this.noteError(r.error, 1);
    this.queued += r.sent;
    this.done += r.sent;
    if (this.stamps.length >= FLOOD_BATCH) this.flush();
    else this.flushSoon();
  }

  private sendOne(i: number): void {
    const b = Buffer.from(this.template); // raw-socket may hold it until the socket is writable
    setEchoSequence(b, (this.seq0 + i) & 0xffff, this.sock.family);
    this.sock.send(
      b,
      (tUs) => {
        this.pendingStamp = tUs ?? this.sinks.now();
        if (i === 0) this.t0 = this.pendingStamp; // the schedule counts from the first send
      },
      (error) => {
        if (this.finished) return;
        this.noteError(error, 1);
        if (this.stamps.length === 0) this.stampsFirst = this.done;
        this.stamps.push(error ? NaN : this.pendingStamp);
        this.done++;
        if (this.stamps.length >= FLOOD_BATCH) this.flush();
        else this.flushSoon();
        this.finishIfDone();
      },
    );
  }

  private flushSoon(): void {
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => this.flush());
  }

  /** Stamps before replies: a reply's probe must be known when it arrives. */
  private flush(): void {
    this.flushing = false;
    // At most FLOOD_BATCH stamps an event: a paced run's thread may hand over more at once.
    for (let at = 0; at < this.stamps.length; at += FLOOD_BATCH) {
      const chunk = Float64Array.from(this.stamps.length <= FLOOD_BATCH ? this.stamps : this.stamps.slice(at, at + FLOOD_BATCH));
      this.sinks.sent(this.stampsFirst + at, chunk, (this.stampsError && chunk.some(Number.isNaN) && this.stampsError) || undefined);
    }
    this.stamps = [];
    this.stampsError = null;
    if (this.replies.length) {
      this.sinks.replies(Float64Array.from(this.replies));
      this.replies = [];
    }
  }

  private finishIfDone(): void {
    if (this.finished || this.paced || this.done < this.queued || (!this.stopped && this.queued < this.args.count)) return;
    this.finished = true;
    clearTimeout(this.timer as ReturnType<typeof setTimeout>);
    clearImmediate(this.timer as ReturnType<typeof setImmediate>);
    this.flush();
    this.end({ sent: this.done - this.errors, errors: this.errors, stopped: this.queued < this.args.count, firstError: this.firstError });
  }
}
