// Blocking calls (accept, send) on a descriptor that Node does not watch for
// us: try once, then look again every few ms until the session timeout. The
// seed's three timeout modes map onto it: None waits, 0 fails at once with
// EAGAIN, a number fails with ETIMEDOUT after that long.
import { EngineError } from '../core/errors.js';

export interface WaitOptions {
  timeoutMs: number | null;
  pollMs: number;
  call: string;
  /** What EAGAIN means for this call on a non-blocking socket. */
  idle: string;
  /** False once the socket was closed under the waiting call. */
  stillValid: () => boolean;
}

export function waitFor<T>(attempt: () => T | null, o: WaitOptions): Promise<T> {
  try {
    const now = attempt();
    if (now !== null) return Promise.resolve(now);
  } catch (e) {
    return Promise.reject(e);
  }
  if (o.timeoutMs === 0) return Promise.reject(EngineError.os('EAGAIN', o.call, o.idle));
  const deadline = o.timeoutMs === null ? Infinity : Date.now() + o.timeoutMs;
  return new Promise<T>((resolve, reject) => {
    const timer = setInterval(() => {
      try {
        if (!o.stillValid()) throw EngineError.state('EBADF', o.call, 'the socket was closed while the call waited');
        const got = attempt();
        if (got !== null) {
          clearInterval(timer);
          resolve(got);
        } else if (Date.now() >= deadline) {
          throw EngineError.os('ETIMEDOUT', o.call, `timed out after ${o.timeoutMs} ms`);
        }
      } catch (e) {
        clearInterval(timer);
        reject(e);
      }
    }, o.pollMs);
  });
}
