// The plumbing of a virtualised list over a Ring that grows at the bottom and
// drops its oldest entries at the top (DataLog, ping replies, raw packets,
// craft results), with the reader's place kept by useTail. Under a flood it
// costs one pass per batch over the visible rows only: row sizes are
// measured again only when they may have changed, the scroll position is
// written only when it must move, and nothing happens while the list is not
// shown (it catches up when it is).
import { useVirtualizer } from '@tanstack/vue-virtual';
import { computed, onActivated, onBeforeUnmount, onDeactivated, onMounted, ref, shallowRef, watch, type WatchSource } from 'vue';
import type { Ring } from '../../../shared/ring.js';
import { useTail } from './use-tail.js';
import { atNextTick, cancelTick } from './view-clock.js';
import { observeRectAfterLayout, scrollAfterMount } from './virtual-mount.js';

export interface RingListOptions {
  /** The Ring shown (undefined: nothing yet). */
  ring: () => Pick<Ring<unknown>, 'firstSeq' | 'length'> | undefined;
  /** Bumped by the store once per batch: the list syncs then. */
  version: WatchSource;
  /** Height of a closed row, px: rows that leave the top move the view up by this much each. */
  rowHeight: number;
  /** Height of row i, px (default rowHeight). */
  estimateSize?: (index: number) => number;
  overscan: number;
  /**
   * At each sync, before the count changes: rows below `firstSeq` have left
   * the ring; forget what refers to them and return the height they took
   * beyond rowHeight (an open row's hexdump), if any.
   */
  evicted?: (firstSeq: number) => number | void;
  /**
   * Whether rows may have changed height since the last sync (a row is open,
   * rows grow as replies arrive): only then are all sizes estimated again.
   * Default: never (fixed rows; a changed count is handled anyway).
   */
  remeasure?: () => boolean;
  /** False while the list is hidden (another view shows): it does nothing until shown again. */
  active?: () => boolean;
  /**
   * Redraws at the view clock's pace (lib/view-clock.ts), with the other
   * views a flood moves: under a flood a batch comes every frame, and laying
   * out every row again each frame took most of the page's time; nobody
   * reads faster than that. Default false: every batch.
   */
  onViewClock?: boolean;
  /** What redraws at once, not at the view clock (the session shown changed: a person clicked). */
  now?: WatchSource;
}

export function useRingList(o: RingListOptions) {
  const scrollEl = ref<HTMLElement | null>(null);
  const count = ref(0);
  /** Bumped at each sync: what the rows are computed from (not the store's version, which moves while hidden). */
  const synced = shallowRef(0);
  let firstSeq = 0;
  let stale = false;
  /** In a kept-alive view that is not shown (another session's view is). */
  let deactivated = false;

  const virtualizer = useVirtualizer(
    computed(() => ({
      count: count.value,
      getScrollElement: () => scrollEl.value,
      observeElementRect: observeRectAfterLayout,
      scrollToFn: scrollAfterMount,
      estimateSize: o.estimateSize ?? (() => o.rowHeight),
      overscan: o.overscan,
      getItemKey: (i: number) => (o.ring()?.firstSeq ?? 0) + i,
    })),
  );
  // Following: the last row's bottom at the viewport's bottom, from what the
  // virtualizer already knows (no layout read).
  const tail = useTail(scrollEl, () => {
    const height = virtualizer.value.scrollRect?.height;
    return height === undefined ? null : Math.max(0, virtualizer.value.getTotalSize() - height);
  });

  /** A sync now, or at the view clock's next tick (one, however many batches came). */
  function requestSync(): void {
    if (o.onViewClock) atNextTick(sync);
    else sync();
  }

  function sync(): void {
    if (deactivated || (o.active && !o.active())) {
      stale = true;
      return;
    }
    stale = false;
    const r = o.ring();
    const f = r?.firstSeq ?? 0;
    const shift = Math.max(0, f - firstSeq) * o.rowHeight + (o.evicted?.(f) ?? 0);
    firstSeq = f;
    count.value = r?.length ?? 0;
    if (o.remeasure?.()) virtualizer.value.measure();
    synced.value++;
    tail.afterChange(shift);
  }
  watch(o.version, requestSync);
  if (o.now) watch(o.now, sync);
  onBeforeUnmount(() => cancelTick(sync));
  if (o.active) watch(o.active, (shown) => shown && stale && sync());
  onMounted(sync);
  // In a KeepAlive'd view, catch up with what came while it was hidden.
  onDeactivated(() => (deactivated = true));
  onActivated(() => {
    deactivated = false;
    sync();
  });

  const total = computed(() => virtualizer.value.getTotalSize());
  return { scrollEl, count, synced, tail, virtualizer, total };
}
