// Data log: per session, the bytes sent and received, in non-reactive ring
// buffers (capped by entries and bytes). A version counter, bumped once per
// event batch, tells the (virtualised) view to redraw.
import { defineStore } from 'pinia';
import { markRaw, reactive, shallowRef } from 'vue';
import type { DataEntry } from '../../../shared/contract/index.js';
import { Ring } from '../../../shared/ring.js';
import { atNextTick } from '../lib/view-clock.js';

export const LOG_MAX_ENTRIES = 5_000;
export const LOG_MAX_BYTES = 4 * 1024 * 1024;

export interface DropCounts {
  /** Bytes and chunks the bridge did not forward during a flood (counters stay exact). */
  floodBytes: number;
  floodChunks: number;
  /** Bytes the engine's own ring had already let go before this window loaded its history. */
  historyBytes: number;
}

export const useLog = defineStore('log', () => {
  /** Read by views directly (not through an action: it is called per row). */
  const rings = markRaw(new Map<number, Ring<DataEntry>>());
  const version = shallowRef(0);
  const drops = reactive(new Map<number, DropCounts>());
  /** Per session, where the view skipped entries: the sequence number of the entry after the gap → bytes skipped. */
  const gaps = markRaw(new Map<number, Map<number, number>>());
  /** Per session, the time of the last entry session.history returned. */
  const horizons = new Map<number, number>();

  function ring(id: number): Ring<DataEntry> {
    let r = rings.get(id);
    if (!r) rings.set(id, (r = markRaw(new Ring<DataEntry>(LOG_MAX_ENTRIES, LOG_MAX_BYTES, (e) => e.bytes.byteLength))));
    return r;
  }


  /** One batch of entries, one redraw (a store action per entry would cost more than the entry). */
  function addMany(entries: readonly DataEntry[]): void {
    for (const entry of entries) {
      // Events trail replies by up to a batch: an entry at or before the
      // history's last one is already in the ring.
      const h = horizons.get(entry.id);
      if (h !== undefined && entry.tUs <= h) continue;
      ring(entry.id).push(entry);
    }
    if (entries.length > 0) version.value++;
  }

  function bump(): void {
    version.value++;
  }

  function dropsOf(id: number): DropCounts {
    let d = drops.get(id);
    if (!d) {
      drops.set(id, { floodBytes: 0, floodChunks: 0, historyBytes: 0 });
      d = drops.get(id)!;
    }
    return d;
  }

  /** Skips counted since the view clock last drew them (a flood skips some in every batch). */
  const heldDrops = new Map<number, { bytes: number; chunks: number }>();
  function applyHeldDrops(): void {
    for (const [id, h] of heldDrops) {
      const d = dropsOf(id);
      d.floodBytes += h.bytes;
      d.floodChunks += h.chunks;
    }
    heldDrops.clear();
  }

  /** Entries the bridge skipped: marked in the ring now, the count shown at the view clock's pace. */
  function noteDropped(id: number, bytes: number, chunks: number): void {
    const h = heldDrops.get(id);
    if (h) {
      h.bytes += bytes;
      h.chunks += chunks;
    } else heldDrops.set(id, { bytes, chunks });
    atNextTick(applyHeldDrops);
    const r = ring(id);
    let g = gaps.get(id);
    if (!g) gaps.set(id, (g = new Map()));
    g.set(r.endSeq, (g.get(r.endSeq) ?? 0) + bytes);
    // Gaps before what the ring holds are of no use any more.
    if (g.size > 64) for (const seq of g.keys()) if (seq < r.firstSeq) g.delete(seq);
  }

  /** Bytes the view skipped just before the entry with sequence number seq, if any. */
  function gapBefore(id: number, seq: number): number | undefined {
    return gaps.get(id)?.get(seq);
  }

  /**
   * Merges session.history's data with what arrived live meanwhile. Live
   * entries older than the history are kept before it, newer ones after it;
   * the overlap comes from the history.
   */
  function mergeHistory(id: number, history: readonly DataEntry[], droppedBytes: number): void {
    if (droppedBytes > 0) dropsOf(id).historyBytes = droppedBytes;
    if (history.length === 0) return;
    const r = ring(id);
    const live = r.toArray();
    const first = history[0]!.tUs;
    const last = history[history.length - 1]!.tUs;
    horizons.set(id, Math.max(last, horizons.get(id) ?? -Infinity));
    r.replace([...live.filter((e) => e.tUs < first), ...history, ...live.filter((e) => e.tUs > last)]);
    bump();
  }

  function clear(id: number): void {
    const r = rings.get(id);
    if (r) r.replace([]);
    bump();
  }

  function forget(id: number): void {
    rings.delete(id);
    gaps.delete(id);
    drops.delete(id);
    heldDrops.delete(id);
    horizons.delete(id);
    bump();
  }

  return { rings, version, drops, addMany, bump, noteDropped, gapBefore, mergeHistory, clear, forget };
});
