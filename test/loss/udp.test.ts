// Nothing lost silently, UDP (issue 16, items 1, 5 and 8), through the
// bridge's router as the page calls it: in manual read mode datagrams wait in
// the kernel's queue, oldest first, and what the kernel could not hold is its
// own count on the session; waiting recvfrom calls are served in order; and
// wherever data flows, what the kernel delivered = what the session counted
// = what the view got + what it was told it skipped, beside the kernel's drops.
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { AnyEvent, SessionInfo } from '../../shared/contract/index.js';
import { harness, rejection, text } from '../support/engine-harness.js';

let h: ReturnType<typeof harness> | undefined;
const senders: dgram.Socket[] = [];
afterEach(async () => {
  for (const s of senders.splice(0)) s.close();
  await h?.close();
  h = undefined;
});

function setup() {
  h = harness();
  return h;
}

/** A bound UDP session on loopback, in manual read mode when asked. */
async function udpSession(t: ReturnType<typeof harness>, mode: 'auto' | 'manual') {
  const s = await t.call('socket.create', { family: 'AF_INET', type: 'SOCK_DGRAM' });
  const bound = await t.call('socket.bind', { id: s.id, address: '127.0.0.1', port: 0 });
  if (mode === 'manual') await t.call('socket.setReadMode', { id: s.id, mode: 'manual' });
  return { id: s.id, port: bound.local!.port };
}

/** Sends `n` datagrams of `size` bytes, each starting with its index (u32), and resolves once the kernel took them all. */
async function sendNumbered(port: number, n: number, size = 100): Promise<void> {
  const tx = dgram.createSocket('udp4');
  senders.push(tx);
  let done = 0;
  await new Promise<void>((resolve, reject) => {
    for (let i = 0; i < n; i++) {
      const b = Buffer.alloc(size);
      b.writeUInt32BE(i);
      tx.send(b, port, '127.0.0.1', (e) => (e ? reject(e) : ++done === n && resolve()));
    }
  });
}

const info = async (t: ReturnType<typeof harness>, id: number): Promise<SessionInfo> =>
  (await t.call('session.list', {})).sessions.find((s) => s.id === id)!;

describe('UDP manual read mode leaves datagrams in the kernel', () => {
  it('recvfrom takes the oldest first; what the kernel could not hold is counted as its drops, nothing else is lost', async () => {
    const t = setup();
    const { id, port } = await udpSession(t, 'manual');
    await t.call('socket.settimeout', { id, timeoutMs: 0 });
    const sent = 5000;
    await sendNumbered(port, sent);
    const got: number[] = [];
    for (;;) {
      try {
        const r = await t.call('socket.recvfrom', { id, bufsize: 200 });
        got.push(Buffer.from(r.data).readUInt32BE(0));
      } catch (e) {
        expect((e as { error: { errno?: { name: string } } }).error.errno?.name).toBe('EAGAIN');
        break;
      }
    }
    // The kernel's queue order: the oldest first, none skipped between.
    expect(got[0]).toBe(0);
    expect(got.every((v, i) => v === i)).toBe(true);
    // kernel delivered (sent on loopback) = read by the session + dropped by the kernel for a full buffer.
    await expect.poll(async () => (await info(t, id)).counters, { timeout: 5000 }).toMatchObject({ chunksIn: got.length, kernelDropped: sent - got.length });
    const last = t.of('session.updated', id).at(-1)!;
    expect(last.counters.kernelDropped).toBe(sent - got.length); // the event carries it too
    expect(last.counters.appDropped).toBeUndefined(); // the app let nothing go
  });

  it('a larger SO_RCVBUF holds every datagram: all read back in order, none dropped', async () => {
    const t = setup();
    const { id, port } = await udpSession(t, 'manual');
    await t.call('socket.setsockopt', { id, option: 'SO_RCVBUF', value: 8 * 1024 * 1024 });
    await t.call('socket.settimeout', { id, timeoutMs: 0 });
    await sendNumbered(port, 3000);
    const got: number[] = [];
    for (let i = 0; i < 3000; i++) got.push(Buffer.from((await t.call('socket.recvfrom', { id, bufsize: 200 })).data).readUInt32BE(0));
    expect(got).toEqual(Array.from({ length: 3000 }, (_, i) => i));
    expect((await rejection(t.call('socket.recvfrom', { id, bufsize: 200 }))).error.errno?.name).toBe('EAGAIN');
    expect((await info(t, id)).counters).toMatchObject({ chunksIn: 3000, kernelDropped: 0 });
  });

  it('a datagram longer than bufsize: the rest is discarded as the kernel does, and the trace says how long it was', async () => {
    const t = setup();
    const { id, port } = await udpSession(t, 'manual');
    await sendNumbered(port, 1, 100);
    const r = await t.call('socket.recvfrom', { id, bufsize: 10 });
    expect(r.data.byteLength).toBe(10);
    expect(t.engine.get(id).trace.at(-1)!.result).toMatch(/^10 of 100 bytes from 127\.0\.0\.1:\d+ .*MSG_TRUNC/);
  });

  it('two blocking recvfrom calls are served first come, first served', async () => {
    const t = setup();
    const { id, port } = await udpSession(t, 'manual');
    await t.call('socket.settimeout', { id, timeoutMs: 5000 });
    const first = t.call('socket.recvfrom', { id, bufsize: 100 });
    const second = t.call('socket.recvfrom', { id, bufsize: 100 });
    const tx = dgram.createSocket('udp4');
    senders.push(tx);
    tx.send('one', port, '127.0.0.1');
    tx.send('two', port, '127.0.0.1');
    const [a, b] = await Promise.all([first, second]);
    expect([Buffer.from(a.data).toString(), Buffer.from(b.data).toString()]).toEqual(['one', 'two']);
  });

  it('datagrams wait in the kernel until read: switching to auto read shows them, and a waiting recvfrom is told why it ended', async () => {
    const t = setup();
    const { id, port } = await udpSession(t, 'manual');
    const waiting = rejection(t.call('socket.recvfrom', { id, bufsize: 100 }));
    await new Promise((r) => setTimeout(r, 50)); // (the call is waiting)
    await t.call('socket.setReadMode', { id, mode: 'auto' });
    expect((await waiting).error).toMatchObject({ code: 'INVALID_STATE', errno: { name: 'EINVAL' }, message: expect.stringMatching(/switched to auto/) });
    await t.call('socket.setReadMode', { id, mode: 'manual' });
    await sendNumbered(port, 3);
    await new Promise((r) => setTimeout(r, 100));
    expect(t.engine.get(id).counters.chunksIn).toBe(0); // nobody read them: they are in the kernel's queue
    await t.call('socket.setReadMode', { id, mode: 'auto' });
    await expect.poll(() => t.engine.get(id).counters.chunksIn).toBe(3);
  });
});

