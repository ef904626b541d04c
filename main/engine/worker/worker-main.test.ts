// The socket worker on real Unix sockets in a temp dir: forked from the TS
// sources with tsx, driven through SocketWorker (and raw IPC for the
// malformed-message test). Every wait is bounded by time.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { native, type NativeAddr } from '../native.js';
import { SocketWorker, SocketWorkerError, WorkerDiedError, type SocketWorkerEvents } from './socket-worker.js';
import { Outbox } from './outbox.js';

const entry = fileURLToPath(new URL('./worker-main.ts', import.meta.url));
const execArgv = ['--import', 'tsx'];
let dir: string;
let w: SocketWorker | undefined;
let raw: ChildProcess | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sockbench-worker-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await w?.stop();
  w = undefined;
  raw?.kill('SIGKILL');
  raw = undefined;
});

const unix = (name: string): NativeAddr => ({ family: 'AF_UNIX', path: join(dir, name) });

function worker(): SocketWorker {
  w = new SocketWorker({ entry, execArgv });
  return w;
}

/** The next `name` event (matching `pick`), or a clear failure after `ms`. */
function next<K extends keyof SocketWorkerEvents>(sw: SocketWorker, name: K, pick: (...a: SocketWorkerEvents[K]) => boolean = () => true, ms = 5000): Promise<SocketWorkerEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sw.off(name, on as never);
      reject(new Error(`no ${String(name)} event within ${ms} ms`));
    }, ms);
    function on(...a: SocketWorkerEvents[K]) {
      if (!pick(...a)) return;
      clearTimeout(timer);
      sw.off(name, on as never);
      resolve(a);
    }
    sw.on(name, on as never);
  });
}

/** Collects `count` data events for a handle, bounded by time. */
function collect(sw: SocketWorker, handle: number, count: number, ms = 5000) {
  const got: SocketWorkerEvents['data'][0][] = [];
  return new Promise<typeof got>((resolve, reject) => {
    const timer = setTimeout(() => {
      sw.off('data', on);
      reject(new Error(`only ${got.length} of ${count} datagrams within ${ms} ms`));
    }, ms);
    function on(ev: SocketWorkerEvents['data'][0]) {
      if (ev.handle !== handle) return;
      got.push(ev);
      if (got.length < count) return;
      clearTimeout(timer);
      sw.off('data', on);
      resolve(got);
    }
    sw.on('data', on);
  });
}

async function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the call to fail');
}

const text = (s: string) => Buffer.from(s);

