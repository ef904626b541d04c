// Trace: per session, every socket call with its time, arguments and result
// or errno (strace for one socket). Non-reactive rings, a version counter.
import { defineStore } from 'pinia';
import { markRaw, shallowRef } from 'vue';
import type { TraceEntry } from '../../../shared/contract/index.js';
import { Ring } from '../../../shared/ring.js';

export const TRACE_MAX_ENTRIES = 5_000;

export const useTrace = defineStore('trace', () => {
  /** Read by views directly (not through an action: it is called per row). */
  const rings = markRaw(new Map<number, Ring<TraceEntry>>());
  const version = shallowRef(0);

  function ring(id: number): Ring<TraceEntry> {
    let r = rings.get(id);
    if (!r) rings.set(id, (r = markRaw(new Ring<TraceEntry>(TRACE_MAX_ENTRIES))));
    return r;
  }


  /** One batch of entries, one redraw. */
  function addMany(items: readonly { id: number; entry: TraceEntry }[]): void {
    for (const { id, entry } of items) {
      const r = ring(id);
      // Events trail replies by up to a batch: history may already hold this entry.
      const last = r.at(r.length - 1);
      if (last && entry.seq <= last.seq) continue;
      r.push(entry);
    }
    if (items.length > 0) version.value++;
  }

  function bump(): void {
    version.value++;
  }

  /** Trace entries carry a per-session seq, so merging is exact. */
  function mergeHistory(id: number, history: readonly TraceEntry[]): void {
    if (history.length === 0) return;
    const r = ring(id);
    const bySeq = new Map<number, TraceEntry>();
    for (const e of history) bySeq.set(e.seq, e);
    for (const e of r.toArray()) bySeq.set(e.seq, e);
    r.replace([...bySeq.values()].sort((a, b) => a.seq - b.seq));
    bump();
  }

  function forget(id: number): void {
    rings.delete(id);
    bump();
  }

  return { rings, version, addMany, bump, mergeHistory, forget };
});
