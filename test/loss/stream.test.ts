// Nothing lost silently, streams (issue 16, items 3, 6 and 9): data after
// SHUT_RD is still read and counted, as Linux keeps it; a peer's reset shows
// in manual read mode without a recv; blocking calls wait on readiness (no
// attempt while nothing changes) and are served in order; and the bytes a
// TCP peer sent = what the session counted = what the view showed + skipped.
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AnyEvent } from '../../shared/contract/index.js';
import { native } from '../../main/engine/native.js';
import type * as NativeModule from '../../main/engine/native.js';
import { harness, rejection, until } from '../support/engine-harness.js';

// The addon's functions cannot be replaced (its exports are read-only): the engine gets a
// counting view of it, so a test can tell whether a waiting call keeps trying.
const calls = vi.hoisted(() => ({ accept: 0, send: 0 }));
vi.mock('../../main/engine/native.js', async (importOriginal) => {
  const real = await importOriginal<typeof NativeModule>();
  let view: ReturnType<typeof real.native> | undefined;
  return {
    ...real,
    native: () =>
      // (over an empty target: the addon's own properties are read-only, which a proxy must not disguise)
      (view ??= new Proxy({} as ReturnType<typeof real.native>, {
        get(_, key) {
          const addon = real.native();
          const v = Reflect.get(addon, key) as unknown;
          if ((key === 'accept' || key === 'send') && typeof v === 'function') {
            return (...a: unknown[]) => {
              calls[key]++;
              return (v as (...x: unknown[]) => unknown).apply(addon, a);
            };
          }
          return v;
        },
      })),
  };
});

let h: ReturnType<typeof harness> | undefined;
const peers: net.Socket[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.destroy();
  await h?.close();
  h = undefined;
});

function setup() {
  h = harness();
  return h;
}

async function listener(t: ReturnType<typeof harness>, acceptMode: 'auto' | 'manual' = 'auto') {
  const l = await t.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
  const b = await t.call('socket.bind', { id: l.id, address: '127.0.0.1', port: 0 });
  await t.call('socket.listen', { id: l.id, backlog: 64, acceptMode });
  return { id: l.id, port: b.local!.port };
}

function peer(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1', () => resolve(c));
    c.on('error', reject);
    peers.push(c);
  });
}

/** A connected pair: our accepted session and the peer's socket. */
async function accepted(t: ReturnType<typeof harness>) {
  const l = await listener(t);
  const c = await peer(l.port);
  const child = await until(() => t.engine.list().find((s) => s.parent === l.id), 'the accepted session');
  return { id: child.id, c };
}

const write = (c: net.Socket, b: Buffer) => new Promise<void>((r) => c.write(b, () => r()));

describe('TCP data after shutdown(SHUT_RD)', () => {
  it('auto read: 1 MiB the peer sends afterwards is read and counted, and the trace says why', async () => {
    const t = setup();
    const { id, c } = await accepted(t);
    await t.call('socket.shutdown', { id, how: 'SHUT_RD' });
    await write(c, Buffer.alloc(1 << 20, 7));
    await expect.poll(() => t.engine.get(id).counters.bytesIn, { timeout: 10_000 }).toBe(1 << 20);
    expect(t.engine.get(id).trace.some((e) => e.call === 'recv' && /after shutdown\(SHUT_RD\).*Linux still queues and delivers/.test(e.result ?? ''))).toBe(true);
  });

  it('manual read: recv returns what the peer sent afterwards, then 0 at once when nothing is queued', async () => {
    const t = setup();
    const { id, c } = await accepted(t);
    await t.call('socket.setReadMode', { id, mode: 'manual' });
    await t.call('socket.shutdown', { id, how: 'SHUT_RD' });
    await write(c, Buffer.from('after'));
    await new Promise((r) => setTimeout(r, 50));
    expect(Buffer.from((await t.call('socket.recv', { id, bufsize: 100 })).data).toString()).toBe('after');
    expect((await t.call('socket.recv', { id, bufsize: 100 })).data.byteLength).toBe(0); // not a wait: SHUT_RD's 0
    expect(t.engine.get(id).counters.bytesIn).toBe(5);
  });
});

describe('a peer reset in manual read mode', () => {
  it('shows at once, with ECONNRESET, while unread data waits (no recv needed)', async () => {
    const t = setup();
    const { id, c } = await accepted(t);
    await t.call('socket.setReadMode', { id, mode: 'manual' });
    c.write(Buffer.alloc(4 << 20)); // more than Node reads ahead: the rest stays in the kernel
    await new Promise((r) => setTimeout(r, 200));
    c.resetAndDestroy();
    await expect.poll(() => t.engine.get(id).state, { timeout: 5000 }).toBe('error');
    expect(t.engine.get(id).info().lastError).toMatchObject({ errno: { name: 'ECONNRESET' } });
    expect(t.engine.get(id).trace.at(-1)).toMatchObject({ call: 'recv', ok: false, errno: { name: 'ECONNRESET' } });
  });
});

