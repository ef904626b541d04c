// The view clock slows down while its ticks make frames long (a flood
// redrawing every row), and speeds up again when they are cheap.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { atNextTick, SLOW_PERIOD_MS, VIEW_PERIOD_MS } from './view-clock.js';

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('view clock', () => {
  it('draws at most every 100 ms, every 200 ms after a tick that made its frame long, and at 100 ms again once ticks are cheap', () => {
    vi.useFakeTimers();
    let now = 1000;
    vi.spyOn(performance, 'now').mockImplementation(() => now);
    const frames: (() => void)[] = [];
    vi.stubGlobal('requestAnimationFrame', (cb: () => void) => frames.push(cb));
    const frame = () => frames.splice(0).forEach((cb) => cb());
    const drawn: string[] = [];

    atNextTick(() => drawn.push('a'));
    frame(); // the first change after a pause: the next frame
    expect(drawn).toEqual(['a']);
    now += 45; // that frame ended 45 ms after the tick began
    frame();

    atNextTick(() => drawn.push('b'));
    vi.advanceTimersByTime(VIEW_PERIOD_MS - 45);
    frame();
    expect(drawn, 'not at 100 ms after a costly tick').toEqual(['a']);
    vi.advanceTimersByTime(SLOW_PERIOD_MS - VIEW_PERIOD_MS);
    now = 1000 + SLOW_PERIOD_MS;
    frame();
    expect(drawn).toEqual(['a', 'b']);
    now += 17; // a cheap tick: its frame ended on time
    frame();

    atNextTick(() => drawn.push('c'));
    vi.advanceTimersByTime(VIEW_PERIOD_MS - 17);
    now = 1000 + SLOW_PERIOD_MS + VIEW_PERIOD_MS;
    frame();
    expect(drawn).toEqual(['a', 'b', 'c']);
  });
});
