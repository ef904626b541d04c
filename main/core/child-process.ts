// What the main process's clients of its two child processes share (the
// socket worker, main/engine/worker/socket-worker.ts, and the raw-socket
// helper, main/raw/raw-helper.ts): calls in flight matched to their replies,
// the handles the child holds open, the errors calls reject with, and the
// restart policy when the child dies. Each client keeps only what is its
// own: how bytes travel, its events, and (the helper) privilege.
import { replyProblem, type CallFailure, type ChildReply } from './child-wire.js';

/** A call the child (or the kernel behind it) refused: shaped like Node's system errors, so callers handle it as one. */
export class ChildCallError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string | undefined;
  constructor(e: CallFailure) {
    super(e.message);
    this.code = e.code;
    this.errno = e.errno;
    this.syscall = e.syscall;
  }
}

/** The child went away while the call was in flight; `code` says which child. */
export abstract class ChildDiedError extends Error {
  abstract readonly code: string;
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
  ) {
    super(message);
  }
}

/** What a client's `died` event reports. */
export interface ChildDiedInfo<H> {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The handles that were open in the dead child; their sockets are gone. */
  handles: H[];
  message: string;
}

/** A call in flight, until its reply comes or the child dies. */
export interface PendingCall<Op, H> {
  op: Op;
  handle: H | undefined;
  resolve(v: unknown): void;
  reject(e: Error): void;
}

/** A message from a child: one of its events, the reply to a call in flight, or a warning. */
export type ChildMessage<E, Op, H> = { event: E } | { reply: ChildReply; call: PendingCall<Op, H> } | { warning: Error };

/** How one client reads its child's replies. */
export interface ChildProtocol<E, Op extends string, H> {
  /** Starts each warning: "the raw helper". */
  sender: string;
  isEvent(m: unknown): m is E;
  /** What each op's result must look like. */
  resultChecks: Record<Op, (v: unknown) => boolean>;
  /** The error a refused call rejects with (each client names its own subclass). */
  refused(e: CallFailure): Error;
  /** The handle a successful result opened, if any (socket, accept, open …). */
  opened(op: Op, result: unknown): H | undefined;
  /** The op that closes a handle: it is forgotten even when close fails. */
  closeOp: Op;
}

/**
 * The calls in flight to one child and the handles open in it. Nothing a
 * child sends is trusted: a malformed event or reply, or a reply to no call
 * in flight, becomes a warning for the client to report, never a throw.
 */
export class ChildCalls<E, Op extends string, H> {
  private nextRid = 1;
  private readonly pending = new Map<number, PendingCall<Op, H>>();
  private readonly live = new Set<H>();

  constructor(private readonly protocol: ChildProtocol<E, Op, H>) {}

  /** Registers a call and hands its request id to `send`; the promise settles with the reply, or when the child dies. */
  start<R>(op: Op, handle: H | undefined, send: (rid: number) => void): Promise<R> {
    const rid = this.nextRid++;
    return new Promise<R>((resolve, reject) => {
      this.pending.set(rid, { op, handle, resolve: resolve as (v: unknown) => void, reject });
      send(rid);
    });
  }

  /** Sorts a message: an event, or a reply (its call settled here), or a warning. */
  receive(m: unknown): ChildMessage<E, Op, H> {
    const { sender } = this.protocol;
    if (typeof m === 'object' && m !== null && 'event' in m) {
      return this.protocol.isEvent(m) ? { event: m } : { warning: new Error(`${sender} sent a malformed event`) };
    }
    const problem = replyProblem(m);
    if (problem) return { warning: new Error(`${sender} sent a malformed reply: ${problem}`) };
    const reply = m as ChildReply;
    const call = reply.rid === null ? undefined : this.pending.get(reply.rid);
    if (!call) {
      const what = reply.ok ? `a reply to unknown request ${reply.rid}` : `an error for request ${reply.rid}: ${reply.error.message}`;
      return { warning: new Error(`${sender} sent ${what}`) };
    }
    this.pending.delete(reply.rid!);
    if (!reply.ok) call.reject(this.protocol.refused(reply.error));
    else if (!this.protocol.resultChecks[call.op](reply.result)) call.reject(new Error(`${sender} sent a malformed ${call.op} result`));
    else {
      const h = this.protocol.opened(call.op, reply.result);
      if (h !== undefined) this.live.add(h);
      call.resolve(reply.result);
    }
    if (call.op === this.protocol.closeOp && call.handle !== undefined) this.live.delete(call.handle);
    return { reply, call };
  }

  /** A handle the child opened on its own (an accepted connection). */
  adopt(h: H): void {
    this.live.add(h);
  }

  /** A handle the child closed on its own. */
  forget(h: H): void {
    this.live.delete(h);
  }

  handles(): H[] {
    return [...this.live];
  }

  /** Whether the child should keep the app alive: calls in flight or handles open. */
  get busy(): boolean {
    return this.pending.size > 0 || this.live.size > 0;
  }

  /** The child is gone: every call in flight rejects with `err`; returns the handles that were lost. */
  lost(err: Error): H[] {
    const handles = [...this.live];
    this.live.clear();
    const inFlight = [...this.pending.values()];
    this.pending.clear();
    for (const p of inFlight) p.reject(err);
    return handles;
  }
}

/**
 * When to start a child again after it died: at once if it had been ready,
 * with a growing back-off while it keeps dying before it is ready, and never
 * after `maxFailedStarts` such deaths in a row.
 */
export class Restarts {
  private failedStarts = 0;
  private wasReady = false;

  constructor(private readonly maxFailedStarts = 5) {}

  started(): void {
    this.wasReady = false;
  }

  ready(): void {
    this.wasReady = true;
    this.failedStarts = 0;
  }

  /** A fresh start by the user (not a restart): forget earlier failures. */
  reset(): void {
    this.failedStarts = 0;
  }

  get isReady(): boolean {
    return this.wasReady;
  }

  /** After a death: ms to wait before starting again, or null to give up (then `attempts` says how many failed). */
  afterDeath(): number | null {
    if (this.wasReady) return 0;
    if (++this.failedStarts >= this.maxFailedStarts) return null;
    return Math.min(5000, 100 * 2 ** this.failedStarts);
  }

  get attempts(): number {
    return this.failedStarts;
  }
}
