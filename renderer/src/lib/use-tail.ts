// Keeps a log-like scroll view at its newest line while the person is there,
// and keeps what they are reading still when they have scrolled up, even as
// old entries fall out of the ring at the top.
import { onActivated, ref, type Ref } from 'vue';

/**
 * `bottom`: the scrollTop that shows the last line, when the caller knows it
 * without asking the layout (a virtual list does); null: read scrollHeight.
 */
export function useTail(el: Ref<HTMLElement | null>, bottom: () => number | null = () => null) {
  const following = ref(true);

  /** The scroll position as of the last scroll event or write (reading it back would force a layout). */
  let lastTop = 0;

  /**
   * At the bottom: follow. Moved up: stop following. Content growing under a
   * programmatic scroll (a flood between two frames) is neither, so it does
   * not stop following.
   */
  function onScroll(): void {
    const e = el.value;
    if (!e) return;
    if (e.scrollTop + e.clientHeight >= e.scrollHeight - 8) following.value = true;
    else if (e.scrollTop < lastTop - 2) following.value = false;
    lastTop = e.scrollTop;
  }

  let pendingShift = 0;
  let scheduled = false;

  /**
   * Call after the list changed; shiftPx = height of entries evicted from the
   * top. Applied once per animation frame (before paint), however many
   * batches arrived meanwhile, and only when the view must move: a full ring
   * that is followed keeps its height, so its scroll position stays put.
   */
  function afterChange(shiftPx: number): void {
    pendingShift += shiftPx;
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      const shift = pendingShift;
      pendingShift = 0;
      const e = el.value;
      if (!e) return;
      if (following.value) {
        const target = bottom();
        if (target === null) e.scrollTop = e.scrollHeight;
        else if (Math.abs(target - lastTop) >= 1) e.scrollTop = target;
        else return;
      } else if (shift > 0) e.scrollTop = Math.max(0, lastTop - shift);
      else return;
      lastTop = e.scrollTop;
    });
  }

  function follow(): void {
    following.value = true;
    afterChange(0);
  }

  // A kept-alive view (a session shown again) comes back with its scrollers
  // at the top: the browser forgets their places while they are out of the
  // page. Back to where the reader was (a virtual list draws its rows there),
  // then on to the newest when following.
  onActivated(() => {
    const e = el.value;
    if (!e) return;
    e.scrollTop = lastTop;
    if (following.value) afterChange(0);
  });

  return { following, onScroll, afterChange, follow };
}