describe('socket worker', () => {
  it('SOCK_SEQPACKET through the worker keeps message boundaries', async () => {
    const sw = worker();
    const listener = await sw.socket('AF_UNIX', 'SOCK_SEQPACKET');
    await sw.bind(listener, unix('seq.sock'));
    await sw.listen(listener, 4);
    expect(await sw.getsockname(listener)).toEqual(unix('seq.sock'));

    const pending = next(sw, 'pending', (e) => e.handle === listener);
    const client = await sw.socket('AF_UNIX', 'SOCK_SEQPACKET');
    await sw.connect(client, unix('seq.sock'));
    await pending;
    const got = await sw.accept(listener);
    expect(got).not.toBeNull();
    const server = got!.handle;

    expect(await sw.sendall(client, text('hello world'))).toBe(11);
    expect(await sw.send(client, text('two'))).toBe(3);
    const first = await sw.recv(server, 5, 2000);
    expect([first.data.toString(), first.truncated]).toEqual(['hello', true]);
    const second = await sw.recv(server, 100, 2000);
    expect([second.data.toString(), second.truncated]).toEqual(['two', false]);
    expect((await rejection(sw.recv(server, 100, 0))).code).toBe('EAGAIN');
    expect((await rejection(sw.recv(server, 100, 30))).code).toBe('ETIMEDOUT');

    // Auto-read: one event per message, then EOF when the peer closes.
    const three = collect(sw, server, 3);
    await sw.autoRead(server, true);
    for (const m of ['a', 'bb', 'ccc']) await sw.send(client, text(m));
    expect((await three).map((e) => e.data.toString())).toEqual(['a', 'bb', 'ccc']);
    const eof = next(sw, 'eof', (e) => e.handle === server);
    await sw.close(client);
    await eof;

    // Auto-accept: the next connection arrives as an event with its own handle.
    await sw.autoAccept(listener, true);
    const accepted = next(sw, 'accepted', (e) => e.handle === listener);
    const c2 = await sw.socket('AF_UNIX', 'SOCK_SEQPACKET');
    await sw.connect(c2, unix('seq.sock'));
    const [ev] = await accepted;
    expect(ev.peer).toEqual({ family: 'AF_UNIX', path: '' });
    expect(sw.handles()).toEqual(expect.arrayContaining([listener, server, c2, ev.child]));
  });

  it('AF_UNIX datagrams arrive with each sender\'s path', async () => {
    const sw = worker();
    const rx = await sw.socket('AF_UNIX', 'SOCK_DGRAM');
    await sw.bind(rx, unix('rx.sock'));
    const a = await sw.socket('AF_UNIX', 'SOCK_DGRAM');
    const b = await sw.socket('AF_UNIX', 'SOCK_DGRAM');
    await sw.bind(a, unix('a.sock'));
    await sw.bind(b, unix('b.sock'));
    // Manual recvfrom first, then auto-read.
    await sw.sendto(a, text('manual'), unix('rx.sock'));
    const m = await sw.recv(rx, 64, 2000);
    expect([m.data.toString(), m.from]).toEqual(['manual', unix('a.sock')]);

    const three = collect(sw, rx, 3);
    await sw.autoRead(rx, true);
    await sw.sendto(a, text('from a'), unix('rx.sock'));
    await sw.sendto(b, text('from b'), unix('rx.sock'));
    await sw.sendall(a, new Uint8Array(0)).catch((e: Error) => e); // not connected: no peer for send
    await sw.sendto(b, new Uint8Array(0), unix('rx.sock')); // an empty datagram is data, not EOF
    const got = await three;
    expect(got.map((e) => [e.data.toString(), e.from])).toEqual([
      ['from a', unix('a.sock')],
      ['from b', unix('b.sock')],
      ['', unix('b.sock')],
    ]);
    expect((await rejection(sw.sendto(a, text('x'), unix('nobody.sock')))).code).toBe('ENOENT');
  });

  it('answers a malformed request with an error and keeps working', async () => {
    // Raw IPC, as a buggy or hostile sender would talk.
    raw = fork(entry, ['--generation=7'], { serialization: 'advanced', execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const replies: unknown[] = [];
    raw.on('message', (m) => replies.push(m));
    const until = async (count: number) => {
      for (let i = 0; i < 500 && replies.filter((r) => (r as { rid?: unknown }).rid !== undefined).length < count; i++) await new Promise((r) => setTimeout(r, 10));
    };
    for (const m of ['hello', 42, null, [], {}, { rid: 1 }, { rid: 2, op: 'nope', args: [] }, { rid: 3, op: 'socket', args: ['AF_INET'] }, { rid: 4, op: 'recv', args: [1, -5, null] }, { rid: 5, op: '__proto__', args: [] }, { rid: -1, op: 'socket', args: ['AF_UNIX', 'SOCK_DGRAM'] }, { rid: 6, op: 'close', args: [12345] }]) {
      raw.send(m as never);
    }
    raw.send({ rid: 7, op: 'socket', args: ['AF_UNIX', 'SOCK_DGRAM'] });
    await until(13);
    const answers = replies.filter((r) => (r as { rid?: unknown }).rid !== undefined) as { rid: number | null; ok: boolean; error?: { code: string; errno: number; message: string }; result?: unknown }[];
    expect(answers.map((r) => r.rid)).toEqual([null, null, null, null, null, 1, 2, 3, 4, 5, null, 6, 7]);
    expect(answers.slice(0, 12).map((r) => (r.ok ? 'ok' : r.error!.code))).toEqual([...Array(11).fill('EINVAL'), 'EBADF']);
    expect(answers.find((r) => r.rid === 2)!.error!.message).toMatch(/unknown op/);
    expect(answers.find((r) => r.rid === 3)!.error).toMatchObject({ errno: -22, message: expect.stringMatching(/wrong number of arguments/) });
    expect(answers.at(-1)).toEqual({ rid: 7, ok: true, result: 7 * 2 ** 32 + 1 });
    expect(raw.exitCode).toBeNull();

    // Through the client, a bad op is an error too.
    const sw = worker();
    const untyped = sw.call.bind(sw) as (op: string, ...args: unknown[]) => Promise<unknown>;
    expect(await rejection(untyped('bogus'))).toBeInstanceOf(SocketWorkerError);
    expect((await rejection(sw.call('bind', 1, { family: 'AF_UNIX' } as never))).code).toBe('EINVAL');
    expect((await rejection(sw.close(99)))).toMatchObject({ code: 'EBADF', errno: -9 });
  });

  it('a SIGKILLed worker rejects in-flight calls naming the signal, reports lost handles, and restarts', async () => {
    const sw = worker();
    const listener = await sw.socket('AF_UNIX', 'SOCK_STREAM');
    await sw.bind(listener, unix('kill.sock'));
    await sw.listen(listener, 4);
    const client = await sw.socket('AF_UNIX', 'SOCK_STREAM');
    await sw.connect(client, unix('kill.sock'));
    const server = (await sw.accept(listener, 2000))!.handle;
    // Mid-transfer: far more than the socket buffers hold, and nobody reads.
    const sending = sw.sendall(client, new Uint8Array(64 * 1024 * 1024));
    const idle = await sw.socket('AF_UNIX', 'SOCK_DGRAM');
    await sw.bind(idle, unix('idle.sock'));
    const receiving = sw.recv(idle, 10, null).catch((e: Error) => e); // waits forever
    expect((await sw.recv(server, 1, 2000)).data.length).toBe(1); // the transfer is under way
    const firstPid = sw.pid!;
    const died = next(sw, 'died');
    const ready = next(sw, 'ready', (pid) => pid !== firstPid, 10_000);
    process.kill(firstPid, 'SIGKILL');

    const err = await rejection(sending);
    expect(err).toBeInstanceOf(WorkerDiedError);
    expect(err.message).toBe("the socket worker died (SIGKILL); this session's socket was lost");
    expect(await receiving).toBeInstanceOf(WorkerDiedError);
    const [info] = await died;
    expect(info.signal).toBe('SIGKILL');
    expect(info.handles.sort()).toEqual([listener, client, server, idle].sort());
    await ready;

    // The old handles are gone (and never reused); new sockets work.
    expect((await rejection(sw.getsockname(client))).code).toBe('EBADF');
    const rx = await sw.socket('AF_UNIX', 'SOCK_DGRAM');
    expect([listener, client, server]).not.toContain(rx);
    await sw.bind(rx, unix('after.sock'));
    const tx = await sw.socket('AF_UNIX', 'SOCK_DGRAM');
    await sw.sendto(tx, text('alive'), unix('after.sock'));
    expect((await sw.recv(rx, 64, 2000)).data.toString()).toBe('alive');
    expect(sw.handles().sort()).toEqual([rx, tx].sort());
  });

  it('stops reading while the main process has not acknowledged 4 MiB, and resumes under 256 KiB', () => {
    const sent: object[] = [];
    let resumed = 0;
    const box = new Outbox((m) => sent.push(m), () => resumed++);
    box.post({ event: 'ready' }); // control messages need no credit
    box.post({ n: 1 }, 3 * 1024 * 1024);
    expect(box.congested()).toBe(false);
    box.post({ n: 2 }, 2 * 1024 * 1024);
    expect(box.congested()).toBe(true);
    expect(sent).toHaveLength(3); // every message still goes out; the worker stops reading sockets
    box.acked(3 * 1024 * 1024);
    expect([box.congested(), resumed]).toEqual([true, 0]); // 2 MiB still out: above the low mark
    box.acked(2 * 1024 * 1024 - 100 * 1024);
    expect([box.congested(), resumed]).toEqual([false, 1]);
  });

  it('a flood waits in the kernel, not in the worker, while the main process does not drain IPC', async () => {
    const sw = worker();
    const rx = await sw.socket('AF_UNIX', 'SOCK_DGRAM');
    await sw.bind(rx, unix('flood.sock'));
    let received = 0;
    sw.on('data', (ev) => {
      if (ev.handle === rx) received++;
    });
    await sw.autoRead(rx, true);
    const n = native();
    const tx = n.socket('AF_UNIX', 'SOCK_DGRAM', 0, true);
    const payload = new Uint8Array(1024);
    const nap = new Int32Array(new SharedArrayBuffer(4));
    let sent = 0;
    let blockedSince = 0;
    let stalled = false;
    const start = Date.now();
    try {
      // This loop blocks our event loop, so nothing the worker sends is read.
      while (Date.now() - start < 5000 && sent < 200_000) {
        if (n.sendto(tx, payload, unix('flood.sock')) !== null) {
          sent++;
          blockedSince = 0;
        } else if (!blockedSince) {
          blockedSince = Date.now();
        } else if (Date.now() - blockedSince > 500) {
          stalled = true;
          break;
        } else {
          Atomics.wait(nap, 0, 0, 1);
        }
      }
      // The worker stopped reading: the sender stayed blocked for 500 ms.
      // (Without backpressure it reads ~10k datagrams a second into its own memory.)
      expect(stalled).toBe(true);
      expect(sent).toBeLessThan(20_000);
      for (let i = 0; i < 1000 && received < sent; i++) await new Promise((r) => setTimeout(r, 10));
      expect(received).toBe(sent); // and once drained, every datagram arrives
    } finally {
      n.close(tx);
    }
  });
});
