// The engine on real loopback sockets: no mocks of the kernel.
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import dgram from 'node:dgram';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { harness, rejection, text, until } from '../../test/support/engine-harness.js';
import { kernelStampsOn } from '../../test/support/kernel-stamps.js';
import { nowUs } from '../core/clock.js';
import { native } from './native.js';

let h: ReturnType<typeof harness>;
afterEach(async () => h?.close());

async function server(family: 'AF_INET' | 'AF_INET6' = 'AF_INET') {
  const s = await h.call('socket.create', { family, type: 'SOCK_STREAM' });
  const bound = await h.call('socket.bind', { id: s.id, address: family === 'AF_INET' ? '127.0.0.1' : '::1', port: 0 });
  await h.call('socket.listen', { id: s.id, backlog: 5 });
  return bound;
}

describe('TCP sessions', () => {
  it('bind to port 0 shows the ephemeral port before listen, and a client talks to the accepted session', async () => {
    h = harness();
    const srv = await server();
    expect(srv.state).toBe('bound');
    expect(srv.local?.port).toBeGreaterThan(1023);
    const cli = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
    const connected = await h.call('socket.connect', { id: cli.id, address: '127.0.0.1', port: srv.local!.port, timeoutMs: 2000 });
    expect(connected.state).toBe('connected');
    expect(connected.peer).toEqual({ family: 'AF_INET', address: '127.0.0.1', port: srv.local!.port });
    const accepted = await until(() => h.engine.list().find((s) => s.parent === srv.id), 'the accepted session');
    expect(accepted.state).toBe('connected');
    expect(accepted.peer?.port).toBe(connected.local?.port);

    expect(await h.call('socket.send', { id: cli.id, data: text('hello\r\n') })).toEqual({ bytes: 7 });
    await until(() => h.received(accepted.id).length === 7, 'hello at the server');
    expect(h.received(accepted.id).toString()).toBe('hello\r\n');
    await h.call('socket.send', { id: accepted.id, data: text('welcome') });
    await until(() => h.received(cli.id).toString() === 'welcome', 'the reply at the client');
    expect(h.engine.get(cli.id).counters).toMatchObject({ bytesOut: 7, bytesIn: 7 });

    const trace = h.engine.get(srv.id).trace.map((t) => t.call);
    expect(trace).toEqual(['socket', 'bind', 'listen', 'accept']);
  });

  it('works over IPv6 loopback', async () => {
    h = harness();
    const srv = await server('AF_INET6');
    const cli = await h.call('socket.create', { family: 'AF_INET6', type: 'SOCK_STREAM' });
    await h.call('socket.connect', { id: cli.id, address: '::1', port: srv.local!.port });
    expect(await h.call('socket.getpeername', { id: cli.id })).toEqual({ family: 'AF_INET6', address: '::1', port: srv.local!.port });
  });

  it('connect to a closed port fails with ECONNREFUSED (111), in the trace and as the error', async () => {
    h = harness();
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r)); // now nothing listens there
    const cli = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
    const err = await rejection(h.call('socket.connect', { id: cli.id, address: '127.0.0.1', port }));
    expect(err.error.errno).toEqual({ name: 'ECONNREFUSED', number: 111 });
    expect(err.message).toMatch(/ECONNREFUSED \(111\)/);
    const last = h.engine.get(cli.id).trace.at(-1)!;
    expect(last).toMatchObject({ call: 'connect', ok: false, errno: { name: 'ECONNREFUSED', number: 111 } });
    expect(h.engine.get(cli.id).state).toBe('error');
  });

  it('connect times out against a listener whose accept queue is full', async () => {
    h = harness();
    // Python's listen(0) without accept: the kernel's queue fills and further SYNs are dropped.
    const py = spawn('python3', ['-c', [
      'import socket,sys,time', 's=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(0)',
      'print(s.getsockname()[1], flush=True)', 'time.sleep(30)',
    ].join('\n')]);
    try {
      const port = Number(await new Promise<string>((r) => py.stdout.once('data', (d) => r(String(d)))));
      const fillers = [0, 1, 2].map(() => net.connect(port, '127.0.0.1').on('error', () => undefined));
      // listen(0) holds one connection: once one filler is through, the queue is full and SYNs are dropped.
      await Promise.race(fillers.map((f) => new Promise((r) => f.once('connect', r))));
      const cli = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
      const err = await rejection(h.call('socket.connect', { id: cli.id, address: '127.0.0.1', port, timeoutMs: 300 }));
      expect(err.error.errno?.name).toBe('ETIMEDOUT');
      expect(err.message).toMatch(/within 300 ms/);
      fillers.forEach((f) => f.destroy());
    } finally {
      py.kill();
    }
  });

  it('bind to a port in use gives EADDRINUSE on the port field', async () => {
    h = harness();
    const first = await server();
    const second = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
    const err = await rejection(h.call('socket.bind', { id: second.id, address: '127.0.0.1', port: first.local!.port }));
    expect(err.error).toMatchObject({ code: 'OS_ERROR', field: 'port', errno: { name: 'EADDRINUSE', number: 98 } });
  });

  it('refuses calls in the wrong state with the errno the kernel gives', async () => {
    h = harness();
    const s = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
    expect((await rejection(h.call('socket.send', { id: s.id, data: text('x') }))).error.errno?.name).toBe('EPIPE');
    expect((await rejection(h.call('socket.getpeername', { id: s.id }))).error.errno?.name).toBe('ENOTCONN');
    await h.call('socket.bind', { id: s.id, address: '127.0.0.1', port: 0 });
    expect((await rejection(h.call('socket.bind', { id: s.id, address: '127.0.0.1', port: 0 }))).error.errno?.name).toBe('EINVAL');
    await h.call('socket.listen', { id: s.id, backlog: 1 });
    expect((await rejection(h.call('socket.connect', { id: s.id, address: '127.0.0.1', port: 1 }))).error.errno?.name).toBe('EISCONN');
    await h.call('socket.close', { id: s.id });
    expect((await rejection(h.call('socket.close', { id: s.id }))).error.errno?.name).toBe('EBADF');
  });

  it('an IPv6 address on an AF_INET socket is refused on the address field', async () => {
    h = harness();
    const s = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
    const err = await rejection(h.call('socket.bind', { id: s.id, address: '::1', port: 0 }));
    expect(err.error).toMatchObject({ field: 'address', errno: { name: 'EAFNOSUPPORT' } });
  });

  it('manual read mode: recv(bufsize) reads at most bufsize, and times out with no data', async () => {
    h = harness();
    const srv = await server();
    const cli = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
    await h.call('socket.connect', { id: cli.id, address: '127.0.0.1', port: srv.local!.port });
    const acc = await until(() => h.engine.list().find((s) => s.parent === srv.id), 'accept');
    await h.call('socket.setReadMode', { id: acc.id, mode: 'manual' });
    await h.call('socket.settimeout', { id: acc.id, timeoutMs: 200 });
    const err = await rejection(h.call('socket.recv', { id: acc.id, bufsize: 4 }));
    expect(err.error.errno?.name).toBe('ETIMEDOUT');
    await h.call('socket.send', { id: cli.id, data: text('abcdefghij') });
    const parts: string[] = [];
    while (parts.join('').length < 10) {
      const { data } = await h.call('socket.recv', { id: acc.id, bufsize: 4 });
      expect(data.byteLength).toBeLessThanOrEqual(4);
      parts.push(Buffer.from(data).toString());
    }
    expect(parts.join('')).toBe('abcdefghij');
    await h.call('socket.settimeout', { id: acc.id, timeoutMs: 0 });
    expect((await rejection(h.call('socket.recv', { id: acc.id, bufsize: 4 }))).error.errno?.name).toBe('EAGAIN');
  });

  it('shutdown(SHUT_WR) sends FIN: the peer sees end of stream and both sides are half-closed', async () => {
    h = harness();
    const srv = await server();
    const cli = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
    await h.call('socket.connect', { id: cli.id, address: '127.0.0.1', port: srv.local!.port });
    const acc = await until(() => h.engine.list().find((s) => s.parent === srv.id), 'accept');
    const after = await h.call('socket.shutdown', { id: cli.id, how: 'SHUT_WR' });
    expect(after.state).toBe('half-closed');
    await until(() => acc.state === 'half-closed', 'the FIN at the server');
    expect(acc.trace.at(-1)?.result).toMatch(/FIN/);
    expect((await rejection(h.call('socket.send', { id: cli.id, data: text('x') }))).error.errno?.name).toBe('EPIPE');
    // The other direction still works.
    await h.call('socket.send', { id: acc.id, data: text('still here') });
    await until(() => h.received(cli.id).toString() === 'still here', 'data after half-close');
  });

  it('a peer that resets mid-transfer puts the session in error with ECONNRESET; other sessions live on', async () => {
    h = harness();
    const srv = await server();
    const peer = net.connect(srv.local!.port, '127.0.0.1');
    await new Promise((r) => peer.once('connect', r));
    const other = net.connect(srv.local!.port, '127.0.0.1');
    await new Promise((r) => other.once('connect', r));
    const [a, b] = await until(() => {
      const acc = h.engine.list().filter((s) => s.parent === srv.id);
      return acc.length === 2 && acc;
    }, 'two accepted sessions');
    peer.write('partial');
    await until(() => h.received(a!.id).length === 7, 'partial data');
    peer.resetAndDestroy();
    await until(() => a!.state === 'error', 'the reset');
    expect(a!.lastError?.errno?.name).toBe('ECONNRESET');
    other.write('fine');
    await until(() => h.received(b!.id).toString() === 'fine', 'the other session still receiving');
    expect(b!.state).toBe('connected');
    other.destroy();
  });
});

