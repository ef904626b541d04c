// Sessions: the list (kept current by session.* events), which one is
// selected, and the engine's wall-clock origin for showing times.
import { defineStore } from 'pinia';
import { computed, reactive, ref } from 'vue';
import { CallError, type SessionInfo } from '../../../shared/contract/index.js';
import { client } from '../bridge/client.js';
import { patchInPlace, sameValue } from '../lib/patch.js';
import { storageGet, storageSet } from '../lib/storage.js';
import { atNextTick } from '../lib/view-clock.js';
import { useConnection } from './connection.js';
import { useLog } from './log.js';
import { useTrace } from './trace.js';

export interface SessionRow {
  session: SessionInfo;
  /** 0 for a top-level socket, 1 for a connection accepted by a listener above it. */
  depth: number;
}

const SELECTED_KEY = 'sockbench.selected';
/** Whether a newer copy differs from the one held in its counters only. */
function onlyCountersMoved(cur: SessionInfo, next: SessionInfo): boolean {
  for (const k of Object.keys(next) as (keyof SessionInfo)[]) if (k !== 'counters' && !sameValue(cur[k], next[k])) return false;
  return Object.keys(cur).length === Object.keys(next).length;
}

export const useSessions = defineStore('sessions', () => {
  const byId = reactive(new Map<number, SessionInfo>());
  const removed = new Set<number>();
  const historyRequested = new Set<number>();
  const selectedId = ref<number | null>(null);
  const epochMs = ref<number | null>(null);
  const loaded = ref(false);

  const selected = computed(() => (selectedId.value === null ? null : (byId.get(selectedId.value) ?? null)));

  /** Listeners first, each followed by the connections it accepted. */
  const rows = computed<SessionRow[]>(() => {
    const all = [...byId.values()].sort((a, b) => a.id - b.id);
    const children = new Map<number, SessionInfo[]>();
    const top: SessionInfo[] = [];
    for (const s of all) {
      if (s.parent !== undefined && byId.has(s.parent)) {
        let list = children.get(s.parent);
        if (!list) children.set(s.parent, (list = []));
        list.push(s);
      } else top.push(s);
    }
    const out: SessionRow[] = [];
    for (const s of top) {
      out.push({ session: s, depth: 0 });
      for (const c of children.get(s.id) ?? []) out.push({ session: c, depth: 1 });
    }
    return out;
  });

  /** Updates that moved only counters, waiting for the view clock (a flood moves them every batch). */
  const heldCounters = new Map<number, SessionInfo>();
  function applyHeld(): void {
    const held = [...heldCounters.values()];
    heldCounters.clear();
    for (const h of held) applyNow(h);
  }

  /** A newer copy of a session (event or reply). Counters alone are drawn at the view clock's pace; any other change at once. */
  function apply(info: SessionInfo): void {
    if (removed.has(info.id)) return;
    const cur = byId.get(info.id);
    if (cur && onlyCountersMoved(cur, info)) {
      heldCounters.set(info.id, info);
      atNextTick(applyHeld);
      return;
    }
    heldCounters.delete(info.id);
    applyNow(info);
  }

  /** Patched into the copy the views hold: only what changed re-renders. */
  function applyNow(info: SessionInfo): void {
    if (removed.has(info.id)) return;
    const cur = byId.get(info.id);
    if (cur) patchInPlace(cur, info);
    else byId.set(info.id, info);
  }

  function forget(id: number): void {
    removed.add(id);
    byId.delete(id);
    historyRequested.delete(id);
    useLog().forget(id);
    useTrace().forget(id);
    if (selectedId.value === id) selectedId.value = null;
  }

  async function load(): Promise<void> {
    try {
      const r = await client().call('session.list', {});
      epochMs.value = r.epochMs;
      // The list is at least as new as any event that arrived before it.
      for (const s of r.sessions) apply(s);
      loaded.value = true;
      const remembered = Number(storageGet('session', SELECTED_KEY));
      if (selectedId.value === null && byId.has(remembered)) select(remembered);
    } catch (e) {
      useConnection().loadError = e instanceof Error ? e.message : String(e);
    }
  }

  function select(id: number | null): void {
    selectedId.value = id;
    if (id === null) {
      storageSet('session', SELECTED_KEY, null);
      return;
    }
    storageSet('session', SELECTED_KEY, String(id));
    void loadHistory(id);
  }

  /** Past trace and data for a session, once (a browser reload shows what happened before it). */
  async function loadHistory(id: number): Promise<void> {
    if (historyRequested.has(id)) return;
    historyRequested.add(id);
    try {
      const h = await client().call('session.history', { id });
      if (removed.has(id)) return;
      useLog().mergeHistory(id, h.data, h.droppedBytes);
      useTrace().mergeHistory(id, h.trace);
    } catch (e) {
      historyRequested.delete(id);
      if (!(e instanceof CallError && e.code === 'NO_SUCH_SESSION')) console.error('sockbench: history failed', e);
    }
  }

  return { byId, rows, selectedId, selected, epochMs, loaded, apply, forget, load, select, loadHistory };
});
