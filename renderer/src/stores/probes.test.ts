import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AnyEvent, EventPayload } from '../../../shared/contract/index.js';
import { emptyStats, REPLIES_MAX, useProbes } from './probes.js';

beforeEach(() => setActivePinia(createPinia()));

const reply = (id: number, seq: number, rttUs: number | null = 50): AnyEvent => ({ name: 'ping.reply', payload: { id, seq, rttUs, tUs: seq * 1000 } });
const stats = (id: number, received: number, done = false): AnyEvent => ({
  name: 'ping.stats', payload: { id, stats: { ...emptyStats(), transmitted: received, received }, done },
});
const hop = (id: number, ttl: number): AnyEvent => ({ name: 'trace.hop', payload: { id, ttl, probes: [{ rttUs: 10, from: '127.0.0.1', kind: 'echo reply' }] } });

describe('probes store', () => {
  it('keeps the events that arrive before ping.start answers, and replays those of its run', async () => {
    const p = useProbes();
    let answer!: (r: { id: number }) => void;
    const started = p.startPing(
      { target: '127.0.0.1', count: 3, intervalMs: 10, size: 56, timeoutMs: 1000 },
      () => new Promise((r) => (answer = r)),
    );
    // A batch with an older run's reply and two of the new run's, before the id is known.
    p.handle([reply(1, 9), reply(2, 1), reply(2, 2), stats(2, 2)]);
    expect(p.replies.length).toBe(0);
    answer({ id: 2 });
    expect(await started).toBe(true);
    expect(p.replies.toArray().map((r) => r.seq)).toEqual([1, 2]);
    expect(p.ping.stats.received).toBe(2);
    expect(p.chart.seq).toEqual([1, 2]);
    p.handle([reply(2, 3, null), stats(2, 2, true)]);
    expect(p.chart.rttMs).toEqual([0.05, 0.05, null]);
    expect(p.ping.running).toBe(false);
  });

  it('bounds the replies it keeps, bumping its version once per batch', async () => {
    const p = useProbes();
    await p.startPing({ target: '::1', count: null, intervalMs: 1, flood: true, size: 0, timeoutMs: 1000 }, async () => ({ id: 5 }));
    const v = p.pingVersion;
    p.handle(Array.from({ length: REPLIES_MAX + 10 }, (_, i) => reply(5, i + 1)));
    expect(p.pingVersion).toBe(v + 1);
    expect(p.replies.length).toBe(REPLIES_MAX);
    expect(p.replies.at(0)!.seq).toBe(11);
  });

  it('a failed start leaves nothing running and forgets what it held', async () => {
    const p = useProbes();
    expect(await p.startPing({ target: 'x', count: 1, intervalMs: 1, size: 0, timeoutMs: 1 }, async () => undefined)).toBe(false);
    expect(p.ping.running).toBe(false);
    p.handle([reply(7, 1)]);
    expect(p.replies.length).toBe(0);
  });

  it('orders traceroute hops by ttl, replacing a hop sent again, and ends on trace.done', async () => {
    const p = useProbes();
    await p.startTrace({ target: '127.0.0.1', mode: 'icmp', maxHops: 5, probesPerHop: 1, timeoutMs: 100 }, async () => ({ id: 3 }));
    p.handle([hop(3, 2), hop(3, 1), hop(3, 2), hop(4, 1)]);
    expect(p.trace.hops.map((h) => h.ttl)).toEqual([1, 2]);
    p.handle([{ name: 'trace.done', payload: { id: 3, reached: true } }]);
    expect(p.trace.done).toEqual({ reached: true });
    expect(p.trace.running).toBe(false);
  });

  it('keeps raw packets of the open socket, counting what the engine skipped; follows raw.status events', async () => {
    const p = useProbes();
    await p.openRaw({ family: 4, protocol: 'icmp' }, async () => ({ id: 9 }));
    const packet = (id: number, skipped?: number): AnyEvent => ({
      name: 'raw.packet', payload: { id, bytes: new Uint8Array(28), from: '127.0.0.1', ipHeader: true, tUs: 1, ...(skipped ? { skipped } : {}) },
    });
    p.handle([packet(9), packet(8), packet(9, 5)]);
    expect(p.packets.length).toBe(2);
    expect(p.raw.skipped).toBe(5);
    const st: EventPayload<'raw.status'> = { status: 'unprivileged', reason: 'no', canElevate: true };
    p.handle([{ name: 'raw.status', payload: st }]);
    expect(p.status).toEqual(st);
    expect(p.blocked).toBe(true);
  });
});
