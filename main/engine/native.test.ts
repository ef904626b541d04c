// The native addon on real sockets: Unix sockets in a temp dir, TCP on
// 127.0.0.1 and ::1. No mocks of the kernel.
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { constants as os, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelStampsOn } from '../../test/support/kernel-stamps.js';
import { isNativeError, native, type NativeAddr, type SocketFamily, type SocketType } from './native.js';

const n = native();
const C = n.constants;
let dir: string;
let open: number[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sockbench-native-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  for (const fd of open) n.close(fd);
  open = [];
});

function sock(family: SocketFamily, type: SocketType, nonblocking = true): number {
  const fd = n.socket(family, type, 0, nonblocking);
  open.push(fd);
  return fd;
}

function track(fd: number): number {
  open.push(fd);
  return fd;
}

const unixAddr = (path: string): NativeAddr => ({ family: 'AF_UNIX', path });
const uniq = (name: string) => `@sockbench-test-${process.pid}-${name}-${Math.random().toString(36).slice(2, 8)}`;

/** The error a call throws, checked to be a Node-style system error. */
function thrown(f: () => unknown): Error & { code: string; errno: number; syscall: string } {
  try {
    f();
  } catch (e) {
    if (isNativeError(e)) return e;
    throw e;
  }
  throw new Error('expected the call to throw');
}

function int(buf: Buffer): number {
  expect(buf.length).toBe(4);
  return buf.readInt32LE(0);
}

const intBytes = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v);
  return b;
};

/** A connected pair through a listener on `addr`. */
function connectedPair(family: SocketFamily, type: SocketType, addr: NativeAddr) {
  const listener = sock(family, type);
  n.bind(listener, addr);
  n.listen(listener, 4);
  const client = sock(family, type);
  const now = n.connect(client, n.getsockname(listener));
  if (!now) expect(n.poll(client, C.POLLOUT, 2000) & C.POLLOUT).toBeTruthy();
  expect(int(n.getsockopt(client, C.SOL_SOCKET, C.SO_ERROR, 4))).toBe(0);
  expect(n.poll(listener, C.POLLIN, 2000) & C.POLLIN).toBeTruthy();
  const got = n.accept(listener);
  expect(got).not.toBeNull();
  track(got!.fd);
  return { listener, client, server: got!.fd, peer: got!.peer, now };
}

