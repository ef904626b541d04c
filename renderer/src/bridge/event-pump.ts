// Event batches from main are applied once per animation frame, however many
// arrived meanwhile: one pass through the stores and one redraw per frame,
// not per message. Each pass is acknowledged with the last batch's number,
// and main sends only a couple of batches ahead of that (it counts the data
// it holds back), so a page that falls behind is sent less, not queued more.
import type { AnyEvent } from '../../../shared/contract/index.js';

export type Schedule = (fn: () => void) => void;

/** The next animation frame, or 100 ms when none comes first (a hidden page gets no frames). */
export const nextFrame: Schedule = (fn) => {
  let done = false;
  const once = (): void => {
    if (done) return;
    done = true;
    fn();
  };
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(once);
  setTimeout(once, typeof requestAnimationFrame === 'function' ? 100 : 0);
};

export interface EventPump {
  /** A batch as it arrived, with its sequence number. */
  push(events: AnyEvent[], seq: number): void;
  /** Applies what is waiting now: a reply must not overtake the events main sent before it. */
  flush(): void;
}

export function createEventPump(deliver: (events: AnyEvent[]) => void, ack: (seq: number) => void, schedule: Schedule = nextFrame): EventPump {
  let waiting: AnyEvent[][] = [];
  let lastSeq = 0;
  let scheduled = false;

  const apply = (): void => {
    if (waiting.length === 0) return;
    const batches = waiting;
    waiting = [];
    try {
      deliver(batches.length === 1 ? batches[0]! : batches.flat());
    } finally {
      // Even when a store threw: main must not stop sending for good.
      ack(lastSeq);
    }
  };

  return {
    push(events, seq) {
      waiting.push(events);
      lastSeq = seq;
      if (scheduled) return;
      scheduled = true;
      schedule(() => {
        scheduled = false;
        apply();
      });
    },
    flush: apply,
  };
}
