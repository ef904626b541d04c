// The workspace as the page sees it: which folder is open, the saved packets
// and the files that do not read (kept current by workspace.changed events),
// saving with conflict handling (a file changed on disk since it was listed
// is shown to the person, who keeps theirs, ours or both), delete with undo,
// sending, and "resend every N seconds". Main does every file operation; the
// page only calls.
import { defineStore } from 'pinia';
import { computed, reactive, ref, shallowRef } from 'vue';
import type { AnyEvent, Result } from '../../../shared/contract/index.js';
import { CallError } from '../../../shared/contract/index.js';
import type { SavedPacket } from '../../../shared/contract/workspace.js';
import { client } from '../bridge/client.js';
import { useSessions } from './sessions.js';

export type PacketEntry = Result<'packets.list'>['packets'][number];
export type FileProblem = Result<'packets.list'>['problems'][number];
export type WorkspaceInfo = Result<'workspace.info'>;
export type Conflict = Extract<Result<'packets.save'>, { ok: false }>['conflict'];
export type ImportReport = Result<'packets.import'>;

/** A save that met a changed file: what we wanted to write, where, and what is on disk. */
export interface PendingConflict {
  mine: SavedPacket;
  conflict: Conflict;
  /** The rev we had read (null: we were creating the file). */
  action: 'save' | 'remove';
}

/** The last deleted packet, for undo. */
export interface Deleted {
  packet: SavedPacket;
  file: string;
}

