// The seed's calls beyond the first slice, on real sockets: manual accept from
// the kernel's own queue, partial send vs sendall, connect_ex, setblocking and
// gettimeout, echo / reply servers, AF_UNIX streams (paths and abstract names),
// and one listener holding a thousand clients.
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallError } from '../../shared/contract/index.js';
import { harness, rejection, text, until } from '../../test/support/engine-harness.js';
import { OPTIONS } from '../../shared/sockopt/catalogue.js';

let h: ReturnType<typeof harness>;
const extra: { destroy(): void }[] = [];
afterEach(async () => {
  for (const x of extra.splice(0)) x.destroy();
  await h?.close();
});

async function listener(acceptMode: 'auto' | 'manual', backlog = 5) {
  const s = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
  await h.call('socket.bind', { id: s.id, address: '127.0.0.1', port: 0 });
  return h.call('socket.listen', { id: s.id, backlog, acceptMode });
}

/** Plain Node clients, outside the engine, as real peers. */
function nodeClient(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const c = net.connect({ port, host: '127.0.0.1' }, () => resolve(c));
    c.on('error', reject);
    extra.push(c);
  });
}

describe('manual accept uses the kernel queue', () => {
  it('connections wait, counted by the kernel, until accept() takes the oldest', async () => {
    h = harness();
    const srv = await listener('manual');
    expect(srv).toMatchObject({ state: 'listening', acceptMode: 'manual', pending: 0 });
    await nodeClient(srv.local!.port);
    await nodeClient(srv.local!.port);
    // The handshakes completed in the kernel; nothing was accepted into a session.
    await until(() => h.engine.get(srv.id).info().pending === 2, 'two connections in the queue');
    expect(h.engine.list().filter((s) => s.parent === srv.id)).toHaveLength(0);

    const first = await h.call('socket.accept', { id: srv.id });
    expect(first).toMatchObject({ state: 'connected', parent: srv.id });
    expect(h.engine.get(srv.id).info().pending).toBe(1);
    await h.call('socket.accept', { id: srv.id });
    expect(h.engine.get(srv.id).info().pending).toBe(0);

    // Non-blocking with an empty queue: EAGAIN, as the seed says; with a timeout: a timeout error.
    await h.call('socket.setblocking', { id: srv.id, flag: false });
    expect((await rejection(h.call('socket.accept', { id: srv.id }))).error.errno?.name).toBe('EAGAIN');
    await h.call('socket.settimeout', { id: srv.id, timeoutMs: 100 });
    expect((await rejection(h.call('socket.accept', { id: srv.id }))).error.errno?.name).toBe('ETIMEDOUT');
    const calls = h.engine.get(srv.id).trace.map((t) => `${t.call}:${t.ok ? 'ok' : t.errno?.name}`);
    expect(calls).toEqual(expect.arrayContaining(['accept:ok', 'setblocking:ok', 'accept:EAGAIN', 'accept:ETIMEDOUT']));
  });

  it('switching to auto accept takes what waits in the queue; accept() in auto mode says why not', async () => {
    h = harness();
    const srv = await listener('manual');
    await nodeClient(srv.local!.port);
    await until(() => h.engine.get(srv.id).info().pending === 1, 'one waiting');
    await h.call('socket.setAcceptMode', { id: srv.id, mode: 'auto' });
    await until(() => h.engine.list().some((s) => s.parent === srv.id), 'the waiting connection accepted');
    const err = await rejection(h.call('socket.accept', { id: srv.id }));
    expect(err.error).toMatchObject({ code: 'INVALID_STATE', errno: { name: 'EINVAL' } });
    expect(err.message).toMatch(/auto-accept is on/);
  });

  it('beyond the backlog the kernel stops completing handshakes: a connect times out', async () => {
    h = harness();
    const srv = await listener('manual', 1);
    const clients = [];
    // backlog 1 holds two completed connections on Linux (the queue is "full" above backlog).
    for (let i = 0; i < 2; i++) clients.push(await nodeClient(srv.local!.port));
    await until(() => h.engine.get(srv.id).info().pending === 2, 'the queue full');
    const late = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
    const err = await rejection(h.call('socket.connect', { id: late.id, address: '127.0.0.1', port: srv.local!.port, timeoutMs: 400 }));
    expect(err.error.errno?.name).toBe('ETIMEDOUT');
  });
});

