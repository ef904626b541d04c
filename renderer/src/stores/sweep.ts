// A sweep (fping over a list or a CIDR block): one at a time, its results
// as they come (one per target), then the count alive. Its events are told
// apart by the ref the start call gave (they may come before the id does).
import { defineStore } from 'pinia';
import { reactive, shallowRef } from 'vue';
import type { AnyEvent, EventPayload, Params, Result } from '../../../shared/contract/index.js';
import { client } from '../bridge/client.js';
import { isOurs, newRunRef } from '../lib/run-ref.js';

export type SweepParams = Params<'sweep.start'>;
export type SweepResult = EventPayload<'sweep.result'>;

export const useSweep = defineStore('sweep', () => {
  const sweep = reactive({
    id: null as number | null,
    /** The ref this window's sweep was started with: its events carry it. */
    ref: null as string | null,
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

  function handle(events: readonly AnyEvent[]): void {
    let added: SweepResult[] | null = null;
    for (const ev of events) {
      if (ev.name !== 'sweep.result' && ev.name !== 'sweep.done') continue;
      if (!isOurs(ev.payload, sweep.ref)) continue;
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
    const ref = newRunRef('sweep');
    Object.assign(sweep, { id: null, ref, running: true, total: 0, alive: 0, finished: false, stopped: false, error: null });
    results.value = [];
    const r = await call({ ...params, ref });
    if (!r) {
      sweep.running = false;
      sweep.ref = null;
      return false;
    }
    sweep.id = r.id;
    sweep.total = r.total;
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
