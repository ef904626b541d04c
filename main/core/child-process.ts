// What the main process's clients of its two child processes (the socket
// worker, main/engine/worker/client.ts, and the raw-socket helper,
// main/raw/client.ts) share: both send requests, match replies to calls in
// flight, and supervise the child, over protocols of the same shape (replies
// { rid, ok, result | error }, events { event, … }). The errors their calls
// reject with and the sorting of what the child sends are written here once,
// so that both clients behave alike; each names its own error subclasses (with
// their own name and code) for callers to tell apart.
import type { Reply, WireError } from '../engine/worker/worker-protocol.js';

/** A call the child (or the kernel behind it) refused: shaped like Node's system errors, so callers handle it as one. */
export class ChildCallError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string | undefined;
  constructor(e: WireError) {
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

/** A message from a child: one of its events, the reply to a call in flight (now taken off `pending`), or a warning. */
export type ChildMessage<E, P> = { event: E } | { reply: Reply; call: P } | { warning: Error };

/**
 * Sorts a message from a child. Nothing a child sends is trusted: a malformed
 * event or reply, or a reply to no call in flight, becomes a warning for the
 * client to report, not a throw. `sender` starts each warning ("the raw helper").
 */
export function sortChildMessage<E, P>(
  m: unknown,
  sender: string,
  checks: { isEvent(m: unknown): m is E; replyProblem(m: unknown): string | null },
  pending: Map<number, P>,
): ChildMessage<E, P> {
  if (typeof m === 'object' && m !== null && 'event' in m) {
    return checks.isEvent(m) ? { event: m } : { warning: new Error(`${sender} sent a malformed event`) };
  }
  const problem = checks.replyProblem(m);
  if (problem) return { warning: new Error(`${sender} sent a malformed reply: ${problem}`) };
  const reply = m as Reply;
  const call = reply.rid === null ? undefined : pending.get(reply.rid);
  if (!call) {
    const what = reply.ok ? `a reply to unknown request ${reply.rid}` : `an error for request ${reply.rid}: ${reply.error.message}`;
    return { warning: new Error(`${sender} sent ${what}`) };
  }
  pending.delete(reply.rid!);
  return { reply, call };
}
