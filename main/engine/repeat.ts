// Sending one message many times, as fast as the kernel takes it or paced at
// a given interval: the load-test half of a workbench. Each send is one
// sendto(2) on the descriptor; the schedule is absolute (packet i is due at
// t0 + i·interval), so a late tick catches up and the average rate holds.
// The event loop gets a turn every batch, so the app stays responsive.
import { nowUs } from '../core/clock.js';

/** At most this many sends per turn of the event loop. */
const BATCH = 512;

export interface RepeatPlan {
  count: number;
  /** 0 = as fast as the kernel takes them. */
  intervalUs: number;
  /** One send: bytes taken, or null when the kernel's buffer is full (EAGAIN). Throws on other errors. */
  sendOne: () => number | null;
  /** Called after each batch with what was sent in it. */
  progress: (sent: number, bytes: number) => void;
  cancelled: () => boolean;
}

export interface RepeatResult {
  sent: number;
  seconds: number;
  /** Sends that found the buffer full and were retried. */
  retries: number;
  stopped: 'done' | 'cancelled';
}

const wait = (us: number) => new Promise<void>((r) => (us >= 1000 ? setTimeout(r, Math.floor(us / 1000)) : setImmediate(r)));

export async function repeatSend(p: RepeatPlan): Promise<RepeatResult> {
  const t0 = nowUs();
  let sent = 0;
  let retries = 0;
  while (sent < p.count) {
    if (p.cancelled()) return { sent, seconds: (nowUs() - t0) / 1e6, retries, stopped: 'cancelled' };
    const due = p.intervalUs === 0 ? p.count : Math.min(p.count, Math.floor((nowUs() - t0) / p.intervalUs) + 1);
    let batch = 0;
    let bytes = 0;
    let full = false;
    while (sent < due && batch < BATCH) {
      const n = p.sendOne();
      if (n === null) {
        full = true;
        retries++;
        break;
      }
      sent++;
      batch++;
      bytes += n;
    }
    if (batch > 0) p.progress(batch, bytes);
    if (sent >= p.count) break;
    // Buffer full: give the kernel a moment. Paced: sleep until the next packet is due.
    const nextDue = p.intervalUs === 0 ? 0 : t0 + sent * p.intervalUs - nowUs();
    await wait(full ? 200 : Math.max(0, nextDue));
  }
  return { sent, seconds: (nowUs() - t0) / 1e6, retries, stopped: 'done' };
}