describe('native addon: AF_UNIX', () => {
  it('SOCK_SEQPACKET keeps message boundaries and reports truncation', () => {
    const { client, server } = connectedPair('AF_UNIX', 'SOCK_SEQPACKET', unixAddr(join(dir, 'seq.sock')));
    expect(n.send(client, Buffer.from('hello world'))).toBe(11);
    expect(n.send(client, Buffer.from('two'))).toBe(3);
    expect(n.send(client, new Uint8Array(0))).toBe(0);
    const first = n.recv(server, 5, C.MSG_TRUNC)!;
    expect(first.data.toString()).toBe('hello');
    expect(first.truncated).toBe(true); // the rest of that message is gone, not merged into the next
    expect(first.length).toBe(11); // MSG_TRUNC asked: the kernel says how long the message was
    const second = n.recv(server, 100)!;
    expect(second.data.toString()).toBe('two');
    expect(second.truncated).toBe(false);
    expect(n.recv(server, 100)!.data.length).toBe(0); // the empty message
    expect(n.recv(server, 100)).toBeNull(); // EAGAIN
    n.shutdown(client, C.SHUT_WR as 1);
    expect(n.recv(server, 100)).toEqual({ data: Buffer.alloc(0), truncated: false, length: 0, from: null });
  });

  it('SOCK_DGRAM gives each datagram its source path, and sendto(null) uses the connected peer', () => {
    const rx = sock('AF_UNIX', 'SOCK_DGRAM');
    const rxPath = join(dir, 'rx.sock');
    n.bind(rx, unixAddr(rxPath));
    const a = sock('AF_UNIX', 'SOCK_DGRAM');
    const b = sock('AF_UNIX', 'SOCK_DGRAM');
    n.bind(a, unixAddr(join(dir, 'a.sock')));
    n.bind(b, unixAddr(join(dir, 'b.sock')));
    const unnamed = sock('AF_UNIX', 'SOCK_DGRAM');
    expect(n.sendto(a, Buffer.from('from a'), unixAddr(rxPath))).toBe(6);
    expect(n.sendto(b, Buffer.from('from b'), unixAddr(rxPath))).toBe(6);
    expect(n.sendto(unnamed, Buffer.from('anon'), unixAddr(rxPath))).toBe(4);
    expect(n.connect(a, unixAddr(rxPath))).toBe(true);
    expect(n.sendto(a, Buffer.from('again'), null)).toBe(5);
    const got = [1, 2, 3, 4].map(() => n.recv(rx, 64)!);
    expect(got.map((g) => [g.data.toString(), g.from])).toEqual([
      ['from a', unixAddr(join(dir, 'a.sock'))],
      ['from b', unixAddr(join(dir, 'b.sock'))],
      ['anon', null], // an unnamed sender has no address to give
      ['again', unixAddr(join(dir, 'a.sock'))],
    ]);
    expect(n.getpeername(a)).toEqual(unixAddr(rxPath));
    expect(thrown(() => n.sendto(unnamed, Buffer.from('x'), unixAddr(join(dir, 'nobody.sock')))).code).toBe('ENOENT');
  });

  it('binds in the abstract namespace and reads the exact name back; "" autobinds', () => {
    const name = uniq('abs');
    const s = sock('AF_UNIX', 'SOCK_DGRAM');
    n.bind(s, unixAddr(name));
    expect(n.getsockname(s)).toEqual(unixAddr(name));
    // Exact length: a longer name with the same prefix is another address.
    const other = sock('AF_UNIX', 'SOCK_DGRAM');
    n.bind(other, unixAddr(`${name}x`));
    expect(thrown(() => n.bind(sock('AF_UNIX', 'SOCK_DGRAM'), unixAddr(name))).code).toBe('EADDRINUSE');
    const auto = sock('AF_UNIX', 'SOCK_DGRAM');
    expect(n.getsockname(auto)).toEqual(unixAddr(''));
    n.bind(auto, unixAddr(''));
    expect((n.getsockname(auto) as { path: string }).path).toMatch(/^@[0-9a-f]{5}$/);
  });

  it('refuses an over-long path with ENAMETOOLONG instead of truncating it', () => {
    const s = sock('AF_UNIX', 'SOCK_STREAM');
    const e = thrown(() => n.bind(s, unixAddr(join(dir, 'x'.repeat(120)))));
    expect(e).toMatchObject({ code: 'ENAMETOOLONG', errno: -os.errno.ENAMETOOLONG, syscall: 'bind' });
    expect(thrown(() => n.connect(s, unixAddr(`@${'y'.repeat(108)}`))).code).toBe('ENAMETOOLONG');
    n.bind(s, unixAddr(`@${'z'.repeat(107)}`)); // 108 bytes with the leading NUL: the most that fits
    expect(n.getsockname(s)).toEqual(unixAddr(`@${'z'.repeat(107)}`));
  });
});