describe('send, sendall and connect_ex', () => {
  async function pair() {
    const srv = await listener('auto');
    const cli = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
    await h.call('socket.connect', { id: cli.id, address: '127.0.0.1', port: srv.local!.port });
    const peer = await until(() => h.engine.list().find((s) => s.parent === srv.id), 'accepted');
    return { cli, peer };
  }

  it('send returns what the kernel took: partial against a peer that does not read; sendall queues it all', async () => {
    h = harness();
    const { cli, peer } = await pair();
    await h.call('socket.setReadMode', { id: peer.id, mode: 'manual' });
    await h.call('socket.setblocking', { id: cli.id, flag: false });
    const big = new Uint8Array(8 * 1024 * 1024).fill(0x61);
    const first = await h.call('socket.send', { id: cli.id, data: big });
    expect(first.bytes).toBeGreaterThan(0);
    expect(first.bytes).toBeLessThan(big.byteLength);
    const entry = h.engine.get(cli.id).trace.at(-1)!;
    expect(entry.result).toMatch(new RegExp(`^${first.bytes} of ${big.byteLength} bytes`));
    // Keep sending until the buffers are full: a non-blocking send then gives EAGAIN.
    let err: CallError | undefined;
    for (let i = 0; i < 200 && !err; i++) {
      err = await h.call('socket.send', { id: cli.id, data: big }).then(() => undefined, (e: CallError) => e);
    }
    expect(err?.error.errno?.name).toBe('EAGAIN');

    // sendall with a timeout against a peer that does not read: the timeout error, in the trace.
    await h.call('socket.settimeout', { id: cli.id, timeoutMs: 200 });
    expect((await rejection(h.call('socket.sendall', { id: cli.id, data: big }))).error.errno?.name).toBe('ETIMEDOUT');
    // Once the peer reads, sendall completes with every byte.
    await h.call('socket.setReadMode', { id: peer.id, mode: 'auto' });
    await h.call('socket.settimeout', { id: cli.id, timeoutMs: null });
    expect(await h.call('socket.sendall', { id: cli.id, data: text('tail') })).toEqual({ bytes: 4 });
    const sent = h.engine.get(cli.id).counters.bytesOut;
    await until(() => h.engine.get(peer.id).counters.bytesIn === sent, 'every counted byte at the peer', 10_000);
  });

  it('connect_ex gives the errno as its result instead of failing', async () => {
    h = harness();
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const s = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
    const r = await h.call('socket.connect_ex', { id: s.id, address: '127.0.0.1', port });
    expect(r.errno).toEqual({ name: 'ECONNREFUSED', number: 111 });
    expect(h.engine.get(s.id).trace.at(-1)).toMatchObject({ call: 'connect_ex', ok: false });
    const srv = await listener('auto');
    const ok = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
    expect((await h.call('socket.connect_ex', { id: ok.id, address: '127.0.0.1', port: srv.local!.port })).errno).toBeNull();
    // A bad argument still raises, next to its field.
    const bad = await rejection(h.call('socket.connect_ex', { id: ok.id, address: '::1', port: 1 }));
    expect(bad.error.field).toBe('address');
  });

  it('gettimeout reads back settimeout and setblocking, as Python shows them', async () => {
    h = harness();
    const s = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
    expect(await h.call('socket.gettimeout', { id: s.id })).toEqual({ timeoutMs: null });
    await h.call('socket.settimeout', { id: s.id, timeoutMs: 2500 });
    expect(await h.call('socket.gettimeout', { id: s.id })).toEqual({ timeoutMs: 2500 });
    await h.call('socket.setblocking', { id: s.id, flag: false });
    expect(await h.call('socket.gettimeout', { id: s.id })).toEqual({ timeoutMs: 0 });
    expect(h.engine.get(s.id).trace.filter((t) => t.call === 'gettimeout').map((t) => t.result)).toEqual(['None', '2.5', '0.0']);
  });

  it('fileno is the real descriptor: another process-level call on it sees the same socket', async () => {
    h = harness();
    const srv = await listener('auto');
    expect(srv.fd).toBeGreaterThan(2);
    const { readlinkSync } = await import('node:fs');
    expect(readlinkSync(`/proc/self/fd/${srv.fd}`)).toMatch(/^socket:\[\d+\]$/);
  });
});

