// Repeated sends on a datagram session: exact counters, one trace entry,
// the schedule kept (never early), and a stop that stops.
import { afterEach, describe, expect, it } from 'vitest';
import type { CallError } from '../../shared/contract/index.js';
import { harness, until } from '../../test/support/engine-harness.js';

let h: ReturnType<typeof harness>;
afterEach(async () => h?.close());

async function udpPair() {
  const rx = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_DGRAM' });
  const bound = await h.call('socket.bind', { id: rx.id, address: '127.0.0.1', port: 0 });
  const tx = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_DGRAM' });
  return { rx, tx, port: bound.local!.port };
}

describe('sendRepeat', () => {
  it('floods 20,000 datagrams: the sender counts each one, the log keeps one entry saying ×20000, the trace one line', async () => {
    h = harness();
    const { rx, tx, port } = await udpPair();
    const data = new Uint8Array(64).fill(7);
    const r = await h.call('socket.sendRepeat', { id: tx.id, data, count: 20_000, address: '127.0.0.1', port });
    expect(r).toMatchObject({ sent: 20_000, stopped: 'done' });
    expect(h.engine.get(tx.id).counters).toMatchObject({ chunksOut: 20_000, bytesOut: 20_000 * 64 });
    expect(h.engine.get(tx.id).data.toArray()).toHaveLength(1);
    expect(h.engine.get(tx.id).data.toArray()[0]).toMatchObject({ dir: 'out', repeat: 20_000 });
    expect(h.engine.get(tx.id).data.toArray()[0]!.bytes).toEqual(data);
    expect(h.engine.get(tx.id).trace.at(-1)).toMatchObject({ call: 'sendto ×20000', ok: true });
    // Loopback may drop datagrams under a flood; what arrives is whole and counted.
    await until(() => h.engine.get(rx.id).counters.chunksIn > 0, 'datagrams at the receiver');
    expect(h.engine.get(rx.id).counters.bytesIn).toBe(h.engine.get(rx.id).counters.chunksIn * 64);
  });

  it('paced sends are never early: 40 at 2 ms apart take at least 78 ms', async () => {
    h = harness();
    const { tx, port } = await udpPair();
    const r = await h.call('socket.sendRepeat', { id: tx.id, data: new Uint8Array([1]), count: 40, intervalUs: 2000, address: '127.0.0.1', port });
    expect(r.sent).toBe(40);
    expect(r.seconds).toBeGreaterThanOrEqual(0.078);
  });

  it('stops when asked, and refuses a second run at once and stream sessions', async () => {
    h = harness();
    const { tx, port } = await udpPair();
    const run = h.call('socket.sendRepeat', { id: tx.id, data: new Uint8Array([1]), count: 1_000_000, intervalUs: 1000, address: '127.0.0.1', port });
    await until(() => h.engine.get(tx.id).counters.chunksOut > 5, 'some sent');
    const second = await h.call('socket.sendRepeat', { id: tx.id, data: new Uint8Array([1]), count: 1, address: '127.0.0.1', port }).catch((e: CallError) => e);
    expect((second as CallError).error.errno?.name).toBe('EALREADY');
    await h.call('socket.sendRepeatStop', { id: tx.id });
    const r = await run;
    expect(r.stopped).toBe('cancelled');
    expect(r.sent).toBeLessThan(1_000_000);
    expect(h.engine.get(tx.id).counters.chunksOut).toBe(r.sent);
    const tcp = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
    const err = await h.call('socket.sendRepeat', { id: tcp.id, data: new Uint8Array([1]), count: 2 }).catch((e: CallError) => e);
    expect((err as CallError).error.errno?.name).toBe('EOPNOTSUPP');
  });
});
