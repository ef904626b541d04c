// Blocking calls (accept, send, AF_UNIX connect) that the engine must not
// block in: try once, then again every few ms until the session timeout.
// The seed's three timeout modes map onto it: None waits, 0 fails at once
// with EAGAIN, a number fails with ETIMEDOUT after that long. Sessions with
// their descriptor here and those in the socket worker both wait through it.
import { EngineError } from '../core/errors.js';

/** How often a waiting call looks again. */
export const WAIT_POLL_MS = 5;

export interface WaitOptions {
  timeoutMs: number | null;
  call: string;
  /** What "would block" means for this call, e.g. "no connection is waiting". */
  idle: string;
  /** False once the socket was closed under the waiting call. */
  stillValid: () => boolean;
}

/** Tries `attempt` (null: it would block) until it gives a value or the timeout says stop. */
export async function waitFor<T>(attempt: () => T | null | Promise<T | null>, o: WaitOptions): Promise<T> {
  const deadline = o.timeoutMs === null ? Infinity : Date.now() + o.timeoutMs;
  for (;;) {
    const got = await attempt();
    if (got !== null) return got;
    if (o.timeoutMs === 0) throw EngineError.os('EAGAIN', o.call, `${o.idle} (non-blocking socket)`);
    if (Date.now() >= deadline) throw EngineError.os('ETIMEDOUT', o.call, `timed out after ${o.timeoutMs} ms: ${o.idle}`);
    await new Promise((r) => setTimeout(r, WAIT_POLL_MS));
    if (!o.stillValid()) throw EngineError.state('EBADF', o.call, 'the socket was closed while the call waited');
  }
}
