import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AnyEvent } from '../../../shared/contract/index.js';
import { useSweep } from './sweep.js';

beforeEach(() => setActivePinia(createPinia()));

// Results carry the ref the sweep was started with (the store makes one per start and sends it with the call).
const result = (ref: string, target: string, alive = true): AnyEvent => ({
  name: 'sweep.result',
  payload: { id: 3, ref, target, sent: 2, received: alive ? 2 : 0, lossPct: alive ? 0 : 100, minUs: alive ? 10 : null, avgUs: alive ? 20 : null, maxUs: alive ? 30 : null, alive },
});
const params = { targets: '127.0.0.1 127.0.0.2', count: 2, intervalMs: 10, perTargetIntervalMs: 100, timeoutMs: 500 };

describe('sweep store', () => {
  it('takes its sweep\'s results by ref, even before sweep.start answers, and no one else\'s; then done', async () => {
    const s = useSweep();
    let answer!: (r: { id: number; total: number }) => void;
    let ref = '';
    const started = s.start(params, (p) => ((ref = p.ref!), new Promise((r) => (answer = r))));
    s.handle([result('sweep-other-1', '127.0.0.9'), result(ref, '127.0.0.1')]);
    expect(s.results.map((r) => r.target)).toEqual(['127.0.0.1']);
    answer({ id: 3, total: 2 });
    expect(await started).toBe(true);
    s.handle([result(ref, '127.0.0.2', false), { name: 'sweep.done', payload: { id: 3, ref, alive: 1, total: 2 } }]);
    expect(s.results.map((r) => r.alive)).toEqual([true, false]);
    expect(s.sweep).toMatchObject({ running: false, finished: true, alive: 1, total: 2, stopped: false });
  });

  it('a refused start leaves nothing running', async () => {
    const s = useSweep();
    let ref = '';
    expect(await s.start(params, async (p) => ((ref = p.ref!), undefined))).toBe(false);
    expect(s.sweep.running).toBe(false);
    s.handle([result(ref, '127.0.0.1')]);
    expect(s.results).toEqual([]);
  });
});
