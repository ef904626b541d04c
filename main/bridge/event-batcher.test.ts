import { afterEach, describe, expect, it, vi } from 'vitest';
import { ENTRY_COST_BYTES, EventBatcher } from './event-batcher.js';
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

  it('sends a page at most maxCostBytesPerSecond of entry cost after a first full batch, and counts the rest', () => {
    vi.useFakeTimers();
    let now = 0;
    const batches: AnyEvent[][] = [];
    const cost = 1000 + ENTRY_COST_BYTES;
    // One batch may carry 10 entries' worth; the page is sent 10 a second after that.
    const b = new EventBatcher((e) => batches.push(e), { intervalMs: 10, maxBatchDataBytes: 10 * cost - ENTRY_COST_BYTES, maxCostBytesPerSecond: 10 * cost, now: () => now });
    const shownIn = (from: number) => batches.slice(from).flat().filter((e) => e.name === 'session.data').length;
    const droppedIn = (from: number) => batches.slice(from).flat().reduce((n, e) => n + (e.name === 'session.dropped' ? e.payload.chunks : 0), 0);
    // A quiet session's answer of one full batch arrives whole.
    for (let i = 0; i < 10; i++) b.push(data(3, 1000));
    vi.advanceTimersByTime(10);
    expect([shownIn(0), droppedIn(0)]).toEqual([10, 0]);
    // A flood right after it: nothing more until the allowance has grown again...
    for (let i = 0; i < 50; i++) b.push(data(3, 1000));
    b.push({ name: 'session.updated', payload: info(3, 60_000) });
    vi.advanceTimersByTime(10);
    expect([shownIn(1), droppedIn(1)]).toEqual([0, 50]);
    // ...which it does at the rate: half a second later, 5 entries' worth.
    now = 500;
    for (let i = 0; i < 50; i++) b.push(data(3, 1000));
    vi.advanceTimersByTime(10);
    expect([shownIn(2), droppedIn(2)]).toEqual([5, 45]);
    // Counters are never held back by it.
    expect(batches[1]!.some((e) => e.name === 'session.updated' && e.payload.counters.bytesIn === 60_000)).toBe(true);
  });

  it('holds a stream to maxDataBytesPerSecond of data when the cost allowance would let more through', () => {
    vi.useFakeTimers();
    let now = 0;
    const batches: AnyEvent[][] = [];
    // One batch (the burst) carries 16 KiB; after it, cost 64 KiB a second but data only 16 KiB.
    const b = new EventBatcher((e) => batches.push(e), { intervalMs: 10, maxBatchDataBytes: 16_384, maxCostBytesPerSecond: 65_536, maxDataBytesPerSecond: 16_384, now: () => now });
    const shownIn = (from: number) => batches.slice(from).flat().filter((e) => e.name === 'session.data').length;
    const droppedBytesIn = (from: number) => batches.slice(from).flat().reduce((n, e) => n + (e.name === 'session.dropped' ? e.payload.bytes : 0), 0);
    // A stream of 3 KiB chunks: five fill the first batch, the rest is counted.
    for (let i = 0; i < 8; i++) b.push(data(1, 3072));
    vi.advanceTimersByTime(10);
    expect([shownIn(0), droppedBytesIn(0)]).toEqual([5, 3 * 3072]);
    // Half a second on, the cost allowance would allow a whole batch again; the data allowance has 9 KiB: three chunks.
    now = 500;
    for (let i = 0; i < 8; i++) b.push(data(1, 3072));
    vi.advanceTimersByTime(10);
    expect([shownIn(1), droppedBytesIn(1)]).toEqual([3, 5 * 3072]);
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

  it('caps a batch by entries as well as bytes: a flood of small datagrams costs the page per entry', () => {
    vi.useFakeTimers();
    const batches: AnyEvent[][] = [];
    const b = new EventBatcher((e) => batches.push(e), { intervalMs: 10, maxBatchDataEntries: 3 });
    for (let i = 0; i < 5; i++) b.push(data(2, 1));
    vi.advanceTimersByTime(10);
    expect(batches[0]!.filter((e) => e.name === 'session.data')).toHaveLength(3);
    expect(batches[0]!.find((e) => e.name === 'session.dropped')?.payload).toEqual({ id: 2, bytes: 2, chunks: 2 });
  });

  it('waits for acknowledgements: while the receiver is behind, the next batch fills to its cap and the rest is counted, updates coalesce, other events are held', () => {
    vi.useFakeTimers();
    const batches: { events: AnyEvent[]; seq: number }[] = [];
    const b = new EventBatcher((events, seq) => batches.push({ events, seq }), { intervalMs: 10, maxUnacked: 2, maxBatchDataEntries: 1 });
    b.push(data(1, 5));
    vi.advanceTimersByTime(10);
    b.push(data(1, 5));
    vi.advanceTimersByTime(10);
    expect(batches.map((x) => x.seq)).toEqual([1, 2]);
    // Two unacknowledged: nothing more goes out.
    b.push(data(1, 6));
    b.push(data(1, 7));
    b.push({ name: 'session.updated', payload: info(1, 10) });
    b.push({ name: 'session.removed', payload: { id: 9 } });
    b.push({ name: 'session.updated', payload: info(1, 17) });
    vi.advanceTimersByTime(100);
    expect(batches).toHaveLength(2);
    // An acknowledgement of the first batch sends what was held at once.
    b.ack(1);
    expect(batches).toHaveLength(3);
    expect(batches[2]!.seq).toBe(3);
    expect(batches[2]!.events.map((e) => e.name)).toEqual(['session.data', 'session.removed', 'session.dropped', 'session.updated']);
    expect(batches[2]!.events[0]!.name === 'session.data' && batches[2]!.events[0]!.payload.bytes.byteLength).toBe(6);
    expect(batches[2]!.events[2]!.payload).toEqual({ id: 1, bytes: 7, chunks: 1 });
    expect(batches[2]!.events[3]!.name === 'session.updated' && batches[2]!.events[3]!.payload.counters.bytesIn).toBe(17);
  });

  it('counts unacknowledged data bytes too: a batch as big as the limit is the only one in flight, so a reply waits behind one, not two', () => {
    vi.useFakeTimers();
    const batches: { events: AnyEvent[]; seq: number }[] = [];
    const b = new EventBatcher((events, seq) => batches.push({ events, seq }), { intervalMs: 10, maxUnacked: 2, maxUnackedBytes: 1000, maxBatchDataBytes: 1000 });
    b.push(data(1, 1000));
    vi.advanceTimersByTime(10);
    expect(batches).toHaveLength(1);
    // Bytes at the limit: waiting, though only one of two batches is out.
    expect(b.waiting).toBe(true);
    b.push(data(1, 600));
    b.push(data(1, 600)); // over this batch's budget: counted, not sent
    vi.advanceTimersByTime(50);
    expect(batches).toHaveLength(1);
    b.ack(1);
    expect(batches).toHaveLength(2);
    const second = batches[1]!.events;
    expect(second.filter((e) => e.name === 'session.data')).toHaveLength(1);
    expect(second.find((e) => e.name === 'session.dropped')).toMatchObject({ payload: { id: 1, bytes: 600, chunks: 1 } });
    // Small batches: the batch count is the limit again.
    expect(b.waiting).toBe(false);
    b.ack(2);
    b.push(data(1, 10));
    vi.advanceTimersByTime(10);
    b.push(data(1, 10));
    vi.advanceTimersByTime(10);
    expect(batches).toHaveLength(4);
    expect(b.waiting).toBe(true);
  });

  it('does not trust acknowledgements: beyond what was sent, backwards or not a number, they change nothing', () => {
    vi.useFakeTimers();
    const batches: AnyEvent[][] = [];
    const b = new EventBatcher((e) => batches.push(e), { intervalMs: 10, maxUnacked: 1 });
    b.push(data(1, 1));
    vi.advanceTimersByTime(10);
    b.ack(1_000_000); // more than was sent: counts as 1
    b.push(data(1, 1));
    vi.advanceTimersByTime(10);
    expect(batches).toHaveLength(2);
    b.ack(Number.NaN);
    b.ack(1);
    b.push(data(1, 1));
    vi.advanceTimersByTime(10);
    expect(batches, 'still waiting for batch 2').toHaveLength(2);
  });

  it('sends held events anyway once too many wait, so a page that never acknowledges cannot grow main without limit', () => {
    vi.useFakeTimers();
    const batches: AnyEvent[][] = [];
    const b = new EventBatcher((e) => batches.push(e), { intervalMs: 10, maxUnacked: 1, maxHeldEvents: 50 });
    b.push({ name: 'session.removed', payload: { id: 1 } });
    vi.advanceTimersByTime(10);
    for (let i = 0; i < 49; i++) b.push({ name: 'session.removed', payload: { id: i } });
    vi.advanceTimersByTime(10);
    expect(batches).toHaveLength(1);
    b.push({ name: 'session.removed', payload: { id: 99 } });
    vi.advanceTimersByTime(10);
    expect(batches).toHaveLength(2);
    expect(batches[1]).toHaveLength(50);
  });
});
