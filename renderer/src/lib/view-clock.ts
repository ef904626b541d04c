// One clock for what a flood redraws: the log's rows, the conversation and
// the counters change together, in one frame at most every PERIOD_MS,
// instead of each on its own timer (which under a flood left hardly a frame
// without layout and paint). A quiet session is not kept waiting: the first
// change after a pause is drawn in the next frame. A tick that made its
// frame long (a flood redraws every row of the log each time) makes the
// clock slower, up to SLOW_PERIOD_MS, until ticks are cheap again.
import { nextFrame } from '../bridge/event-pump.js';

export const VIEW_PERIOD_MS = 100;
/** The period while ticks are costly. */
export const SLOW_PERIOD_MS = 200;
/** A tick whose frame ends later than this after it began was costly (a frame is ~17 ms). */
const COSTLY_TICK_MS = 30;

let last = -Infinity;
let period = VIEW_PERIOD_MS;
let scheduled = false;
const due = new Set<() => void>();

/** The tick's cost as the page pays it: its script, the redraws it caused, style, layout and paint, up to the next frame. */
function weigh(start: number): void {
  if (typeof requestAnimationFrame !== 'function') return;
  requestAnimationFrame(() => {
    period = performance.now() - start > COSTLY_TICK_MS ? SLOW_PERIOD_MS : VIEW_PERIOD_MS;
  });
}

function run(): void {
  scheduled = false;
  last = performance.now();
  weigh(last);
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
  const wait = last + period - performance.now();
  if (wait <= 0) nextFrame(run);
  else setTimeout(() => nextFrame(run), wait);
}

/** Forgets fn if it is waiting (its view is gone). */
export function cancelTick(fn: () => void): void {
  due.delete(fn);
}
