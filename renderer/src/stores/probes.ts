// Probes: the privileged helper's status, one ping run, one traceroute and
// one raw socket at a time. Replies and packets live in non-reactive rings
// (a version counter bumped once per event batch redraws the lists); the
// chart's points in plain arrays; statistics come from the engine (exact
// even when a flood's replies are thinned out for the view).
import { defineStore } from 'pinia';
import { computed, markRaw, reactive, ref, shallowRef } from 'vue';
import type { AnyEvent, EventPayload, Params, Result } from '../../../shared/contract/index.js';
import { client } from '../bridge/client.js';
import { Ring } from '../../../shared/ring.js';
import { isOurs, newRunRef } from '../lib/run-ref.js';
import { storageGet, storageSet } from '../lib/storage.js';

export type RawStatus = Result<'raw.status'>;
export type PingReply = EventPayload<'ping.reply'>;
export type PingStats = EventPayload<'ping.stats'>['stats'];
export type TraceHop = EventPayload<'trace.hop'>;
export type RawPacket = EventPayload<'raw.packet'>;
export type PingParams = Params<'ping.start'>;
export type TraceParams = Params<'trace.start'>;
export type RawOpenParams = Params<'raw.open'>;

export const REPLIES_MAX = 10_000;
export const CHART_MAX = 5_000;
export const PACKETS_MAX = 5_000;
export const PACKETS_MAX_BYTES = 4 * 1024 * 1024;
/** The runs and raw socket this page started, so a reload can end them (nothing else could reach them). */
const ACTIVE_KEY = 'sockbench.probes.active';
/** Events for a run whose id the start call has not returned yet (it may trail them). */

export const emptyStats = (): PingStats => ({
  transmitted: 0, received: 0, duplicates: 0, errors: 0, late: 0, lossPct: 0,
  minUs: null, avgUs: null, maxUs: null, mdevUs: null, p50Us: null, p90Us: null, p99Us: null,
  histogram: [], elapsedMs: 0,
});

type ProbeEvent = Extract<AnyEvent, { name: 'ping.reply' | 'ping.stats' | 'trace.hop' | 'trace.done' | 'raw.packet' }>;

function isProbeEvent(ev: AnyEvent): ev is ProbeEvent {
  return ev.name === 'ping.reply' || ev.name === 'ping.stats' || ev.name === 'trace.hop' || ev.name === 'trace.done' || ev.name === 'raw.packet';
}

