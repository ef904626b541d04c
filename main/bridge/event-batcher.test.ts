import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventBatcher } from './event-batcher.js';
import type { AnyEvent, SessionInfo } from '../../shared/contract/index.js';

afterEach(() => vi.useRealTimers());

const info = (id: number, bytesIn: number): SessionInfo => ({
  id, family: 'AF_INET', type: 'SOCK_STREAM', state: 'connected', readMode: 'auto', timeoutMs: null, createdUs: 0,
  counters: { bytesIn, bytesOut: 0, chunksIn: 0, chunksOut: 0 },
});
const data = (id: number, n: number): AnyEvent => ({ name: 'session.data', payload: { id, dir: 'in', tUs: 0, bytes: new Uint8Array(n) } });

describe('EventBatcher', () => {
  it('sends one batch per interval, keeping only the latest update per session', () => {
    vi.useFakeTimers();
    const batches: AnyEvent[][] = [];
    const b = new EventBatcher((e) => batches.push(e), { intervalMs: 16 });
    b.push({ name: 'session.updated', payload: info(1, 10) });
    b.push(data(1, 10));
    b.push({ name: 'session.updated', payload: info(1, 20) });
    expect(batches).toHaveLength(0);
    vi.advanceTimersByTime(16);
    expect(batches).toHaveLength(1);
    const updates = batches[0]!.filter((e) => e.name === 'session.updated');
    expect(updates).toHaveLength(1);
    expect(updates[0]!.name === 'session.updated' && updates[0]!.payload.counters.bytesIn).toBe(20);
  });

  it('drops data beyond the per-batch budget or while congested, and reports exactly how much', () => {
    vi.useFakeTimers();
    const batches: AnyEvent[][] = [];
    let congested = false;
    const b = new EventBatcher((e) => batches.push(e), { intervalMs: 10, maxBatchDataBytes: 100, congested: () => congested });
    for (let i = 0; i < 5; i++) b.push(data(7, 40)); // 2 fit, 3 do not
    vi.advanceTimersByTime(10);
    congested = true;
    b.push(data(7, 1));
    vi.advanceTimersByTime(10);
    const all = batches.flat();
    const shown = all.filter((e) => e.name === 'session.data').length;
    const dropped = all.filter((e) => e.name === 'session.dropped').map((e) => (e.name === 'session.dropped' ? e.payload : null));
    expect(shown).toBe(2);
    expect(dropped).toEqual([{ id: 7, bytes: 120, chunks: 3 }, { id: 7, bytes: 1, chunks: 1 }]);
  });

  it('sends nothing after close', () => {
    vi.useFakeTimers();
    const sink = vi.fn();
    const b = new EventBatcher(sink, { intervalMs: 5 });
    b.push(data(1, 1));
    b.close();
    vi.advanceTimersByTime(50);
    expect(sink).not.toHaveBeenCalled();
  });
});
