// The packet crafter: the packet list being edited (small, reactive: what the
// person typed, per layer and field), templates (built in, and the
// workspace's raw packets: saved as their layer lines; templates an older
// version kept in localStorage are carried over once), and one send run at a time. What a run sends and hears
// lives in a bounded non-reactive ring (a version counter bumped once per
// event batch redraws the list): a flood costs one redraw per batch.
import { defineStore } from 'pinia';
import { computed, markRaw, reactive, ref, shallowRef, watch } from 'vue';
import type { AnyEvent, EventPayload, Params, Result } from '../../../shared/contract/index.js';
import { TEMPLATES, formatStack, parseLayers, parseStack, type Layer, type LayerKind, type ParseResult, type StackContext } from '../../../shared/packet/index.js';
import type { SavedPacket } from '../../../shared/contract/workspace.js';
import { client } from '../bridge/client.js';
import { Ring } from '../../../shared/ring.js';
import { isOurs, newRunRef } from '../lib/run-ref.js';
import { storageGet, storageSet } from '../lib/storage.js';
import { build, fromLayers, newUid, toLayers, type Built, type EditPacket } from '../components/craft/model.js';
import { useWorkspace, type PacketEntry } from './workspace.js';
import { summarize } from '../lib/packet-summary.js';

export type CraftSendParams = Params<'craft.send'>;
export type CraftSent = EventPayload<'craft.sent'>;
export type CraftReply = EventPayload<'craft.reply'>;
export type CraftDone = EventPayload<'craft.done'>;

export const RESULTS_MAX = 5_000;
/** Replies kept under one sent packet (a broadcast can answer many times). */
export const REPLIES_PER_SENT = 32;
const TEMPLATES_KEY = 'sockbench.craft.templates';

export interface ReplyRow {
  reply: CraftReply;
  parsed: ParseResult;
  summary: string;
}

/** One row of the results: a packet sent with the replies that answer it, or a reply no sent packet claims. */
export interface ResultRow {
  sent: CraftSent | null;
  summary: string;
  replies: ReplyRow[];
}

export interface SavedTemplate {
  name: string;
  /** Per packet, per layer: kind and the given text. */
  packets: { kind: LayerKind; given: Record<string, string> }[][];
}

export interface TemplateItem {
  id: string;
  name: string;
  description: string;
  builtin: boolean;
}

/** Templates an older version kept in localStorage (carried into the workspace once, then removed). */
function loadLegacy(): SavedTemplate[] {
  try {
    const v = JSON.parse(storageGet('local', TEMPLATES_KEY) ?? '[]') as unknown;
    if (!Array.isArray(v)) return [];
    return v.filter((t): t is SavedTemplate => typeof t === 'object' && t !== null && typeof (t as SavedTemplate).name === 'string' && Array.isArray((t as SavedTemplate).packets));
  } catch {
    return [];
  }
}

/** The layer lines of edited packets (as `sockbench craft` takes them), or the first problem. */
export function layerLines(packets: readonly EditPacket[]): { lines: string[] } | { error: string } {
  const lines: string[] = [];
  for (const [i, p] of packets.entries()) {
    const l = toLayers(p);
    if (!('layers' in l)) return { error: `packet ${i + 1}, layer ${l.layer + 1}, ${l.field}: ${l.message}` };
    lines.push(formatStack(l.layers));
  }
  return { lines };
}

/** A crafted packet list as a saved raw packet. */
export function rawPacket(name: string, packets: readonly EditPacket[], address: string, extra: Partial<SavedPacket> = {}): SavedPacket | { error: string } {
  const r = layerLines(packets);
  if ('error' in r) return r;
  const needsAddress = packets.some((p) => p[0] && p[0].kind !== 'ipv4' && p[0].kind !== 'ipv6');
  return { ...extra, name, protocol: 'raw', layers: r.lines, ...(needsAddress && address.trim() ? { target: address.trim() } : {}) };
}

