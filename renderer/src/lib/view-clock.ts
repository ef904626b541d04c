// One clock for what a flood redraws: the log's rows, the conversation and
// the counters change together, in one frame at most every PERIOD_MS,
// instead of each on its own timer (which under a flood left hardly a frame
// without layout and paint). A quiet session is not kept waiting: the first
// change after a pause is drawn in the next frame.
import { nextFrame } from '../bridge/event-pump.js';

export const VIEW_PERIOD_MS = 100;

let last = -Infinity;
let scheduled = false;
const due = new Set<() => void>();

function run(): void {
  scheduled = false;
  last = performance.now();
  const fns = [...due];
  due.clear();
  for (const fn of fns) {
    try {
      fn();
    } catch (e) {
      // One view's error must not stop the others' redraws.
      console.error('sockbench: redraw failed', e);
    }
  }
}

/** Calls fn at the clock's next tick (once, however often it is asked for before then). */
export function atNextTick(fn: () => void): void {
  due.add(fn);
  if (scheduled) return;
  scheduled = true;
  const wait = last + VIEW_PERIOD_MS - performance.now();
  if (wait <= 0) nextFrame(run);
  else setTimeout(() => nextFrame(run), wait);
}

/** Forgets fn if it is waiting (its view is gone). */
export function cancelTick(fn: () => void): void {
  due.delete(fn);
}
