import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AnyEvent } from '../../../shared/contract/index.js';
import { useSweep } from './sweep.js';

beforeEach(() => setActivePinia(createPinia()));

const result = (id: number, target: string, alive = true): AnyEvent => ({
  name: 'sweep.result',
  payload: { id, target, sent: 2, received: alive ? 2 : 0, lossPct: alive ? 0 : 100, minUs: alive ? 10 : null, avgUs: alive ? 20 : null, maxUs: alive ? 30 : null, alive },
});
const params = { targets: '127.0.0.1 127.0.0.2', count: 2, intervalMs: 10, perTargetIntervalMs: 100, timeoutMs: 500 };

describe('sweep store', () => {
  it('holds results that come before sweep.start answers, keeps those of its sweep, then done', async () => {
    const s = useSweep();
    let answer!: (r: { id: number; total: number }) => void;
    const started = s.start(params, () => new Promise((r) => (answer = r)));
    s.handle([result(1, '127.0.0.9'), result(3, '127.0.0.1')]);
    expect(s.results).toEqual([]);
    answer({ id: 3, total: 2 });
    expect(await started).toBe(true);
    expect(s.results.map((r) => r.target)).toEqual(['127.0.0.1']);
    s.handle([result(3, '127.0.0.2', false), { name: 'sweep.done', payload: { id: 3, alive: 1, total: 2 } }]);
    expect(s.results.map((r) => r.alive)).toEqual([true, false]);
    expect(s.sweep).toMatchObject({ running: false, finished: true, alive: 1, total: 2, stopped: false });
  });

  it('a refused start leaves nothing running', async () => {
    const s = useSweep();
    expect(await s.start(params, async () => undefined)).toBe(false);
    expect(s.sweep.running).toBe(false);
    s.handle([result(4, '127.0.0.1')]);
    expect(s.results).toEqual([]);
  });
});