type CraftEvent = Extract<AnyEvent, { name: 'craft.sent' | 'craft.reply' | 'craft.done' }>;
const isCraftEvent = (ev: AnyEvent): ev is CraftEvent => ev.name === 'craft.sent' || ev.name === 'craft.reply' || ev.name === 'craft.done';

export const useCraft = defineStore('craft', () => {
  // ---- the packet list being edited ----
  const packets = ref<EditPacket[]>(fromTemplate(TEMPLATES[0]!.packets));
  const current = ref(0);
  const template = ref<string>(`builtin:${TEMPLATES[0]!.name}`);
  /** The field whose bytes are highlighted: layer index and field name. */
  const selected = ref<{ layer: number; field: string } | null>(null);
  const packet = computed(() => packets.value[current.value] ?? packets.value[0]!);

  function fromTemplate(list: readonly Layer[][]): EditPacket[] {
    return list.map((p) => fromLayers(p));
  }

  /**
   * Where a stack without an IP layer goes (the send panel's address): its
   * TCP / UDP / ICMPv6 checksum covers a pseudo-header with these addresses.
   * The source is the loopback of that family: the kernel picks the real one
   * when sending (main computes the checksum again with it).
   */
  const address = ref('127.0.0.1');
  const context = computed<StackContext>(() => {
    const dst = address.value.trim();
    return { src: dst.includes(':') ? '::1' : '127.0.0.1', dst };
  });
  const builds = computed<Built[]>(() => packets.value.map((p) => build(p, context.value)));
  const built = computed(() => builds.value[current.value] ?? builds.value[0]!);
  /** The last bytes that built, per packet, so the hex stays in view while a field is wrong. */
  const lastGood = shallowRef<(Extract<Built, { ok: true }> | null)[]>([]);
  watch(builds, (bs) => {
    lastGood.value = bs.map((b, i) => (b.ok ? b : (lastGood.value[i] ?? null)));
  }, { immediate: true });
  const shown = computed(() => lastGood.value[current.value] ?? null);
  /** Checksum state per layer of the shown bytes (good / bad / unknown, null for none). */
  const checksums = computed(() => {
    const s = shown.value;
    if (!s || s.layers.length === 0) return [];
    return parseStack(s.bytes, s.layers[0]!.kind, context.value).checksums;
  });

  // ---- templates: the built-ins and the workspace's raw packets ----
  const workspace = useWorkspace();
  const savedEntries = computed<PacketEntry[]>(() => workspace.packets.filter((p) => p.packet.protocol === 'raw'));
  const saved = computed<SavedTemplate[]>(() => savedEntries.value.flatMap((e) => {
    const packets: SavedTemplate['packets'] = [];
    for (const line of e.packet.layers ?? []) {
      const r = parseLayers(line);
      if (!r.ok) return [];
      packets.push(fromLayers(r.layers).map((l) => ({ kind: l.kind, given: l.given })));
    }
    return [{ name: e.packet.name, packets }];
  }));
  const templates = computed<TemplateItem[]>(() => [
    ...TEMPLATES.map((t) => ({ id: `builtin:${t.name}`, name: t.name, description: t.description, builtin: true })),
    ...saved.value.map((t) => ({ id: `saved:${t.name}`, name: t.name, description: savedEntries.value.find((e) => e.packet.name === t.name)?.packet.notes ?? '', builtin: false })),
  ]);

  function useTemplate(id: string): void {
    const b = TEMPLATES.find((t) => `builtin:${t.name}` === id);
    const s = saved.value.find((t) => `saved:${t.name}` === id);
    if (b) packets.value = fromTemplate(b.packets);
    else if (s) packets.value = s.packets.map((p) => p.map((l) => ({ uid: newUid(), kind: l.kind, given: { ...l.given } })));
    else return;
    template.value = id;
    current.value = 0;
    selected.value = null;
  }

  /**
   * Saves the packet list as a workspace raw packet (replacing one of that
   * name). Resolves with an error message, or null when saved (a conflict is
   * left to the workspace's conflict prompt).
   */
  async function saveTemplate(name: string): Promise<string | null> {
    const existing = savedEntries.value.find((e) => e.packet.name === name);
    const p = rawPacket(name, packets.value, address.value, existing ? { tags: existing.packet.tags, notes: existing.packet.notes } : { tags: ['crafter'] });
    if ('error' in p) return p.error;
    if (workspace.byName.has(name) && !existing) return `a saved ${workspace.byName.get(name)!.packet.protocol} packet is already named "${name}"`;
    const r = await workspace.save(p, existing ? { file: existing.file, rev: existing.rev } : undefined);
    if (r) template.value = `saved:${name}`;
    return null;
  }

  async function deleteTemplate(name: string): Promise<void> {
    const e = savedEntries.value.find((x) => x.packet.name === name);
    if (e) await workspace.remove(e);
    if (template.value === `saved:${name}`) template.value = '';
  }

  /**
   * Templates kept in localStorage by an older version go into the workspace,
   * once: the key is removed only after every one of them is saved (one whose
   * name is taken by a different packet is saved as "name (crafter)").
   */
  async function migrateTemplates(): Promise<void> {
    const legacy = loadLegacy();
    if (legacy.length === 0) return;
    if (!workspace.loaded) await workspace.load();
    for (const t of legacy) {
      const edit = t.packets.map((p) => p.map((l) => ({ uid: newUid(), kind: l.kind, given: { ...l.given } })));
      const p = rawPacket(t.name, edit, address.value, { tags: ['crafter'], notes: 'carried over from the crafter\'s saved templates' });
      if ('error' in p) continue; // It never built: nothing a person could have used is lost.
      const twin = workspace.byName.get(t.name);
      if (twin && JSON.stringify(twin.packet.layers) === JSON.stringify(p.layers)) continue;
      const named = twin ? { ...p, name: workspace.freeName(`${t.name} (crafter)`) } : p;
      if (!(await workspace.save(named))) return;
    }
    storageSet('local', TEMPLATES_KEY, null);
  }

  /** Sets (text) or unsets (undefined: back to default / computed) a field of the packet being edited. */
  function setGiven(layer: number, field: string, text: string | undefined): void {
    const l = packet.value[layer];
    if (!l) return;
    if (text === undefined) delete l.given[field];
    else l.given[field] = text;
  }

  // ---- packets of the list ----
  function addPacket(): void {
    packets.value.push(packet.value.map((l) => ({ uid: newUid(), kind: l.kind, given: { ...l.given } })));
    current.value = packets.value.length - 1;
  }

  function removePacket(i: number): void {
    if (packets.value.length <= 1) return;
    packets.value.splice(i, 1);
    current.value = Math.min(current.value, packets.value.length - 1);
  }

  // ---- a send run ----
  const run = reactive({
    id: null as number | null,
    running: false,
    sent: 0,
    errors: 0,
    replies: 0,
    /** Rows the engine thinned out of a flood. */
    skipped: 0,
    done: null as CraftDone | null,
    /** True when some sent packet carried a checksum forced wrong (its silence is then expected). */
    forcedBad: false,
  });
  const results = markRaw(new Ring<ResultRow>(RESULTS_MAX));
  const byIndex = new Map<number, ResultRow>();
  const version = shallowRef(0);
  /** The packets of the run (as sent in the list), for the first layer kind of each. */
  let runFirst: LayerKind[] = [];

  /** The ref the current run was started with: its events carry it (they may come before its id). */
  let runRef: string | null = null;

  function resetRun(): void {
    results.replace([]);
    byIndex.clear();
    Object.assign(run, { sent: 0, errors: 0, replies: 0, skipped: 0, done: null, forcedBad: false });
    version.value++;
  }

  function handle(events: readonly AnyEvent[]): void {
    let changed = false;
    for (const ev of events) {
      if (!isCraftEvent(ev)) continue;
      if (!isOurs(ev.payload, runRef)) continue;
      apply(ev);
      changed = true;
    }
    if (changed) version.value++;
  }

  function parseSent(s: CraftSent): string {
    const first = runFirst[s.packet] ?? 'ipv4';
    return summarize(parseStack(s.bytes, first).layers);
  }

  function apply(ev: CraftEvent): void {
    switch (ev.name) {
      case 'craft.sent': {
        const s = ev.payload;
        if (s.error) run.errors++;
        run.sent++;
        if (s.skipped) {
          run.skipped += s.skipped;
          run.sent += s.skipped;
        }
        const row: ResultRow = { sent: s, summary: parseSent(s), replies: [] };
        results.push(row);
        byIndex.set(s.index, row);
        while (byIndex.size > RESULTS_MAX * 2) byIndex.delete(byIndex.keys().next().value!);
        return;
      }
      case 'craft.reply': {
        const r = ev.payload;
        run.replies++;
        if (r.skipped) run.replies += r.skipped;
        const parsed = parseStack(r.bytes, r.first);
        // The source is in its own column: the summary leaves the addresses out.
        const reply: ReplyRow = { reply: r, parsed, summary: summarize(parsed.layers, { addresses: false }) };
        const parent = r.answers === null ? undefined : byIndex.get(r.answers);
        if (parent) {
          if (parent.replies.length < REPLIES_PER_SENT) parent.replies.push(reply);
        } else results.push({ sent: null, summary: reply.summary, replies: [reply] });
        return;
      }
      case 'craft.done':
        run.done = ev.payload;
        run.sent = ev.payload.sent;
        run.errors = ev.payload.errors;
        run.replies = ev.payload.replies;
        run.running = false;
        return;
    }
  }

  async function start(params: CraftSendParams, call: (p: CraftSendParams) => Promise<Result<'craft.send'> | undefined>): Promise<boolean> {
    if (run.running && run.id !== null) await stop();
    resetRun();
    run.id = null;
    runRef = newRunRef('craft');
    run.running = true;
    runFirst = params.packets.map((p) => p[0]!.kind);
    run.forcedBad = builds.value.some((b) => b.ok && b.layers.some((l, i) => {
      if (l.kind !== 'icmp' && l.kind !== 'icmpv6' && l.kind !== 'tcp' && l.kind !== 'udp' && l.kind !== 'ipv4') return false;
      return parseStack(b.bytes, b.layers[0]!.kind, context.value).checksums[i] === 'bad';
    }));
    const r = await call({ ...params, ref: runRef });
    if (!r) {
      run.running = false;
      runRef = null;
      return false;
    }
    run.id = r.id;
    return true;
  }

  async function stop(): Promise<void> {
    if (run.id === null || !run.running) return;
    try {
      await client().call('craft.stop', { id: run.id });
    } catch {
      // already over
    }
  }

  /** The first layer of a sent packet (to parse or export its bytes). */
  const sentFirst = (packet: number): LayerKind => runFirst[packet] ?? 'ipv4';

  function clearResults(): void {
    resetRun();
  }

  let off: (() => void) | null = null;
  function attach(): void {
    if (off) return;
    off = client().onBatch(handle);
    workspace.start();
    void migrateTemplates().catch((e: unknown) => console.error('sockbench: carrying the crafter templates into the workspace failed; they stay in this browser', e));
  }

  return {
    packets, current, packet, template, address, context, selected, builds, built, shown, checksums,
    saved, templates, setGiven, useTemplate, saveTemplate, deleteTemplate, migrateTemplates, addPacket, removePacket,
    run, results, version, start, stop, clearResults, attach, handle, sentFirst,
  };
});