describe('blocking calls wait on readiness, in order', () => {
  it('50 blocking accepts make no accept(2) while nothing arrives, then take 3 connections first come, first served', async () => {
    const t = setup();
    const l = await listener(t, 'manual');
    const before = calls.accept;
    const waiting = Array.from({ length: 50 }, () => t.call('socket.accept', { id: l.id }).then((s) => s.id, () => null));
    await new Promise((r) => setTimeout(r, 100));
    const tried = calls.accept - before;
    expect(tried).toBeLessThanOrEqual(50); // at most one try each, when it was called
    await new Promise((r) => setTimeout(r, 400));
    expect(calls.accept - before).toBe(tried); // then none: they wait on the listener's readiness, none polls
    for (let i = 0; i < 3; i++) {
      await peer(l.port);
      await expect.poll(async () => (await Promise.race([waiting[i]!, new Promise((r) => setTimeout(() => r('pending'), 10))])) !== 'pending').toBe(true);
    }
    const done = await Promise.all(waiting.slice(0, 3));
    expect(done.every((x) => typeof x === 'number')).toBe(true);
    expect(done).toEqual([...done].sort((a, b) => a! - b!)); // the first caller got the first connection
    await t.call('socket.close', { id: l.id });
    const rest = await Promise.all(waiting.slice(3));
    expect(rest.every((x) => x === null)).toBe(true); // closing ended them (EBADF)
  });

  it('a blocking send waits for room without retrying, then goes when the peer reads', async () => {
    const t = setup();
    const l = await listener(t);
    // A peer that reads nothing, with a small receive buffer: our send buffer really fills.
    const n = native();
    const fd = n.socket('AF_INET', 'SOCK_STREAM');
    const small = Buffer.alloc(4);
    small.writeInt32LE(4096);
    n.setsockopt(fd, n.constants.SOL_SOCKET, n.constants.SO_RCVBUF, small);
    n.connect(fd, { family: 'AF_INET', address: '127.0.0.1', port: l.port });
    const id = (await until(() => t.engine.list().find((s) => s.parent === l.id), 'the accepted session')).id;
    await t.call('socket.setsockopt', { id, option: 'SO_SNDBUF', value: 4096 });
    await t.call('socket.settimeout', { id, timeoutMs: 0 });
    const chunk = new Uint8Array(65536);
    const fill = async () => {
      for (;;) {
        const e = await t.call('socket.send', { id, data: chunk }).then(() => null, (x: { error: { errno?: { name: string } } }) => x.error);
        if (e) return expect(e.errno?.name).toBe('EAGAIN');
      }
    };
    await fill();
    await new Promise((r) => setTimeout(r, 100));
    await fill(); // (what moved on to the peer meanwhile is topped up)
    await t.call('socket.settimeout', { id, timeoutMs: null });
    let sent = false;
    const blocked = t.call('socket.send', { id, data: chunk }).then((r) => ((sent = true), r));
    await new Promise((r) => setTimeout(r, 100));
    const before = calls.send;
    await new Promise((r) => setTimeout(r, 400));
    expect(sent).toBe(false); // still waiting for room…
    expect(calls.send - before).toBe(0); // …without trying again: nothing changed
    for (let i = 0; i < 200 && !sent; i++) {
      n.recv(fd, 1 << 20); // the peer reads: room comes, and the send goes
      await new Promise((r) => setTimeout(r, 10));
    }
    expect((await blocked).bytes).toBeGreaterThan(0);
    n.close(fd);
  });

  it('a timeout still ends a wait, and closing the socket ends it with EBADF', async () => {
    const t = setup();
    const l = await listener(t, 'manual');
    await t.call('socket.settimeout', { id: l.id, timeoutMs: 100 });
    expect((await rejection(t.call('socket.accept', { id: l.id }))).error.errno?.name).toBe('ETIMEDOUT');
    await t.call('socket.settimeout', { id: l.id, timeoutMs: null });
    const waiting = rejection(t.call('socket.accept', { id: l.id }));
    await new Promise((r) => setTimeout(r, 50));
    await t.call('socket.close', { id: l.id });
    expect((await waiting).error.errno?.name).toBe('EBADF');
  });
});

describe('what the peer sent = what the session counted = what the view showed + what it skipped', () => {
  it('4 MiB from a TCP peer through a batcher that must skip', async () => {
    const t = setup();
    const { id, c } = await accepted(t);
    let shown = 0;
    let skipped = 0;
    const events = t.router.subscribe((batch: AnyEvent[]) => {
      for (const ev of batch) {
        if (ev.name === 'session.data' && ev.payload.id === id && ev.payload.dir === 'in') shown += ev.payload.bytes.byteLength;
        else if (ev.name === 'session.dropped' && ev.payload.id === id) skipped += ev.payload.bytes;
      }
    }, { maxBatchDataBytes: 64 * 1024 });
    const total = 4 << 20;
    await write(c, Buffer.alloc(total, 1));
    await expect.poll(() => t.engine.get(id).counters.bytesIn, { timeout: 10_000 }).toBe(total);
    await expect.poll(() => shown + skipped, { timeout: 5000 }).toBe(total);
    expect(skipped).toBeGreaterThan(0);
    expect(t.engine.get(id).counters.appDropped).toBeUndefined();
    events.close();
  });
});