describe('the kernel\'s drops reach the view', () => {
  it('even when a query (session.list, the CLI\'s status) read the new count first', async () => {
    const t = setup();
    const { id, port } = await udpSession(t, 'manual'); // nothing read: the 4 KiB queue fills, the rest is dropped
    await t.call('socket.setsockopt', { id, option: 'SO_RCVBUF', value: 4096 });
    let told: number | undefined;
    const events = t.router.subscribe((batch: AnyEvent[]) => {
      for (const ev of batch) if (ev.name === 'session.updated' && ev.payload.id === id) told = ev.payload.counters.kernelDropped;
    });
    await sendNumbered(port, 2000, 64);
    let queried = 0;
    await expect.poll(async () => (queried = (await info(t, id)).counters.kernelDropped!)).toBeGreaterThan(0);
    await expect.poll(() => told, { timeout: 5000 }).toBe(queried);
    events.close();
  });
});

describe('sendto to port 0', () => {
  it('is an error on the port field for sendto and for sendRepeat, with the kernel\'s EINVAL', async () => {
    const t = setup();
    const { id } = await udpSession(t, 'auto');
    for (const [method, params] of [
      ['socket.sendto', { id, data: text('x'), address: '127.0.0.1' }],
      ['socket.sendRepeat', { id, data: text('x'), count: 3, address: '127.0.0.1' }],
    ] as const) {
      expect(await t.error(method, params)).toMatchObject({ code: 'OS_ERROR', field: 'port', errno: { name: 'EINVAL' }, message: expect.stringMatching(/port 0 is not a destination/) });
    }
    expect(t.engine.get(id).counters.chunksOut).toBe(0);
  });
});

describe('what the kernel delivered = what the session counted = what the view showed + what it skipped, beside the kernel\'s drops', () => {
  it('a UDP flood at a small receive buffer, through a batcher that must skip', async () => {
    const t = setup();
    const { id, port } = await udpSession(t, 'auto');
    await t.call('socket.setsockopt', { id, option: 'SO_RCVBUF', value: 4096 });
    // The view: a subscriber whose batches hold little data, so it is told what it skipped.
    let shown = 0;
    let skipped = 0;
    let lastUpdate: SessionInfo | undefined;
    const events = t.router.subscribe((batch: AnyEvent[]) => {
      for (const ev of batch) {
        if (ev.name === 'session.data' && ev.payload.id === id && ev.payload.dir === 'in') shown++;
        else if (ev.name === 'session.dropped' && ev.payload.id === id) skipped += ev.payload.chunks;
        else if (ev.name === 'session.updated' && ev.payload.id === id) lastUpdate = ev.payload;
      }
    }, { maxBatchDataBytes: 128 }); // two datagrams a batch: the rest is skipped, and counted
    const sent = 20_000;
    await sendNumbered(port, sent, 64);
    await expect.poll(async () => {
      const c = (await info(t, id)).counters;
      return c.chunksIn + (c.kernelDropped ?? 0);
    }, { timeout: 10_000 }).toBe(sent);
    const c = (await info(t, id)).counters;
    expect(c.kernelDropped).toBeGreaterThan(0); // a 4 KiB buffer cannot hold such a flood
    await expect.poll(() => shown + skipped, { timeout: 5000 }).toBe(c.chunksIn);
    expect(skipped).toBeGreaterThan(0);
    await expect.poll(() => lastUpdate?.counters, { timeout: 5000 }).toMatchObject({ chunksIn: c.chunksIn, kernelDropped: c.kernelDropped });
    events.close();
  });
});