describe('native addon: TCP', () => {
  for (const [family, address] of [
    ['AF_INET', '127.0.0.1'],
    ['AF_INET6', '::1'],
  ] as const) {
    it(`${family}: a non-blocking connect is in progress, then writable, then accepted`, () => {
      const { client, server, peer, listener, now } = connectedPair(family, 'SOCK_STREAM', { family, address, port: 0 });
      expect(now).toBe(false);
      const local = n.getsockname(client);
      expect(peer).toEqual(local);
      expect(n.getpeername(client)).toEqual(n.getsockname(listener));
      expect(n.accept(listener)).toBeNull(); // nothing else pending
      expect(n.poll(listener, C.POLLIN, 0)).toBe(0);
      expect(n.send(client, Buffer.from('ping'))).toBe(4);
      expect(n.poll(server, C.POLLIN, 2000) & C.POLLIN).toBeTruthy();
      const got = n.recv(server, 100)!;
      expect(got.data.toString()).toBe('ping');
      expect(got.from).toBeNull();
      n.close(open.splice(open.indexOf(client), 1)[0]!);
      expect(n.poll(server, C.POLLIN, 2000) & C.POLLIN).toBeTruthy();
      expect(n.recv(server, 100)!.data.length).toBe(0); // EOF
    });
  }

  it('SO_RCVBUF reads back doubled (Linux) and TCP_NODELAY toggles', () => {
    const s = sock('AF_INET', 'SOCK_STREAM');
    n.setsockopt(s, C.SOL_SOCKET, C.SO_RCVBUF, intBytes(65536));
    expect(int(n.getsockopt(s, C.SOL_SOCKET, C.SO_RCVBUF, 4))).toBe(131072);
    expect(int(n.getsockopt(s, C.IPPROTO_TCP, C.TCP_NODELAY, 4))).toBe(0);
    n.setsockopt(s, C.IPPROTO_TCP, C.TCP_NODELAY, intBytes(1));
    expect(int(n.getsockopt(s, C.IPPROTO_TCP, C.TCP_NODELAY, 4))).toBe(1);
    expect(int(n.getsockopt(s, C.SOL_SOCKET, C.SO_TYPE, 4))).toBe(C.SOCK_STREAM);
    // Only the bytes the kernel wrote: a string option comes back at its own length.
    expect(n.getsockopt(s, C.IPPROTO_TCP, C.TCP_CONGESTION, 64).toString()).toMatch(/^[a-z0-9]+\0*$/);
    expect(thrown(() => n.setsockopt(s, C.IPPROTO_TCP, 9999, intBytes(1))).code).toBe('ENOPROTOOPT');
  });

  it('throws Node-style system errors with code, errno and syscall', () => {
    const s = sock('AF_INET', 'SOCK_STREAM', false);
    n.bind(s, { family: 'AF_INET', address: '127.0.0.1', port: 0 });
    const addr = n.getsockname(s);
    const c = sock('AF_INET', 'SOCK_STREAM', false);
    const refused = thrown(() => n.connect(c, addr));
    expect(refused).toMatchObject({ code: 'ECONNREFUSED', errno: -os.errno.ECONNREFUSED, syscall: 'connect' });
    expect(refused.message).toBe('ECONNREFUSED: Connection refused, connect');
    expect(thrown(() => n.getpeername(s))).toMatchObject({ code: 'ENOTCONN', errno: -os.errno.ENOTCONN, syscall: 'getpeername' });
    expect(thrown(() => n.bind(sock('AF_INET', 'SOCK_STREAM'), addr)).code).toBe('EADDRINUSE');
    expect(thrown(() => n.bind(c, { family: 'AF_INET', address: '::1', port: 0 })).code).toBe('EAFNOSUPPORT');
    expect(thrown(() => n.bind(c, { family: 'AF_INET', address: '1.2.3', port: 0 })).code).toBe('EINVAL');
    expect(thrown(() => n.bind(sock('AF_INET6', 'SOCK_DGRAM'), { family: 'AF_INET6', address: '::1%nosuchif0', port: 0 })).code).toBe('ENODEV');
    expect(thrown(() => n.close(1_000_000))).toMatchObject({ code: 'EBADF', syscall: 'close' });
    expect(thrown(() => n.socket('AF_UNIX', 'SOCK_STREAM', 99)).code).toBe('EPROTONOSUPPORT');
    expect(() => n.socket('AF_BOGUS' as SocketFamily, 'SOCK_STREAM')).toThrow(TypeError);
    expect(() => n.bind(s, { family: 'AF_INET', address: '127.0.0.1', port: 70000 })).toThrow(TypeError);
  });

  it('names errnos by the kernel numbers, and exports the platform constants', () => {
    for (const name of ['EAGAIN', 'EINPROGRESS', 'ECONNRESET', 'EPIPE', 'EMSGSIZE', 'ENOPROTOOPT', 'EOPNOTSUPP', 'EHOSTUNREACH'] as const) {
      expect(C[name]).toBe(os.errno[name]);
    }
    expect([C.AF_UNIX, C.AF_INET, C.AF_INET6, C.SOCK_SEQPACKET, C.SOL_SOCKET, C.SO_REUSEADDR, C.TCP_NODELAY, C.IPV6_V6ONLY]).toEqual([1, 2, 10, 5, 1, 2, 1, 26]);
    expect(Object.isFrozen(C)).toBe(true);
  });

  it('dup, setNonBlocking and send flags', () => {
    const { client, server } = connectedPair('AF_INET', 'SOCK_STREAM', { family: 'AF_INET', address: '127.0.0.1', port: 0 });
    const d = track(n.dup(server));
    expect(d).not.toBe(server);
    n.send(client, Buffer.from('abc'));
    expect(n.poll(d, C.POLLIN, 2000) & C.POLLIN).toBeTruthy();
    expect(n.recv(d, 10, C.MSG_PEEK)!.data.toString()).toBe('abc');
    expect(n.recv(server, 10)!.data.toString()).toBe('abc');
    n.setNonBlocking(server, false);
    n.setNonBlocking(server, true);
    expect(n.recv(server, 10)).toBeNull();
  });
});