describe('UDP sessions', () => {
  it('sendto and recvfrom keep datagram boundaries and show each source address', async () => {
    h = harness();
    const rx = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_DGRAM' });
    const bound = await h.call('socket.bind', { id: rx.id, address: '127.0.0.1', port: 0 });
    await h.call('socket.setReadMode', { id: rx.id, mode: 'manual' });
    const tx = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_DGRAM' });
    await h.call('socket.sendto', { id: tx.id, data: text('one'), address: '127.0.0.1', port: bound.local!.port });
    await h.call('socket.sendto', { id: tx.id, data: text('second'), address: '127.0.0.1', port: bound.local!.port });
    const txLocal = await h.call('socket.getsockname', { id: tx.id });
    expect(txLocal.port).toBeGreaterThan(0); // the kernel bound it on first send
    const first = await h.call('socket.recvfrom', { id: rx.id, bufsize: 100 });
    expect(Buffer.from(first.data).toString()).toBe('one');
    expect(first.from).toEqual({ family: 'AF_INET', address: '127.0.0.1', port: txLocal.port });
    const second = await h.call('socket.recvfrom', { id: rx.id, bufsize: 3 });
    expect(Buffer.from(second.data).toString()).toBe('sec'); // truncated like the kernel does
  });

  it('auto-read: datagrams that waited while the engine was busy come in order, counted exactly, each with its source and the kernel\'s arrival time', async () => {
    const stamps = await kernelStampsOn();
    onTestFinished(() => stamps.release());
    h = harness();
    const rx = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_DGRAM' });
    const port = (await h.call('socket.bind', { id: rx.id, address: '127.0.0.1', port: 0 })).local!.port;
    // Peers that send synchronously (dgram's send waits for an address lookup, i.e. for the event loop).
    const n = native();
    const to = { family: 'AF_INET' as const, address: '127.0.0.1', port };
    const peers = [0, 1].map(() => {
      const fd = n.socket('AF_INET', 'SOCK_DGRAM', 0, true);
      n.bind(fd, { family: 'AF_INET', address: '127.0.0.1', port: 0 });
      return { fd, port: (n.getsockname(fd) as { port: number }).port, send: (body: string) => n.sendto(fd, Buffer.from(body), to) };
    });
    try {
      const sent: { text: string; port: number }[] = [];
      for (let i = 0; i < 300; i++) {
        const p = peers[Math.floor(i / 7) % 2]!;
        const body = `#${i}`.padEnd(1 + (i % 50), '.');
        sent.push({ text: body, port: p.port });
        p.send(body);
      }
      // Keep the engine from reading for 60 ms: what it reads afterwards still carries when it arrived.
      const busyFrom = nowUs();
      while (nowUs() - busyFrom < 60_000) { /* busy */ }
      const readAfter = nowUs();
      await until(() => h.engine.get(rx.id).counters.chunksIn === 300, 'all 300 datagrams');
      const got = h.engine.get(rx.id).data.toArray().filter((d) => d.dir === 'in');
      expect(got.map((d) => Buffer.from(d.bytes).toString())).toEqual(sent.map((x) => x.text));
      expect(got.map((d) => d.addr?.port)).toEqual(sent.map((x) => x.port));
      expect(h.engine.get(rx.id).counters.bytesIn).toBe(sent.reduce((n, x) => n + x.text.length, 0));
      expect(got[0]!.tUs).toBeLessThan(readAfter - 40_000);
      expect(h.engine.get(rx.id).trace[0]!.result).toMatch(/SO_TIMESTAMPNS set by Sockbench: each datagram's time is when the kernel received it/);
      for (let i = 1; i < got.length; i++) expect(got[i]!.tUs).toBeGreaterThan(got[i - 1]!.tUs);

      // Manual mode leaves the next one in the kernel for recvfrom; auto-read then goes on.
      await h.call('socket.setReadMode', { id: rx.id, mode: 'manual' });
      peers[0]!.send('waits');
      const waited = await h.call('socket.recvfrom', { id: rx.id, bufsize: 100 });
      expect(Buffer.from(waited.data).toString()).toBe('waits');
      await h.call('socket.setReadMode', { id: rx.id, mode: 'auto' });
      peers[1]!.send('shown');
      await until(() => h.received(rx.id).toString().endsWith('waitsshown'), 'the datagram after auto-read resumed');
      expect(h.engine.get(rx.id).counters.chunksIn).toBe(302);
    } finally {
      for (const p of peers) n.close(p.fd);
    }
  });

  it('auto-read: a connected session whose peer has no listener shows ECONNREFUSED from the ICMP port unreachable', async () => {
    h = harness();
    const gone = dgram.createSocket('udp4');
    await new Promise<void>((r) => gone.bind(0, '127.0.0.1', r));
    const deadPort = gone.address().port;
    await new Promise<void>((r) => gone.close(() => r()));
    const s = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_DGRAM' });
    await h.call('socket.connect', { id: s.id, address: '127.0.0.1', port: deadPort });
    await h.call('socket.send', { id: s.id, data: text('anyone?') });
    const failed = await until(() => h.engine.get(s.id).trace.find((t) => t.call === 'recvfrom' && !t.ok), 'the refused recvfrom in the trace');
    expect(failed.errno?.name).toBe('ECONNREFUSED');
  });

  it('listen on a datagram socket gives EOPNOTSUPP', async () => {
    h = harness();
    const u = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_DGRAM' });
    expect((await rejection(h.call('socket.listen', { id: u.id, backlog: 5 }))).error.errno).toEqual({ name: 'EOPNOTSUPP', number: 95 });
  });
});

describe('the router refuses bad input with a specific error', () => {
  it.each([
    ['socket.bind', { id: 1, address: '127.0.0.1', port: 70000 }, 'port', /between 0 and 65535/],
    ['socket.bind', { id: 1, address: 'not an address', port: 80 }, 'address', /not an IP address, host name or Unix socket path/],
    ['socket.create', { family: 'AF_BOGUS', type: 'SOCK_STREAM' }, 'family', /AF_INET, AF_INET6 or AF_UNIX/],
    ['socket.send', { id: 1, data: [1, 2, 3] }, 'data', /bytes/],
    ['socket.listen', { id: 1, backlog: 0 }, 'backlog', /between 1 and 65535/],
  ] as const)('%s %j → field %s', async (method, params, field, message) => {
    h = harness();
    const reply = await h.router.handle(method, params);
    expect(reply.ok).toBe(false);
    if (!reply.ok) {
      expect(reply.error.code).toBe('BAD_REQUEST');
      expect(reply.error.field).toBe(field);
      expect(reply.error.message).toMatch(message);
    }
  });

  it('an unknown method and a missing session are named', async () => {
    h = harness();
    expect(await h.router.handle('socket.explode', {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_METHOD' } });
    expect(await h.router.handle('__proto__', {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_METHOD' } });
    expect(await h.router.handle('socket.close', { id: 99 })).toMatchObject({ ok: false, error: { code: 'NO_SUCH_SESSION', field: 'id' } });
    expect(await h.router.handle('socket.close', null)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  });
});