describe('echo and reply servers', () => {
  it('a listener in echo mode makes every accepted connection echo; reply mode answers each message', async () => {
    h = harness();
    const srv = await listener('auto');
    await h.call('socket.setServeMode', { id: srv.id, mode: 'echo' });
    const c = await nodeClient(srv.local!.port);
    const got: Buffer[] = [];
    c.on('data', (d: Buffer) => got.push(d));
    const ping = Buffer.from([0x70, 0x69, 0x6e, 0x67, 0x00, 0xff]);
    c.write(ping);
    await until(() => Buffer.concat(got).equals(ping), 'the echo');

    const udp = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_DGRAM' });
    const bound = await h.call('socket.bind', { id: udp.id, address: '127.0.0.1', port: 0 });
    await h.call('socket.setServeMode', { id: udp.id, mode: 'reply', reply: text('pong') });
    const sender = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_DGRAM' });
    await h.call('socket.bind', { id: sender.id, address: '127.0.0.1', port: 0 });
    await h.call('socket.sendto', { id: sender.id, data: text('one'), address: '127.0.0.1', port: bound.local!.port });
    await until(() => h.received(sender.id).toString() === 'pong', 'the reply at the sender');

    const bad = await rejection(h.call('socket.setServeMode', { id: udp.id, mode: 'reply' }));
    expect(bad.error.field).toBe('reply');
  });
});