describe('native addon: recvMany (a UDP session\'s auto-read)', () => {
  it('reads queued datagrams in order, in batches, each with its source, length and kernel age', async () => {
    const stamps = await kernelStampsOn();
    onTestFinished(() => stamps.release());
    const rx = sock('AF_INET', 'SOCK_DGRAM');
    n.bind(rx, { family: 'AF_INET', address: '127.0.0.1', port: 0 });
    n.setsockopt(rx, C.SOL_SOCKET, (C as Record<string, number>).SO_TIMESTAMPNS!, intBytes(1));
    const to = n.getsockname(rx);
    const a = sock('AF_INET', 'SOCK_DGRAM');
    const b = sock('AF_INET', 'SOCK_DGRAM');
    n.bind(a, { family: 'AF_INET', address: '127.0.0.1', port: 0 });
    n.bind(b, { family: 'AF_INET', address: '127.0.0.1', port: 0 });
    const sent: { data: Buffer; from: NativeAddr }[] = [];
    for (let i = 0; i < 70; i++) {
      const src = i % 10 < 5 ? a : b;
      const data = Buffer.from(`datagram ${i}`.repeat(1 + (i % 3)));
      if (i === 7) data.fill(0, 0); // a datagram of zeros, and below an empty one
      n.sendto(src, i === 8 ? Buffer.alloc(0) : data, to);
      sent.push({ data: i === 8 ? Buffer.alloc(0) : data, from: n.getsockname(src) });
    }
    await new Promise((r) => setTimeout(r, 20));
    const first = n.recvMany(rx, 64)!;
    const second = n.recvMany(rx, 64)!;
    expect(n.recvMany(rx, 64)).toBeNull(); // EAGAIN
    expect([first.lengths.length, second.lengths.length]).toEqual([64, 6]);
    const got: { data: Buffer; from: NativeAddr | null; age: number }[] = [];
    for (const batch of [first, second]) {
      let at = 0;
      batch.lengths.forEach((len, i) => {
        got.push({ data: batch.data.subarray(at, at + len), from: batch.from[i]!, age: batch.ageUs[i]! });
        at += len;
      });
      expect(at).toBe(batch.data.length);
    }
    // One address object per run of datagrams from one source.
    expect(first.from[4]).toBe(first.from[0]);
    expect(first.from[5]).not.toBe(first.from[4]);
    expect(got.map((g) => g.data.toString('hex'))).toEqual(sent.map((s) => s.data.toString('hex')));
    expect(got.map((g) => g.from)).toEqual(sent.map((s) => s.from));
    // Sent ≥ 20 ms before the read: the kernel's stamp says so (and ages only shrink, oldest first).
    for (const g of got) expect(g.age).toBeGreaterThanOrEqual(15_000);
    for (let i = 1; i < 64; i++) expect(got[i]!.age).toBeLessThanOrEqual(got[i - 1]!.age);
  });

  it('without SO_TIMESTAMPNS ages are 0; a bad count is a TypeError; an ICMP error is the socket\'s errno', () => {
    const rx = sock('AF_INET6', 'SOCK_DGRAM');
    n.bind(rx, { family: 'AF_INET6', address: '::1', port: 0 });
    const tx = sock('AF_INET6', 'SOCK_DGRAM');
    n.sendto(tx, Buffer.from('x'), n.getsockname(rx));
    expect(n.poll(rx, C.POLLIN, 2000) & C.POLLIN).toBeTruthy();
    const got = n.recvMany(rx, 1)!;
    expect([...got.ageUs]).toEqual([0]);
    expect(got.from[0]).toEqual({ family: 'AF_INET6', address: '::1', port: (n.getsockname(tx) as { port: number }).port });
    expect(() => n.recvMany(rx, 0)).toThrow(TypeError);
    expect(() => n.recvMany(rx, 65)).toThrow(TypeError);
    // A connected socket whose peer has no listener: the port unreachable comes back as ECONNREFUSED.
    const gone = sock('AF_INET6', 'SOCK_DGRAM');
    n.bind(gone, { family: 'AF_INET6', address: '::1', port: 0 });
    const deadPort = n.getsockname(gone);
    n.close(open.splice(open.indexOf(gone), 1)[0]!);
    expect(n.connect(tx, deadPort)).toBe(true);
    n.send(tx, Buffer.from('anyone?'));
    expect(n.poll(tx, C.POLLIN, 2000) & C.POLLERR).toBeTruthy();
    expect(thrown(() => n.recvMany(tx, 8))).toMatchObject({ code: 'ECONNREFUSED', syscall: 'recvmmsg' });
  });
});

