import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AnyEvent, EventPayload } from '../../../shared/contract/index.js';
import { emptyStats, REPLIES_MAX, useProbes } from './probes.js';

beforeEach(() => setActivePinia(createPinia()));

// Events carry the ref their run was started with (the store makes one per start, sent with the call).
const reply = (ref: string, seq: number, rttUs: number | null = 50): AnyEvent => ({ name: 'ping.reply', payload: { id: 1, ref, seq, rttUs, tUs: seq * 1000 } });
const stats = (ref: string, received: number, done = false): AnyEvent => ({
  name: 'ping.stats', payload: { id: 1, ref, stats: { ...emptyStats(), transmitted: received, received }, done },
});
const hop = (ref: string, ttl: number): AnyEvent => ({ name: 'trace.hop', payload: { id: 1, ref, ttl, probes: [{ rttUs: 10, from: '127.0.0.1', kind: 'echo reply' }] } });

/** A start call that records the ref it was given and answers with `id`. */
function starter(id: number) {
  const seen: { ref: string } = { ref: '' };
  return { seen, call: async (p: { ref?: string }) => ((seen.ref = p.ref!), { id }) };
}

describe('probes store', () => {
  it('takes the events of its run (by the ref it sent) even before ping.start answers, and no one else\'s', async () => {
    const p = useProbes();
    let answer!: (r: { id: number }) => void;
    let ref = '';
    const started = p.startPing(
      { target: '127.0.0.1', count: 3, intervalMs: 10, size: 56, timeoutMs: 1000 },
      (params) => ((ref = params.ref!), new Promise((r) => (answer = r))),
    );
    expect(ref).toMatch(/^ping-/);
    // A batch with another window's reply and two of this run's, before the id is known.
    p.handle([reply('ping-other-1', 9), reply(ref, 1), reply(ref, 2), stats(ref, 2)]);
    expect(p.replies.toArray().map((r) => r.seq)).toEqual([1, 2]);
    answer({ id: 2 });
    expect(await started).toBe(true);
    expect(p.ping.stats.received).toBe(2);
    expect(p.chart.seq).toEqual([1, 2]);
    p.handle([reply(ref, 3, null), stats(ref, 2, true)]);
    expect(p.chart.rttMs).toEqual([0.05, 0.05, null]);
    expect(p.ping.running).toBe(false);
  });

  it('bounds the replies it keeps, bumping its version once per batch', async () => {
    const p = useProbes();
    const { seen, call } = starter(5);
    await p.startPing({ target: '::1', count: null, intervalMs: 1, flood: true, size: 0, timeoutMs: 1000 }, call);
    const v = p.pingVersion;
    p.handle(Array.from({ length: REPLIES_MAX + 10 }, (_, i) => reply(seen.ref, i + 1)));
    expect(p.pingVersion).toBe(v + 1);
    expect(p.replies.length).toBe(REPLIES_MAX);
    expect(p.replies.at(0)!.seq).toBe(11);
  });

  it('a failed start leaves nothing running and takes no events of it', async () => {
    const p = useProbes();
    let ref = '';
    expect(await p.startPing({ target: 'x', count: 1, intervalMs: 1, size: 0, timeoutMs: 1 }, async (params) => ((ref = params.ref!), undefined))).toBe(false);
    expect(p.ping.running).toBe(false);
    p.handle([reply(ref, 1)]);
    expect(p.replies.length).toBe(0);
  });

  it('orders traceroute hops by ttl, replacing a hop sent again, and ends on trace.done', async () => {
    const p = useProbes();
    const { seen, call } = starter(3);
    await p.startTrace({ target: '127.0.0.1', mode: 'icmp', maxHops: 5, probesPerHop: 1, timeoutMs: 100 }, call);
    p.handle([hop(seen.ref, 2), hop(seen.ref, 1), hop(seen.ref, 2), hop('trace-other-1', 1)]);
    expect(p.trace.hops.map((h) => h.ttl)).toEqual([1, 2]);
    p.handle([{ name: 'trace.done', payload: { id: 3, ref: seen.ref, reached: true } }]);
    expect(p.trace.done).toEqual({ reached: true });
    expect(p.trace.running).toBe(false);
  });

  it('keeps raw packets of the open socket, counting what the engine skipped; follows raw.status events', async () => {
    const p = useProbes();
    const { seen, call } = starter(9);
    await p.openRaw({ family: 4, protocol: 'icmp' }, call);
    const packet = (ref: string, skipped?: number): AnyEvent => ({
      name: 'raw.packet', payload: { id: 9, ref, bytes: new Uint8Array(28), from: '127.0.0.1', ipHeader: true, tUs: 1, ...(skipped ? { skipped } : {}) },
    });
    p.handle([packet(seen.ref), packet('raw-other-1'), packet(seen.ref, 5)]);
    expect(p.packets.length).toBe(2);
    expect(p.raw.skipped).toBe(5);
    const st: EventPayload<'raw.status'> = { status: 'unprivileged', reason: 'no', canElevate: true };
    p.handle([{ name: 'raw.status', payload: st }]);
    expect(p.status).toEqual(st);
    expect(p.blocked).toBe(true);
  });
});