export const useProbes = defineStore('probes', () => {
  // ---- the helper's status ----
  const status = shallowRef<RawStatus | null>(null);
  const statusError = ref<string | null>(null);
  const elevating = ref(false);

  /** Raw sockets cannot be had now: the probe views explain why above their forms. */
  const blocked = computed(() => {
    const st = status.value?.status;
    return st === 'unprivileged' || st === 'declined' || st === 'failed';
  });

  async function refreshStatus(): Promise<void> {
    try {
      status.value = await client().call('raw.status', {});
      statusError.value = null;
    } catch (e) {
      statusError.value = e instanceof Error ? e.message : String(e);
    }
  }

  async function elevate(): Promise<void> {
    elevating.value = true;
    try {
      status.value = await client().call('raw.elevate', {});
      statusError.value = null;
    } catch (e) {
      statusError.value = e instanceof Error ? e.message : String(e);
    } finally {
      elevating.value = false;
    }
  }

  // ---- ping ----
  const ping = reactive({
    id: null as number | null,
    /** The ref the current run was started with: its events carry it (they may come before its id). */
    ref: null as string | null,
    running: false,
    target: '',
    flood: false,
    stats: emptyStats(),
    /** Why the run ended early, if it did. */
    error: null as string | null,
  });
  const replies = markRaw(new Ring<PingReply>(REPLIES_MAX));
  /** The RTT chart's points: sequence number and RTT in ms (null: timed out). */
  const chart = markRaw({ seq: [] as number[], rttMs: [] as (number | null)[] });
  const pingVersion = shallowRef(0);

  function resetPing(): void {
    replies.replace([]);
    chart.seq.length = 0;
    chart.rttMs.length = 0;
    ping.stats = emptyStats();
    ping.error = null;
    pingVersion.value++;
  }

  // ---- traceroute ----
  const trace = reactive({
    id: null as number | null,
    /** The ref the current run was started with: its events carry it (they may come before its id). */
    ref: null as string | null,
    running: false,
    target: '',
    mode: 'icmp' as 'icmp' | 'udp',
    hops: [] as TraceHop[],
    done: null as { reached: boolean; error?: string | undefined } | null,
  });

  // ---- raw socket ----
  const raw = reactive({
    id: null as number | null,
    /** The ref the current run was started with: its events carry it (they may come before its id). */
    ref: null as string | null,
    opened: null as RawOpenParams | null,
    /** Packets received but not forwarded to this view (rate limit during a flood). */
    skipped: 0,
  });
  const packets = markRaw(new Ring<RawPacket>(PACKETS_MAX, PACKETS_MAX_BYTES, (p) => p.bytes.byteLength));
  const rawVersion = shallowRef(0);

  // ---- events ----
  function handle(events: readonly AnyEvent[]): void {
    let pingChanged = false;
    let rawChanged = false;
    for (const ev of events) {
      if (ev.name === 'raw.status') {
        status.value = ev.payload;
        continue;
      }
      if (!isProbeEvent(ev)) continue;
      const r = apply(ev);
      if (r === 'ping') pingChanged = true;
      else if (r === 'raw') rawChanged = true;
    }
    if (pingChanged) pingVersion.value++;
    if (rawChanged) rawVersion.value++;
  }

  function apply(ev: ProbeEvent): 'ping' | 'trace' | 'raw' | 'unknown' {
    switch (ev.name) {
      case 'ping.reply': {
        if (!isOurs(ev.payload, ping.ref)) return 'unknown';
        replies.push(ev.payload);
        chart.seq.push(ev.payload.seq);
        chart.rttMs.push(ev.payload.rttUs === null ? null : ev.payload.rttUs / 1000);
        if (chart.seq.length > CHART_MAX * 2) {
          chart.seq.splice(0, chart.seq.length - CHART_MAX);
          chart.rttMs.splice(0, chart.rttMs.length - CHART_MAX);
        }
        return 'ping';
      }
      case 'ping.stats':
        if (!isOurs(ev.payload, ping.ref)) return 'unknown';
        ping.stats = ev.payload.stats;
        if (ev.payload.done) {
          ping.running = false;
          remember();
        }
        if (ev.payload.error !== undefined) ping.error = ev.payload.error;
        return 'ping';
      case 'trace.hop': {
        if (!isOurs(ev.payload, trace.ref)) return 'unknown';
        const at = trace.hops.findIndex((h) => h.ttl >= ev.payload.ttl);
        if (at === -1) trace.hops.push(ev.payload);
        else if (trace.hops[at]!.ttl === ev.payload.ttl) trace.hops[at] = ev.payload;
        else trace.hops.splice(at, 0, ev.payload);
        return 'trace';
      }
      case 'trace.done':
        if (!isOurs(ev.payload, trace.ref)) return 'unknown';
        trace.done = ev.payload.error === undefined ? { reached: ev.payload.reached } : { reached: ev.payload.reached, error: ev.payload.error };
        trace.running = false;
        remember();
        return 'trace';
      case 'raw.packet':
        if (!isOurs(ev.payload, raw.ref)) return 'unknown';
        packets.push(ev.payload);
        if (ev.payload.skipped) raw.skipped += ev.payload.skipped;
        return 'raw';
    }
  }

  /** What this page has running, kept per tab (sessionStorage). */
  function remember(): void {
    const active = {
      ping: ping.running ? ping.id : null,
      trace: trace.running ? trace.id : null,
      raw: raw.id,
    };
    storageSet('session', ACTIVE_KEY, active.ping === null && active.trace === null && active.raw === null ? null : JSON.stringify(active));
  }

  /**
   * After a reload, what the previous page left running has no view and no
   * Stop button any more (a ping until stopped would run for ever): end it.
   */
  async function endOrphans(): Promise<void> {
    let left: { ping?: unknown; trace?: unknown; raw?: unknown } = {};
    try {
      left = JSON.parse(storageGet('session', ACTIVE_KEY) ?? '{}') as typeof left;
    } catch {
      // unreadable: nothing to end
    }
    storageSet('session', ACTIVE_KEY, null);
    const id = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : null);
    const calls: Promise<unknown>[] = [];
    const p = id(left.ping);
    const tr = id(left.trace);
    const r = id(left.raw);
    if (p !== null) calls.push(client().call('ping.stop', { id: p }));
    if (tr !== null) calls.push(client().call('trace.stop', { id: tr }));
    if (r !== null) calls.push(client().call('raw.close', { id: r }));
    await Promise.allSettled(calls);
  }

  let offBatch: (() => void) | null = null;
  /** Subscribes to the bridge's events once (views call it when they mount). */
  function attach(): void {
    if (offBatch) return;
    offBatch = client().onBatch(handle);
    void refreshStatus();
  }

  // ---- actions (the forms validate and call through use-call; these record the outcome) ----

  async function startPing(params: PingParams, call: (p: PingParams) => Promise<Result<'ping.start'> | undefined>): Promise<boolean> {
    resetPing();
    ping.id = null;
    ping.target = params.target;
    ping.flood = params.flood ?? false;
    ping.running = true;
    ping.ref = newRunRef('ping');
    const r = await call({ ...params, ref: ping.ref });
    if (!r) {
      ping.running = false;
      ping.target = '';
      ping.ref = null;
      return false;
    }
    ping.id = r.id;
    remember();
    void refreshStatus();
    return true;
  }

  async function stopPing(): Promise<void> {
    if (ping.id === null) return;
    try {
      const r = await client().call('ping.stop', { id: ping.id });
      ping.stats = r.stats;
    } finally {
      ping.running = false;
      pingVersion.value++;
      remember();
    }
  }

  async function startTrace(params: TraceParams, call: (p: TraceParams) => Promise<Result<'trace.start'> | undefined>): Promise<boolean> {
    trace.id = null;
    trace.hops = [];
    trace.done = null;
    trace.target = params.target;
    trace.mode = params.mode;
    trace.running = true;
    trace.ref = newRunRef('trace');
    const r = await call({ ...params, ref: trace.ref });
    if (!r) {
      trace.running = false;
      trace.target = '';
      trace.ref = null;
      return false;
    }
    trace.id = r.id;
    remember();
    void refreshStatus();
    return true;
  }

  async function stopTrace(): Promise<void> {
    if (trace.id === null) return;
    try {
      await client().call('trace.stop', { id: trace.id });
    } finally {
      trace.running = false;
      remember();
    }
  }

  async function openRaw(params: RawOpenParams, call: (p: RawOpenParams) => Promise<Result<'raw.open'> | undefined>): Promise<boolean> {
    const ref = newRunRef('raw');
    const before = raw.ref;
    // Packets heard from now on are this socket's (its ref), even before the call answers.
    raw.ref = ref;
    raw.skipped = 0;
    packets.replace([]);
    rawVersion.value++;
    const r = await call({ ...params, ref });
    if (!r) {
      if (raw.ref === ref) raw.ref = before;
      return false;
    }
    raw.id = r.id;
    raw.opened = params;
    remember();
    void refreshStatus();
    return true;
  }

  async function closeRaw(): Promise<void> {
    const id = raw.id;
    if (id === null) return;
    raw.id = null;
    remember();
    try {
      await client().call('raw.close', { id });
    } catch {
      // Already gone (the helper restarted): nothing is left to close.
    }
  }

  function clearPackets(): void {
    packets.replace([]);
    rawVersion.value++;
  }

  return {
    status, statusError, elevating, blocked, refreshStatus, elevate,
    ping, replies, chart, pingVersion, startPing, stopPing,
    trace, startTrace, stopTrace,
    raw, packets, rawVersion, openRaw, closeRaw, clearPackets,
    handle, attach, endOrphans,
  };
});
