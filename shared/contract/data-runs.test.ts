import { describe, expect, it, vi } from 'vitest';
import { DATA_RUN, packDataRuns, unpackDataRuns } from './data-runs.js';
import type { AnyEvent, SockAddr } from './index.js';
import { decodeFrame, encodeFrame } from './wire.js';

const peerA: SockAddr = { family: 'AF_INET', address: '127.0.0.1', port: 40000 };
const peerB: SockAddr = { family: 'AF_INET6', address: '::1', port: 5353 };
const data = (id: number, tUs: number, fill: number, n: number, extra: Partial<AnyEvent['payload']> = {}): AnyEvent =>
  ({ name: 'session.data', payload: { id, dir: fill % 3 ? 'in' : 'out', tUs, bytes: new Uint8Array(n).fill(fill), ...extra } }) as AnyEvent;
/** What the page gets: the batch through the WebSocket's frame, packed and unpacked. */
const throughWire = (events: AnyEvent[]) => unpackDataRuns((decodeFrame(encodeFrame({ events: packDataRuns(events), seq: 1 })) as { events: unknown[] }).events);

describe('data runs on the WebSocket', () => {
  it('a batch arrives as main built it: every entry, its time, direction, peer and bytes, in order among the other events', () => {
    const batch: AnyEvent[] = [
      ...Array.from({ length: 6 }, (_, i) => data(1, 1_000_000 + i * 7, i, 10 + i, { addr: i % 2 ? peerA : peerB })),
      { name: 'session.dropped', payload: { id: 9, bytes: 5, chunks: 1 } },
      data(2, 5, 1, 3), data(2, 6, 2, 0), // too short a run to pack
      data(1, 2_000_000, 4, 8, { repeat: 50 }), // a repeat row keeps its count
      ...Array.from({ length: 5 }, (_, i) => data(1, 3_000_000 + i, 200 + i, 1000)),
      data(3, 1, 0, 64, { rule: 'echo › any' }),
    ];
    const packed = packDataRuns(batch);
    expect(packed.filter((e) => (e as { name: string }).name === DATA_RUN)).toHaveLength(2);
    expect(throughWire(batch)).toEqual(batch);
  });

  it('a flood of 64-byte datagrams takes well under half the frame it took as separate events', () => {
    const batch = Array.from({ length: 500 }, (_, i) => data(4, 123_456_789_000 + i * 20, i % 251, 64, { addr: { ...peerA, port: 40000 + (i % 3) } }));
    const plain = encodeFrame({ events: batch, seq: 1 }).byteLength;
    const packed = encodeFrame({ events: packDataRuns(batch), seq: 1 }).byteLength;
    expect(packed / batch.length).toBeLessThan(90); // 64 bytes of data and a little JSON each
    expect(plain / batch.length).toBeGreaterThan(180);
    expect(throughWire(batch)).toEqual(batch);
  });

  it('a run that does not add up is left out and said; the rest of the batch still applies', () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    const state = { name: 'session.dropped', payload: { id: 1, bytes: 1, chunks: 1 } };
    const bad = [
      { name: DATA_RUN, payload: { id: 1, t0: 0, dt: [0, 1], dir: 'ii', len: [4, 4], bytes: new Uint8Array(7) } },
      { name: DATA_RUN, payload: { id: 1, t0: 0, dt: [0], dir: 'x', len: [1], bytes: new Uint8Array(1) } },
      { name: DATA_RUN, payload: { id: 1, t0: 0, dt: [0], dir: 'i', len: [1], bytes: new Uint8Array(1), peer: [3], peers: [] } },
      { name: DATA_RUN, payload: null },
      state,
    ];
    expect(unpackDataRuns(bad)).toEqual([state]);
    expect(spy).toHaveBeenCalledTimes(4);
    expect(String(spy.mock.calls[0]![0])).toMatch(/add up to 8 bytes, its blob has 7/);
    spy.mockRestore();
  });
});