describe('native addon: watch', () => {
  it('fires when readable, and stop() inside the callback is safe and idempotent', async () => {
    const rx = sock('AF_UNIX', 'SOCK_DGRAM');
    n.bind(rx, unixAddr(''));
    const tx = sock('AF_UNIX', 'SOCK_DGRAM');
    const calls: [number, boolean, boolean, string][] = [];
    let fired!: () => void;
    const first = new Promise<void>((r) => (fired = r));
    const w = n.watch(rx, 'r', (err, readable, writable) => {
      calls.push([err, readable, writable, n.recv(rx, 64)?.data.toString() ?? '']);
      w.stop();
      w.stop();
      fired();
    });
    n.sendto(tx, Buffer.from('one'), n.getsockname(rx));
    await first;
    n.sendto(tx, Buffer.from('two'), n.getsockname(rx));
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toEqual([[0, true, false, 'one']]);
    w.update('r'); // after stop: nothing
    w.stop();
    expect(n.recv(rx, 64)!.data.toString()).toBe('two');
  });

  it('update() switches between writable, readable and paused; a second watch on one fd is EEXIST', async () => {
    const { client, server } = connectedPair('AF_UNIX', 'SOCK_STREAM', unixAddr(uniq('w')));
    const seen: string[] = [];
    let wake: () => void = () => {};
    const w = n.watch(client, 'w', (err, r, wr) => {
      seen.push(`${err}:${r ? 'r' : ''}${wr ? 'w' : ''}`);
      w.update('');
      wake();
    });
    try {
      await new Promise<void>((r) => (wake = r));
      expect(thrown(() => n.watch(client, 'r', () => {})).code).toBe('EEXIST');
      n.send(server, Buffer.from('x'));
      const readable = new Promise<void>((r) => (wake = r));
      w.update('r');
      await readable;
      expect(seen).toEqual(['0:w', '0:r']);
    } finally {
      w.stop();
    }
  });

  it('reports the socket error (ECONNREFUSED) and lets the process exit after stop()', () => {
    // In a child process: it must exit on its own once the watcher is stopped.
    const script = `
      const n = require(process.argv[1]);
      const s = n.socket('AF_INET', 'SOCK_STREAM', 0, true);
      const l = n.socket('AF_INET', 'SOCK_STREAM');
      n.bind(l, { family: 'AF_INET', address: '127.0.0.1', port: 0 });
      const addr = n.getsockname(l);
      n.close(l);
      n.connect(s, addr);
      const w = n.watch(s, 'w', (err, r, wr) => { console.log(JSON.stringify([err, r, wr])); w.stop(); });
    `;
    const addon = fileURLToPath(new URL('../native/build/Release/sockbench_native.node', import.meta.url));
    const out = execFileSync(process.execPath, ['-e', script, addon], { timeout: 10_000, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual([-os.errno.ECONNREFUSED, false, false]);
  });
});
