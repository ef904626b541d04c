// Blocking calls (accept, send, recvfrom, AF_UNIX connect) that the engine
// must not block in. The seed's three timeout modes map onto one helper:
// None waits, 0 fails at once with EAGAIN, a number fails with ETIMEDOUT
// after that long. A waiting call does not poll: it takes its place in the
// descriptor's line (first come, first served, as the kernel wakes blocked
// callers), and only the first in line waits, on the descriptor's readiness:
// a uv_poll watcher for a descriptor of this process (fdReadiness), the
// socket worker's watcher for one of its sockets. Where the kernel offers no
// readiness (an AF_UNIX connect to a full listener), the first in line tries
// again on a growing back-off. Sessions here and in the socket worker all
// wait through this file.
import { EngineError, fromSystemError } from '../core/errors.js';
import { native, type Watcher } from './native.js';

/** What the first waiter in line waits on. */
export interface Readiness {
  /** `ready` resolves when an attempt may succeed (rejects when the wait itself failed); `cancel` ends the wait early. */
  wait(remainingMs: number | null): { ready: Promise<void>; cancel(): void };
  /** Nobody waits any more: let go of what waiting held (a watcher, a duplicate descriptor). */
  idle?(): void;
}

export interface WaitOptions {
  timeoutMs: number | null;
  call: string;
  /** What "would block" means for this call, e.g. "no connection is waiting". */
  idle: string;
  /** False once the socket was closed under the waiting call. */
  stillValid: () => boolean;
  /** The descriptor's line; absent: the call waits alone, on a back-off (no readiness exists for it). */
  line?: WaitLine;
}

interface Place {
  /** Set while the place waits: called when it became first in line, or the line closed. */
  moved: (() => void) | null;
}

/** The calls waiting on one descriptor, served in order; only the first waits on its readiness. */
export class WaitLine {
  private readonly places: Place[] = [];
  private closed = false;
  /** Why waiting calls fail once the line closed (default: the socket was closed under them). */
  private closedWith: EngineError | undefined;

  constructor(private readonly readiness: Readiness) {}

