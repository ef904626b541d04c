// Fault injection (issue 16, item 4): the raw helper is SIGKILLed while
// probes run. Every run going ends with an error naming the signal, its
// counts stay exact (nothing is sent on its behalf afterwards), a restarted
// helper's handles are never an older one's, and a run whose sends failed
// never reports clean. Through the router as the page calls it, with the real
// helper (skipped without raw sockets, a failure with SOCKBENCH_REQUIRE_PEERS=1);
// the same endings over a fake transport for the runs loopback ends too soon.
import { afterEach, describe, expect, it } from 'vitest';
import type { EventPayload, Params } from '../../shared/contract/index.js';
import { FakeTransport, loopback } from '../../main/raw/fake-transport.js';
import { Ping } from '../../main/raw/ping.js';
import { Sweep } from '../../main/raw/sweep.js';
import { Traceroute } from '../../main/raw/traceroute.js';
import { harness, until as untilWithin } from '../support/engine-harness.js';
import { rawSuite } from '../support/peers.js';

const raw = rawSuite('the raw helper killed under running probes');
const until = <T>(probe: () => T | undefined | false, what: string, ms = 20_000) => untilWithin(probe, what, ms);
const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

let harnesses: ReturnType<typeof harness>[] = [];
afterEach(async () => {
  await Promise.all(harnesses.map((h) => h.close()));
  harnesses = [];
});

function setup() {
  const h = harness({ probes: { replyRate: Infinity } });
  harnesses.push(h);
  return h;
}

const ping = (extra: Partial<Params<'ping.start'>> = {}): Params<'ping.start'> => ({ target: '127.0.0.1', count: null, intervalMs: 10, size: 56, timeoutMs: 1000, ...extra });

/** Kills the helper with SIGKILL once it serves; resolves with the new helper's pid once it is back. */
async function killHelper(h: ReturnType<typeof harness>): Promise<number> {
  const helper = h.workbench.probes.helper;
  const pid = await until(() => helper.pid, 'the helper running');
  process.kill(pid, 'SIGKILL');
  return until(() => helper.status() === 'ready' && helper.pid !== pid && helper.pid, 'the helper restarted');
}

const doneOf = (h: ReturnType<typeof harness>, id: number) => h.of('ping.stats', id).find((s) => s.done);

