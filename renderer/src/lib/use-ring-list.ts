// The plumbing of a virtualised list over a Ring that grows at the bottom and
// drops its oldest entries at the top (DataLog, ping replies, raw packets,
// craft results): rows keyed by their sequence number, so a row keeps its key
// as older ones go, and the reader's place kept by useTail.
import { useVirtualizer } from '@tanstack/vue-virtual';
import { computed, onActivated, onMounted, ref, watch, type WatchSource } from 'vue';
import type { Ring } from '../../../shared/ring.js';
import { useTail } from './use-tail.js';

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
}

export function useRingList(o: RingListOptions) {
  const scrollEl = ref<HTMLElement | null>(null);
  const count = ref(0);
  const tail = useTail(scrollEl);
  let firstSeq = 0;

  const virtualizer = useVirtualizer(
    computed(() => ({
      count: count.value,
      getScrollElement: () => scrollEl.value,
      estimateSize: o.estimateSize ?? (() => o.rowHeight),
      overscan: o.overscan,
      getItemKey: (i: number) => (o.ring()?.firstSeq ?? 0) + i,
    })),
  );

  function sync(): void {
    const r = o.ring();
    const f = r?.firstSeq ?? 0;
    const shift = Math.max(0, f - firstSeq) * o.rowHeight + (o.evicted?.(f) ?? 0);
    firstSeq = f;
    count.value = r?.length ?? 0;
    virtualizer.value.measure();
    tail.afterChange(shift);
  }
  watch(o.version, sync);
  onMounted(sync);
  // In a KeepAlive'd view, catch up with what came while it was hidden.
  onActivated(sync);

  const total = computed(() => virtualizer.value.getTotalSize());
  return { scrollEl, count, tail, virtualizer, total };
}