  /** Whether calls are waiting (a newcomer then queues behind them instead of trying first). */
  get busy(): boolean {
    return this.places.length > 0;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The error a call gets for a closed line. */
  failure(call: string): EngineError {
    return this.closedWith ?? EngineError.state('EBADF', call, 'the socket was closed while the call waited');
  }

  /** The socket is gone (or no longer takes such calls: `why`): every waiting call wakes and fails, and the readiness is let go. */
  close(why?: EngineError): void {
    if (this.closed) return;
    this.closed = true;
    this.closedWith = why;
    for (const p of this.places) p.moved?.();
    this.readiness.idle?.();
  }

  enter(): Place {
    const p: Place = { moved: null };
    this.places.push(p);
    return p;
  }

  leave(p: Place): void {
    const at = this.places.indexOf(p);
    if (at < 0) return;
    this.places.splice(at, 1);
    if (at === 0) this.places[0]?.moved?.();
    if (this.places.length === 0) this.readiness.idle?.();
  }

  /** Waits until this place is first and its descriptor is ready ('go'), or the deadline passes, or the line closes. */
  async next(p: Place, deadline: number): Promise<'go' | 'timeout' | 'closed'> {
    for (;;) {
      if (this.closed) return 'closed';
      const left = deadline === Infinity ? null : deadline - Date.now();
      if (left !== null && left <= 0) return 'timeout';
      const wait = this.places[0] === p ? this.readiness.wait(left) : null;
      let timer: NodeJS.Timeout | undefined;
      const outcome = await new Promise<'go' | 'moved' | 'timeout' | { failed: unknown }>((resolve) => {
        if (left !== null) timer = setTimeout(() => resolve('timeout'), left);
        p.moved = () => resolve('moved');
        wait?.ready.then(() => resolve('go'), (e: unknown) => resolve({ failed: e }));
      }).finally(() => {
        clearTimeout(timer);
        p.moved = null;
        wait?.cancel();
      });
      if (typeof outcome === 'object') throw outcome.failed;
      if (outcome !== 'moved') return outcome;
      // moved: became first in line (or the line closed): look again, with what is left of the deadline.
    }
  }
}

/** Tries `attempt` (null: it would block) until it gives a value or the timeout says stop; waits in `o.line`. */
export async function waitFor<T>(attempt: () => T | null | Promise<T | null>, o: WaitOptions): Promise<T> {
  const line = o.line ?? new WaitLine(backoff());
  // First come, first served: a blocking call tries at once only when nobody waits before it.
  if (o.timeoutMs === 0 || !line.busy) {
    const got = await attempt();
    if (got !== null) return got;
  }
  if (o.timeoutMs === 0) throw EngineError.os('EAGAIN', o.call, `${o.idle} (non-blocking socket)`);
  const deadline = o.timeoutMs === null ? Infinity : Date.now() + o.timeoutMs;
  const place = line.enter();
  try {
    for (let misses = 0; ; ) {
      let outcome: 'go' | 'timeout' | 'closed';
      try {
        outcome = await line.next(place, deadline);
      } catch (e) {
        if (!o.stillValid()) throw line.failure(o.call);
        throw fromSystemError(e, o.call);
      }
      if (outcome === 'closed' || !o.stillValid()) throw line.failure(o.call);
      if (outcome === 'timeout') throw EngineError.os('ETIMEDOUT', o.call, `timed out after ${o.timeoutMs} ms: ${o.idle}`);
      const got = await attempt();
      if (got !== null) return got;
      // Ready, yet nothing to take (another process took it, or readiness that cannot tell, as an
      // unconnected AF_UNIX sendto's): a short pause, growing, so such a wait never spins.
      await pause(Math.min(2 ** misses++, 100));
    }
  } finally {
    line.leave(place);
  }
}

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Readiness of a descriptor of this process, through one uv_poll watcher
 * while calls wait (none otherwise). `dup`: watch a duplicate, for a
 * descriptor libuv itself polls (a net.Socket's, a dgram's); libuv allows
 * one poller per descriptor number. Without a free descriptor for the
 * duplicate, the wait falls back to a back-off rather than fail the call.
 */
export function fdReadiness(fd: number, events: 'r' | 'w', dup: boolean): Readiness {
  let watched: number | undefined;
  let watcher: Watcher | undefined;
  let waker: (() => void) | undefined;
  const fallback = backoff();
  const ensure = (): boolean => {
    if (watcher) return true;
    try {
      watched = dup ? native().dup(fd) : fd;
      watcher = native().watch(watched, events, () => {
        watcher?.update('');
        const wake = waker;
        waker = undefined;
        wake?.();
      });
      watcher.update('');
      return true;
    } catch {
      if (dup && watched !== undefined) native().close(watched);
      watched = undefined;
      return false;
    }
  };
  return {
    wait(remainingMs) {
      if (!ensure()) return fallback.wait(remainingMs);
      const ready = new Promise<void>((resolve) => (waker = resolve));
      watcher!.update(events);
      return {
        ready,
        cancel: () => {
          if (!waker) return;
          waker = undefined;
          watcher?.update('');
        },
      };
    },
    idle() {
      waker = undefined;
      watcher?.stop();
      watcher = undefined;
      if (dup && watched !== undefined) native().close(watched);
      watched = undefined;
    },
  };
}

/** No readiness to wait on: try again after 5, 10, 20 … up to 250 ms. */
export function backoff(): Readiness {
  let n = 0;
  return {
    wait(remainingMs) {
      const ms = Math.min(5 * 2 ** n++, 250, remainingMs ?? Infinity);
      let cancel = (): void => undefined;
      const ready = new Promise<void>((r) => {
        const timer = setTimeout(r, ms);
        cancel = () => clearTimeout(timer);
      });
      return { ready, cancel: () => cancel() };
    },
  };
}