describe.skipIf(raw.skip)(raw.title, () => {
  it('a paced ping ends with an error naming SIGKILL, sends nothing more, and a new ping on the restarted helper is not crossed', async () => {
    const h = setup();
    const { id } = await h.call('ping.start', ping());
    await until(() => h.of('ping.reply', id).filter((r) => r.rttUs !== null).length >= 10, '10 replies');
    await killHelper(h);
    const done = await until(() => doneOf(h, id), 'the run to end');
    expect(done.error).toMatch(/SIGKILL/);
    const final = done.stats;
    // Exact: every reply the view got is counted, and no probe goes out for this run after its end.
    expect(h.of('ping.reply', id).filter((r) => r.rttUs !== null && !r.dup && !r.late)).toHaveLength(final.received);
    const replies = h.of('ping.reply', id).length;
    // A second ping opens handle 1 of the new helper: the dead run must not send through it.
    const second = await h.call('ping.start', ping({ count: 5 }));
    const secondDone = await until(() => doneOf(h, second.id), 'the second ping');
    expect(secondDone.error).toBeUndefined();
    expect(secondDone.stats).toMatchObject({ transmitted: 5, received: 5 });
    await settle(200);
    expect(h.of('ping.reply', id)).toHaveLength(replies);
    expect((await h.call('ping.stop', { id })).stats).toEqual(final);
    expect(h.workbench.probes.helper.handles()).toEqual([]); // nothing left open in the new helper
  });

  it('a counted ping and a flood ping end with an error naming SIGKILL, never "done" and clean', async () => {
    const h = setup();
    const counted = await h.call('ping.start', ping({ count: 400, intervalMs: 5 }));
    const flood = await h.call('ping.start', ping({ flood: true, count: 10_000_000, intervalMs: 0.1 }));
    await until(() => h.of('ping.reply', counted.id).length >= 5 && h.of('ping.stats', flood.id).some((s) => s.stats.received > 0), 'both running');
    await killHelper(h);
    for (const run of [counted, flood]) {
      const done = await until(() => doneOf(h, run.id), `run #${run.id} to end`);
      expect(done.error).toMatch(/SIGKILL/);
      expect(done.stats.transmitted).toBeLessThan(run === counted ? 400 : 10_000_000);
    }
    expect(h.workbench.probes.helper.handles()).toEqual([]);
  });

  it('a raw session is closed with SIGKILL in its event, and later calls on it say so', async () => {
    const h = setup();
    const { id } = await h.call('raw.open', { family: 4, protocol: 'icmp' });
    await killHelper(h);
    const closed = await until(() => h.of('raw.closed', id)[0], 'raw.closed');
    expect(closed.error).toMatch(/SIGKILL/);
    expect(await h.error('raw.send', { id, bytes: new Uint8Array(8), address: '127.0.0.1' })).toMatchObject({ code: 'NO_SUCH_SESSION', message: expect.stringMatching(/was lost.*SIGKILL/) });
  });

  it('a craft run ends with an error naming SIGKILL and exact counts', async () => {
    const h = setup();
    const echo: Params<'craft.send'>['packets'][number] = [{ kind: 'ipv4', fields: { dst: '127.0.0.1' } }, { kind: 'icmp', fields: { type: 'echo-request', id: 0x5151, seq: 1 } }];
    const { id } = await h.call('craft.send', { via: 'raw', packets: [echo], count: 100_000, intervalMs: 2, listenMs: 0 });
    await until(() => h.of('craft.sent', id).length >= 5, 'sends going');
    await killHelper(h);
    const done: EventPayload<'craft.done'> = await until(() => h.of('craft.done', id)[0], 'craft.done');
    expect(done.error).toMatch(/SIGKILL/);
    expect(done.stopped).toBe(false);
    expect(done.sent).toBeLessThan(100_000);
    const events = h.of('craft.sent', id);
    await settle(200);
    expect(h.of('craft.sent', id)).toHaveLength(events.length); // nothing after the end
  });

  it('a sweep ends with an error naming SIGKILL', async () => {
    const h = setup();
    const { id } = await h.call('sweep.start', { targets: '127.0.0.0/28', count: 100, intervalMs: 5, perTargetIntervalMs: 50, timeoutMs: 500 });
    await settle(300);
    await killHelper(h);
    const done = await until(() => h.of('sweep.done', id)[0], 'sweep.done');
    expect(done.error).toMatch(/SIGKILL/);
  });

  it('a ping whose sends fail is not reported clean (a broadcast destination: SO_BROADCAST, not privileges)', async () => {
    const h = setup();
    const { id } = await h.call('ping.start', ping({ target: '127.255.255.255', count: 3 }));
    const done = await until(() => doneOf(h, id), 'the run to end');
    expect(done.error).toMatch(/^3 of 3 echo requests could not be sent \(first: EACCES: .*SO_BROADCAST/);
    expect(done.error).not.toMatch(/need CAP_NET_RAW or root/);
  });
});

describe('runs whose helper died end with its words (fake transport)', () => {
  const lost = () => new Error('the raw-socket helper died (SIGKILL); its raw sockets were lost');

  it('ping: start() rejects with the error; nothing is sent afterwards', async () => {
    const net = new FakeTransport(loopback());
    const p = new Ping(net, { target: '127.0.0.1', count: null, intervalMs: 5, timeoutMs: 100 });
    const run = p.start();
    await until(() => net.sent.length >= 3, 'three sends');
    net.lose(lost());
    await expect(run).rejects.toThrow(/SIGKILL/);
    const n = net.sent.length;
    await settle(50);
    expect(net.sent).toHaveLength(n);
  });

  it('traceroute: start() rejects with the error', async () => {
    // Nothing answers: each hop waits for its timeout, and the helper dies meanwhile.
    const net = new FakeTransport();
    const t = new Traceroute(net, { target: '127.0.0.1', mode: 'icmp', maxHops: 30, probesPerHop: 3, timeoutMs: 200 });
    const run = t.start();
    await until(() => net.sent.length >= 1, 'a probe');
    net.lose(lost());
    await expect(run).rejects.toThrow(/SIGKILL/);
  });

  it('sweep: start() rejects with the error, and no target goes on', async () => {
    const net = new FakeTransport(loopback());
    const results: unknown[] = [];
    const s = new Sweep(net, { targets: Array.from({ length: 40 }, (_, i) => `127.0.0.${i + 1}`), count: 20, intervalMs: 1, perTargetIntervalMs: 10, timeoutMs: 100, concurrency: 4 });
    s.on('result', (r) => results.push(r));
    const run = s.start();
    await until(() => net.sent.length >= 5, 'sends');
    net.lose(lost());
    await expect(run).rejects.toThrow(/SIGKILL/);
    expect(results.length).toBeLessThan(40);
  });
});
