// A sweep (fping over a list or a CIDR block): one at a time, its results
// as they come (one per target), then the count alive. Events that arrive
// before sweep.start answers with the id are held and replayed.
import { defineStore } from 'pinia';
import { reactive, shallowRef } from 'vue';
import type { AnyEvent, EventPayload, Params, Result } from '../../../shared/contract/index.js';
import { client } from '../bridge/client.js';

export type SweepParams = Params<'sweep.start'>;
export type SweepResult = EventPayload<'sweep.result'>;
type SweepEvent = Extract<AnyEvent, { name: 'sweep.result' | 'sweep.done' }>;

const EARLY_MAX = 10_000;

export const useSweep = defineStore('sweep', () => {
  const sweep = reactive({
    id: null as number | null,
    running: false,
    total: 0,
    alive: 0,
    /** Set once sweep.done came. */
    finished: false,
    stopped: false,
    error: null as string | null,
  });
  /** In the order they completed. */
  const results = shallowRef<SweepResult[]>([]);
  let starting = 0;
  let early: SweepEvent[] = [];

  function handle(events: readonly AnyEvent[]): void {
    let added: SweepResult[] | null = null;
    for (const ev of events) {
      if (ev.name !== 'sweep.result' && ev.name !== 'sweep.done') continue;
      if (sweep.id === null) {
        if (starting > 0 && early.length < EARLY_MAX) early.push(ev);
        continue;
      }
      if (ev.payload.id !== sweep.id) continue;
      if (ev.name === 'sweep.result') {
        (added ??= []).push(ev.payload);
        if (ev.payload.alive) sweep.alive++;
      } else {
        sweep.running = false;
        sweep.finished = true;
        sweep.alive = ev.payload.alive;
        sweep.stopped = ev.payload.stopped ?? false;
        sweep.error = ev.payload.error ?? null;
      }
    }
    if (added) results.value = [...results.value, ...added];
  }

  let off: (() => void) | null = null;
  function attach(): void {
    off ??= client().onBatch(handle);
  }

  async function start(params: SweepParams, call: (p: SweepParams) => Promise<Result<'sweep.start'> | undefined>): Promise<boolean> {
    Object.assign(sweep, { id: null, running: true, total: 0, alive: 0, finished: false, stopped: false, error: null });
    results.value = [];
    starting++;
    let r: Result<'sweep.start'> | undefined;
    try {
      r = await call(params);
    } finally {
      starting--;
    }
    if (!r) {
      sweep.running = false;
      early = [];
      return false;
    }
    sweep.id = r.id;
    sweep.total = r.total;
    const held = early;
    early = [];
    handle(held);
    return true;
  }

  async function stop(): Promise<void> {
    if (sweep.id === null || !sweep.running) return;
    try {
      await client().call('sweep.stop', { id: sweep.id });
    } finally {
      sweep.running = false;
    }
  }

  return { sweep, results, handle, attach, start, stop };
});
