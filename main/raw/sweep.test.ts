// Sweep over a fake loopback (no sockets): every reply reaches every open
// socket, as on a raw socket, so distinct identifiers are what keeps the
// results exact; the concurrency bound holds; stop ends it. The real helper:
// probes.test.ts (router) and test/peers/cli-sweep.test.ts (CLI).
import { describe, expect, it } from 'vitest';
import { FakeTransport, loopback } from './fake-transport.js';
import { Sweep, type SweepTargetResult } from './sweep.js';
import { expandTargets } from '../../shared/net/targets.js';

function net(unreachable: Set<string> = new Set()) {
  const reply = loopback({ delayMs: 1 });
  const t = new FakeTransport((s, n) => {
    if (!unreachable.has(s.address)) reply(s, n);
  });
  let open = 0;
  let maxOpen = 0;
  const open0 = t.open.bind(t);
  const close0 = t.close.bind(t);
  t.open = async (o) => {
    maxOpen = Math.max(maxOpen, ++open);
    return open0(o);
  };
  t.close = async (h) => {
    open--;
    return close0(h);
  };
  return { t, maxOpen: () => maxOpen, open: () => open };
}

const targets = (text: string): string[] => {
  const r = expandTargets(text);
  if (!r.ok) throw new Error(r.message);
  return r.targets;
};

describe('Sweep over a fake loopback', () => {
  it('one exact result per target, at most `concurrency` sockets at once, unreachable ones counted', async () => {
    const n = net(new Set(['127.0.0.9']));
    const list = targets('127.0.0.0/28 ::1');
    // The fake answers in 1 ms; the timeout only has to outlast a busy machine's scheduling delays (the unreachable one waits it out).
    const sweep = new Sweep(n.t, { targets: list, count: 3, intervalMs: 1, perTargetIntervalMs: 10, timeoutMs: 1000, concurrency: 4 });
    const results: SweepTargetResult[] = [];
    sweep.on('result', (r) => results.push(r));
    const summary = await sweep.start();
    expect(summary).toEqual({ alive: 14, done: 15, total: 15, stopped: false });
    expect(results.map((r) => r.target).sort()).toEqual([...list].sort());
    for (const r of results) {
      if (r.target === '127.0.0.9') expect(r).toMatchObject({ sent: 3, received: 0, lossPct: 100, alive: false, minUs: null });
      // Replies to the other targets reach this socket too, and are never counted.
      else expect(r).toMatchObject({ sent: 3, received: 3, lossPct: 0, alive: true });
    }
    expect(n.maxOpen()).toBeLessThanOrEqual(4);
    expect(n.open()).toBe(0);
    // Every target had its own identifier.
    const ids = new Map<string, Set<number>>();
    for (const s of n.t.sent) {
      const id = (s.bytes[4]! << 8) | s.bytes[5]!;
      ids.set(s.address, (ids.get(s.address) ?? new Set()).add(id));
    }
    const all = [...ids.values()].map((s) => [...s]);
    expect(all.every((s) => s.length === 1)).toBe(true);
    expect(new Set(all.flat()).size).toBe(15);
  });

  it('stop(): no further targets; those going report what they had', async () => {
    const n = net();
    const sweep = new Sweep(n.t, { targets: targets('127.0.0.0/28'), count: 100, intervalMs: 1, perTargetIntervalMs: 20, timeoutMs: 50, concurrency: 2 });
    const results: SweepTargetResult[] = [];
    sweep.on('result', (r) => results.push(r));
    const running = sweep.start();
    await new Promise((r) => setTimeout(r, 60));
    sweep.stop();
    const summary = await running;
    expect(summary).toMatchObject({ total: 14, stopped: true });
    expect(summary.done).toBe(results.length);
    expect(results.length).toBeLessThanOrEqual(2);
    for (const r of results) expect(r.sent).toBeLessThan(100);
    expect(n.open()).toBe(0);
  });
});
