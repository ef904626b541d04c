// The helper's Flood handing a paced run to a sending thread (FloodSocket's
// sendPaced, faked here: the native side is paced-send.test.ts): what the
// app is told and when the run ends. No sockets, no timing.
import { describe, expect, it } from 'vitest';
import { Flood, type FloodSocket, type PacedSink } from './flood.js';
import { FLOOD_BATCH, SPIN_UP_TO_US, type CallFailure, type FloodArgs, type FloodResult } from './helper-protocol.js';

const request = Uint8Array.from([8, 0, 0, 0, 0x12, 0x34, 0, 1, 1, 2, 3, 4]);
const args = (o: Partial<FloodArgs> = {}): FloodArgs => ({ handle: 1, bytes: request, address: '127.0.0.1', count: 10, intervalUs: 2000, ...o });
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A flood over a socket whose thread the test drives: `thread.sink` is what the thread would call. */
function pacedFlood(a: FloodArgs, startError?: CallFailure) {
  const thread = { sink: null as PacedSink | null, stops: 0, asked: null as null | { firstSeq: number; count: number; intervalUs: number; spinUs: number } };
  const loopSends: Buffer[] = [];
  const sock: FloodSocket = {
    family: 4,
    send: (b, stamp, done) => {
      loopSends.push(b);
      stamp(0);
      done(null);
    },
    sendPaced: (_template, firstSeq, count, intervalUs, spinUs, sink) => {
      thread.asked = { firstSeq, count, intervalUs, spinUs };
      thread.sink = sink;
      return startError ?? { stop: () => void thread.stops++ };
    },
  };
  const sent: { first: number; n: number; error?: CallFailure }[] = [];
  const results: FloodResult[] = [];
  const flood = new Flood(sock, a, { now: () => performance.now() * 1000, sent: (first, tUs, error) => sent.push({ first, n: tUs.length, ...(error && { error }) }), replies: () => undefined }, (r) => results.push(r));
  flood.start();
  return { flood, thread, sent, results, loopSends };
}

describe('a paced flood sent by a thread', () => {
  it('asks for the schedule, spinning only for gaps up to 10 ms (as iputils ping)', () => {
    expect(pacedFlood(args()).thread.asked).toEqual({ firstSeq: 1, count: 10, intervalUs: 2000, spinUs: 2000 });
    expect(pacedFlood(args({ intervalUs: SPIN_UP_TO_US })).thread.asked!.spinUs).toBe(SPIN_UP_TO_US);
    expect(pacedFlood(args({ intervalUs: 200_000 })).thread.asked!.spinUs).toBe(0);
  });

  it('tells the app every stamp once, at most FLOOD_BATCH an event, and ends when the thread has', async () => {
    const count = FLOOD_BATCH + 700;
    const { thread, sent, results } = pacedFlood(args({ count }));
    thread.sink!(0, new Float64Array(3).fill(1), null, false);
    await tick();
    thread.sink!(3, new Float64Array(count - 3).fill(2), null, false); // the app's thread was busy: a big batch
    expect(results).toEqual([]);
    thread.sink!(count, new Float64Array(0), null, true);
    await tick();
    expect(sent.every((s) => s.n <= FLOOD_BATCH)).toBe(true);
    expect(sent.map((s) => s.first)).toEqual([0, 3, 3 + FLOOD_BATCH]);
    expect(sent.reduce((n, s) => n + s.n, 0)).toBe(count);
    expect(results).toEqual([{ sent: count, errors: 0, stopped: false, firstError: null }]);
  });

  it('a refused send: its error goes with the event holding its NaN stamp, and into the result', async () => {
    const { thread, sent, results } = pacedFlood(args({ count: 3 }));
    const refused = { code: 'ENETUNREACH', errno: -101, message: 'network is unreachable' };
    thread.sink!(0, Float64Array.of(5, NaN, NaN), refused, true);
    await tick();
    expect(sent).toEqual([{ first: 0, n: 3, error: refused }]);
    expect(results).toEqual([{ sent: 1, errors: 2, stopped: false, firstError: refused }]);
  });

  it('stop() stops the thread and the flood ends only when the thread says so, as stopped', async () => {
    const { flood, thread, results } = pacedFlood(args({ count: 100 }));
    thread.sink!(0, Float64Array.of(1, 2), null, false);
    flood.stop();
    expect(thread.stops).toBe(1);
    await tick();
    expect(results).toEqual([]);
    thread.sink!(2, Float64Array.of(3), null, true); // one more went out before the thread saw the stop
    await tick();
    expect(results).toEqual([{ sent: 3, errors: 0, stopped: true, firstError: null }]);
  });

  it('abort() (the socket is gone) ends at once; what the thread says after is dropped', async () => {
    const { flood, thread, sent, results } = pacedFlood(args({ count: 100 }));
    flood.abort();
    expect(thread.stops).toBe(1);
    expect(results).toHaveLength(1);
    thread.sink!(0, Float64Array.of(1), null, true);
    await tick();
    expect(sent).toEqual([]);
    expect(results).toHaveLength(1);
  });

  it('when the thread cannot start, the event loop paces the run instead', async () => {
    const { thread, loopSends, results } = pacedFlood(args({ count: 2, intervalUs: 100 }), { code: 'EMFILE', errno: -24, message: 'too many open files' });
    expect(thread.asked).not.toBeNull();
    for (let i = 0; i < 50 && results.length === 0; i++) await tick();
    expect(loopSends).toHaveLength(2);
    expect(results).toEqual([{ sent: 2, errors: 0, stopped: false, firstError: null }]);
  });
});