describe('AF_UNIX streams', () => {
  it('bind to a path and to an abstract name; connect, exchange bytes, names from the kernel', async () => {
    h = harness();
    const dir = mkdtempSync(join(tmpdir(), 'sockbench-'));
    try {
      for (const address of [join(dir, 'srv.sock'), `@sockbench-test-${process.pid}`]) {
        const srv = await h.call('socket.create', { family: 'AF_UNIX', type: 'SOCK_STREAM' });
        const bound = await h.call('socket.bind', { id: srv.id, address });
        expect(bound.local).toEqual({ family: 'AF_UNIX', address, port: 0 });
        await h.call('socket.listen', { id: srv.id, backlog: 4 });
        const cli = await h.call('socket.create', { family: 'AF_UNIX', type: 'SOCK_STREAM' });
        const connected = await h.call('socket.connect', { id: cli.id, address });
        expect(connected.peer).toEqual({ family: 'AF_UNIX', address, port: 0 });
        const peer = await until(() => h.engine.list().find((s) => s.parent === srv.id), 'accepted');
        await h.call('socket.send', { id: cli.id, data: text('over unix') });
        await until(() => h.received(peer.id).toString() === 'over unix', 'bytes at the server');
      }
      // An IP address on an AF_UNIX socket, and a missing path, are named on the address field.
      const s = await h.call('socket.create', { family: 'AF_UNIX', type: 'SOCK_STREAM' });
      expect((await rejection(h.call('socket.bind', { id: s.id, address: '127.0.0.1' }))).error).toMatchObject({ field: 'address', errno: { name: 'EAFNOSUPPORT' } });
      const missing = await rejection(h.call('socket.connect', { id: s.id, address: join(dir, 'nobody.sock') }));
      expect(missing.error).toMatchObject({ field: 'address', errno: { name: 'ENOENT' } });
      // connect_ex gives the same kernel answer as its result.
      const s2 = await h.call('socket.create', { family: 'AF_UNIX', type: 'SOCK_STREAM' });
      expect((await h.call('socket.connect_ex', { id: s2.id, address: join(dir, 'nobody.sock') })).errno?.name).toBe('ENOENT');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a path over 107 bytes is refused by the schema, before any call', async () => {
    h = harness();
    const s = await h.call('socket.create', { family: 'AF_UNIX', type: 'SOCK_STREAM' });
    const err = await rejection(h.call('socket.bind', { id: s.id, address: `/tmp/${'x'.repeat(120)}` }));
    expect(err.error).toMatchObject({ code: 'BAD_REQUEST', field: 'address' });
    expect(err.message).toMatch(/at most 107 bytes/);
  });
});

describe('a listener with many clients', () => {
  it('holds 1,000 connections as sessions, and the bridge still answers', async () => {
    h = harness();
    const srv = await listener('auto', 1024);
    const N = 1000;
    for (let i = 0; i < N; i += 100) {
      await Promise.all(Array.from({ length: 100 }, () => nodeClient(srv.local!.port)));
    }
    await until(() => h.engine.list().filter((s) => s.parent === srv.id).length === N, `${N} accepted sessions`, 20_000);
    const list = await h.call('session.list', {});
    expect(list.sessions.filter((s) => s.parent === srv.id && s.state === 'connected')).toHaveLength(N);
  }, 60_000);
});

describe('bad input gets the kernel errno and a sentence', () => {
  it('calls in the wrong state: send before connect, listen on UDP, accept on a non-listener, recv on a listener', async () => {
    h = harness();
    const tcp = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
    const udp = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_DGRAM' });
    const cases: [Promise<unknown>, string][] = [
      [h.call('socket.send', { id: tcp.id, data: text('x') }), 'EPIPE'],
      [h.call('socket.sendall', { id: tcp.id, data: text('x') }), 'EPIPE'],
      [h.call('socket.listen', { id: udp.id, backlog: 1 }), 'EOPNOTSUPP'],
      [h.call('socket.accept', { id: tcp.id }), 'EINVAL'],
      [h.call('socket.accept', { id: udp.id }), 'EOPNOTSUPP'],
      [h.call('socket.getpeername', { id: tcp.id }), 'ENOTCONN'],
      [h.call('socket.send', { id: udp.id, data: text('x') }), 'EDESTADDRREQ'],
    ];
    for (const [call, errno] of cases) {
      const err = await rejection(call);
      expect(err.error.errno?.name, err.message).toBe(errno);
      expect(err.message.length, 'a sentence, not just a code').toBeGreaterThan(errno.length + 12);
    }
  });
});

describe('every socket option refuses a value out of its range, on the value field', () => {
  it.each(OPTIONS.filter((o) => o.kind === 'int' && !o.readOnly).map((o) => [o.name, o] as const))('%s', async (_name, o) => {
    h = harness();
    const stream = o.types.includes('SOCK_STREAM');
    const s = await h.call('socket.create', { family: o.families.includes('AF_INET') ? 'AF_INET' : 'AF_INET6', type: stream ? 'SOCK_STREAM' : 'SOCK_DGRAM' });
    for (const value of [(o as { max: number }).max + 1, (o as { min: number }).min - 1, 1.5]) {
      const err = await rejection(h.call('socket.setsockopt', { id: s.id, option: o.name, value }));
      expect(err.error).toMatchObject({ code: 'BAD_REQUEST', field: 'value' });
      expect(err.message).toMatch(new RegExp(`${o.name}.*\\d`));
    }
  });
});

describe('IPv6: dual stack, IPV6_V6ONLY and scope ids', () => {
  it('a :: listener takes IPv4 clients as ::ffff: addresses unless IPV6_V6ONLY is set before bind', async () => {
    h = harness();
    for (const v6only of [false, true]) {
      const s = await h.call('socket.create', { family: 'AF_INET6', type: 'SOCK_STREAM' });
      await h.call('socket.setsockopt', { id: s.id, option: 'IPV6_V6ONLY', value: v6only });
      const bound = await h.call('socket.bind', { id: s.id, address: '::', port: 0 });
      await h.call('socket.listen', { id: s.id, backlog: 4 });
      const c = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
      const r = await h.call('socket.connect_ex', { id: c.id, address: '127.0.0.1', port: bound.local!.port, timeoutMs: 2000 });
      if (v6only) {
        expect(r.errno?.name).toBe('ECONNREFUSED');
      } else {
        expect(r.errno).toBeNull();
        const acc = await until(() => h.engine.list().find((x) => x.parent === s.id), 'accepted');
        expect(acc.peer?.address).toBe('::ffff:127.0.0.1');
      }
    }
  });

  it('a scope id names the interface: ::1%lo binds, an unknown interface is ENODEV on the address field', async () => {
    h = harness();
    const s = await h.call('socket.create', { family: 'AF_INET6', type: 'SOCK_DGRAM' });
    const bad = await rejection(h.call('socket.bind', { id: s.id, address: 'fe80::1%nosuchif0', port: 0 }));
    expect(bad.error).toMatchObject({ field: 'address', errno: { name: 'ENODEV' } });
    const ok = await h.call('socket.bind', { id: s.id, address: '::1%lo', port: 0 });
    expect(ok.local?.address).toMatch(/^::1/);
  });
});