export const useWorkspace = defineStore('workspace', () => {
  const info = ref<WorkspaceInfo | null>(null);
  const packets = shallowRef<PacketEntry[]>([]);
  const problems = shallowRef<FileProblem[]>([]);
  const loaded = ref(false);
  const error = ref<string | null>(null);
  const conflict = ref<PendingConflict | null>(null);
  const lastDeleted = ref<Deleted | null>(null);
  /** File → resend timer state. */
  const resending = reactive(new Map<string, { everyS: number; session: number; sent: number; error?: string }>());
  const timers = new Map<string, ReturnType<typeof setInterval>>();
  let off: (() => void) | null = null;

  const byName = computed(() => new Map(packets.value.map((p) => [p.packet.name, p])));

  function handle(events: readonly AnyEvent[]): void {
    let changed = false;
    let reopened = false;
    for (const ev of events) {
      if (ev.name !== 'workspace.changed') continue;
      changed = true;
      if (ev.payload.reopened) reopened = true;
    }
    if (reopened) void loadInfo();
    if (changed) void load();
  }

  /** Subscribes once to workspace events and loads; safe to call from every component that needs it. */
  function start(): void {
    if (off) return;
    off = client().onBatch(handle);
    void loadInfo();
    void load();
  }

  async function loadInfo(): Promise<void> {
    try {
      info.value = await client().call('workspace.info', {});
    } catch (e) {
      error.value = message(e);
    }
  }

  async function load(): Promise<void> {
    try {
      const r = await client().call('packets.list', {});
      packets.value = r.packets;
      problems.value = r.problems;
      loaded.value = true;
      error.value = null;
    } catch (e) {
      error.value = message(e);
    }
  }

  /** Opens another folder (main checks the path); the list follows by event. */
  async function open(dir: string): Promise<void> {
    info.value = await client().call('workspace.open', { dir });
    await load();
  }

  /**
   * Saves a packet: `at` is the file and rev it was read from (absent: a new
   * file). A conflict is kept in `conflict` for the person to settle; the
   * call then answers null.
   */
  async function save(packet: SavedPacket, at?: { file: string; rev: string }): Promise<{ file: string; rev: string } | null> {
    const r = await client().call('packets.save', at ? { packet, file: at.file, rev: at.rev } : { packet });
    await load();
    if (r.ok) return { file: r.file, rev: r.rev };
    conflict.value = { mine: packet, conflict: r.conflict, action: 'save' };
    return null;
  }

  /** Settles the conflict: keep ours (overwrite what is on disk now), theirs (drop ours), or both (ours as a copy). */
  async function settle(choice: 'mine' | 'theirs' | 'both'): Promise<void> {
    const c = conflict.value;
    if (!c) return;
    conflict.value = null;
    if (choice === 'theirs') return load();
    if (choice === 'both') {
      await save({ ...c.mine, name: freeName(`${c.mine.name} (mine)`) });
      return;
    }
    if (c.action === 'remove') {
      if (c.conflict.diskRev !== null) await remove(entryOf(c.conflict.file, c.conflict.diskRev, c.mine));
      return;
    }
    const r = await client().call('packets.save', c.conflict.diskRev === null
      ? { packet: c.mine, file: c.conflict.file, rev: null }
      : { packet: c.mine, file: c.conflict.file, rev: c.conflict.diskRev });
    await load();
    if (!r.ok) conflict.value = { ...c, conflict: r.conflict };
  }

  const entryOf = (file: string, rev: string, packet: SavedPacket): PacketEntry => ({ file, rev, packet, sendable: true });

  /** A name no saved packet has: "x", "x 2", "x 3" … */
  function freeName(base: string): string {
    if (!byName.value.has(base)) return base;
    for (let n = 2; ; n++) if (!byName.value.has(`${base} ${n}`)) return `${base} ${n}`;
  }

  async function remove(e: PacketEntry): Promise<boolean> {
    stopResend(e.file);
    const r = await client().call('packets.remove', { file: e.file, rev: e.rev });
    await load();
    if (!r.ok) {
      conflict.value = { mine: e.packet, conflict: r.conflict, action: 'remove' };
      return false;
    }
    lastDeleted.value = { packet: e.packet, file: e.file };
    return true;
  }

  /** Brings the last deleted packet back (under a free name if its name was taken since). */
  async function undoDelete(): Promise<void> {
    const d = lastDeleted.value;
    if (!d) return;
    lastDeleted.value = null;
    await save({ ...d.packet, name: freeName(d.packet.name) });
  }

  async function rename(e: PacketEntry, name: string): Promise<boolean> {
    return (await save({ ...e.packet, name }, { file: e.file, rev: e.rev })) !== null;
  }

  async function duplicate(e: PacketEntry): Promise<{ file: string; rev: string } | null> {
    return save({ ...e.packet, name: freeName(`${e.packet.name} copy`) });
  }

  async function importText(text: string, fileName: string): Promise<ImportReport> {
    const r = await client().call('packets.import', { text, fileName });
    await load();
    return r;
  }

  /**
   * Sends into a session or as new; a new session is selected so its answer
   * shows. Returns the session id it went into (none for a raw send).
   */
  async function send(e: PacketEntry, into?: number): Promise<number | undefined> {
    const r = await client().call('packets.send', into === undefined ? { file: e.file } : { file: e.file, session: into });
    const id = r.session?.id;
    if (id !== undefined && into === undefined) {
      const sessions = useSessions();
      sessions.apply(r.session!);
      sessions.select(id);
    }
    return id;
  }

  /** Resends into `session` every `everyS` seconds until stopped, the session ends, or a send fails. */
  function startResend(e: PacketEntry, session: number, everyS: number): void {
    stopResend(e.file);
    const state = reactive({ everyS, session, sent: 0 as number, error: undefined as string | undefined });
    resending.set(e.file, state);
    const tick = async (): Promise<void> => {
      const current = packets.value.find((p) => p.file === e.file) ?? e;
      const s = useSessions().byId.get(session);
      if (!s || s.state === 'closed' || s.state === 'error') {
        state.error = 'session ended';
        stopResend(e.file, true);
        return;
      }
      try {
        await send(current, session);
        state.sent++;
      } catch (err) {
        state.error = message(err);
        stopResend(e.file, true);
      }
    };
    timers.set(e.file, setInterval(() => void tick(), everyS * 1000));
  }

  /** Stops a resend; `keep` leaves its state (and error) shown. */
  function stopResend(file: string, keep = false): void {
    clearInterval(timers.get(file));
    timers.delete(file);
    if (!keep) resending.delete(file);
  }

  return {
    info, packets, problems, loaded, error, conflict, lastDeleted, resending, byName,
    start, load, loadInfo, open, save, settle, remove, undoDelete, rename, duplicate, importText, send, startResend, stopResend, freeName,
  };
});

export const message = (e: unknown): string => (e instanceof CallError ? e.error.message : e instanceof Error ? e.message : String(e));
