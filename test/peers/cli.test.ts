// The `sockbench` command (dist/cli.cjs, built by `npm test`) against real
// peers and against itself: bytes intact, exit statuses and one-line errors.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, peerSuite, run } from '../support/peers.js';

const sockDir = mkdtempSync(join(tmpdir(), 'sockbench-cli-unix-'));
afterAll(() => rmSync(sockDir, { recursive: true, force: true }));
const sockPath = (name: string) => join(sockDir, name);

const CLI = 'dist/cli.cjs';

/** Starts `sockbench listen … --json` and resolves once it says where it listens. */
async function listen(args: string[]) {
  const proc = spawn(process.execPath, [CLI, 'listen', ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => (out += String(d)));
  proc.stderr.on('data', (d: Buffer) => (err += String(d)));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const lines = () => out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  await expect.poll(() => lines().find((l) => l.event === 'status' && typeof l.port === 'number'), { timeout: 10_000 }).toBeTruthy();
  const port = lines().find((l) => typeof l.port === 'number')!.port as number;
  return { proc, port, lines, exited, stderr: () => err };
}

function connect(args: string[]) {
  return spawnSync(process.execPath, [CLI, 'connect', ...args], { timeout: 20_000 });
}

const hexOf = (s: string | Buffer) => Buffer.from(s).toString('hex');

describe('sockbench CLI, itself on both ends', () => {
  it('listen --echo --count 1 echoes a TCP stream byte for byte, then exits 0', async () => {
    const srv = await listen(['tcp', '127.0.0.1:0', '--echo', '--count', '1', '--timeout', '10']);
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const c = connect(['tcp', `127.0.0.1:${srv.port}`, '--send', `hex:${all.toString('hex')}`]);
    expect(c.status, String(c.stderr)).toBe(0);
    expect(c.stdout.equals(all)).toBe(true);
    expect(await srv.exited).toBe(0);
    const data = srv.lines().filter((l) => l.event === 'data');
    expect(data.filter((l) => l.dir === 'in').map((l) => l.hex).join('')).toBe(all.toString('hex'));
    expect(srv.lines().some((l) => l.event === 'trace' && l.call === 'listen' && l.ok === true)).toBe(true);
  });

  it('UDP: --reply answers each datagram at its source, over IPv6', async () => {
    const srv = await listen(['udp', '[::1]:0', '--reply', 'pong\\n', '--count', '2', '--timeout', '10']);
    for (const ping of ['one', 'two']) {
      const c = connect(['udp', `[::1]:${srv.port}`, '--send', ping, '--wait', '500']);
      expect(c.status, String(c.stderr)).toBe(0);
      expect(String(c.stdout)).toBe('pong\n');
    }
    expect(await srv.exited).toBe(0);
    const inbound = srv.lines().filter((l) => l.event === 'data' && l.dir === 'in');
    expect(inbound.map((l) => l.hex)).toEqual([hexOf('one'), hexOf('two')]);
    expect((inbound[0]!.from as { address: string }).address).toBe('::1');
  });

  it('a connect to a closed port exits 1 with one line naming ECONNREFUSED, no stack trace', async () => {
    const c = connect(['tcp', `127.0.0.1:${await freePort()}`, '--send', 'x']);
    expect(c.status).toBe(1);
    const err = String(c.stderr).trim();
    expect(err.split('\n')).toHaveLength(1);
    expect(err).toMatch(/^sockbench: connect: ECONNREFUSED \(111\)/);
  });

  it('--count with too little activity before --timeout exits 1 saying how many were handled', async () => {
    const srv = await listen(['tcp', '127.0.0.1:0', '--count', '2', '--timeout', '0.5']);
    expect(await srv.exited).toBe(1);
    expect(srv.stderr()).toMatch(/timeout: no activity for 0.5 s \(0 of 2 connections\)/);
  });

  it('bad usage exits 2 with the reason and the usage', () => {
    const c = spawnSync(process.execPath, [CLI, 'listen', 'tcp', '127.0.0.1:99999']);
    expect(c.status).toBe(2);
    expect(String(c.stderr)).toMatch(/port must be between 0 and 65535[\s\S]*usage:/);
  });
});

const socat = peerSuite('socat');
describe.skipIf(socat.skip)(`sockbench CLI with ${socat.title}`, () => {
  it('socat talks to `sockbench listen tcp --echo`; the bytes come back intact', async () => {
    const srv = await listen(['tcp', '127.0.0.1:0', '--echo', '--count', '1', '--timeout', '10']);
    const payload = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7) & 0xff));
    const peer = run('socat', ['-t', '3', '-', `TCP:127.0.0.1:${srv.port}`], payload);
    expect(await peer.exited).toBe(0);
    expect(peer.stdout().equals(payload)).toBe(true);
    expect(await srv.exited).toBe(0);
  });

  it('`sockbench connect udp` gets the answer of a socat UDP echo server', async () => {
    const port = await freePort();
    const peer = run('socat', [`UDP-RECVFROM:${port},bind=127.0.0.1,fork`, 'EXEC:cat']);
    try {
      await new Promise((r) => setTimeout(r, 300));
      const c = connect(['udp', `127.0.0.1:${port}`, '--send', 'datagram\\x00\\xff', '--wait', '1000', '--json']);
      expect(c.status, String(c.stderr)).toBe(0);
      const lines = String(c.stdout).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      const back = lines.find((l) => l.event === 'data' && l.dir === 'in');
      expect(back?.hex).toBe(hexOf('datagram') + '00ff');
    } finally {
      peer.stop();
    }
  });
});

const ncat = peerSuite('ncat');
describe.skipIf(ncat.skip)(`sockbench CLI with ${ncat.title}`, () => {
  it('`sockbench connect tcp` prints what `ncat -l` sends, then exits when ncat closes', async () => {
    const port = await freePort();
    const peer = run('ncat', ['-l', '127.0.0.1', String(port), '--send-only'], 'from ncat\r\n');
    await new Promise((r) => setTimeout(r, 300));
    const c = connect(['tcp', `127.0.0.1:${port}`]);
    expect(c.status, String(c.stderr)).toBe(0);
    expect(String(c.stdout)).toBe('from ncat\r\n');
    peer.stop();
  });
});

describe('sockbench CLI writing to a file', () => {
  it('`sockbench listen tcp --count 1 > file` puts every byte of the connection in the file, in order', async () => {
    const file = join(sockDir, 'received.bin');
    const fd = openSync(file, 'w');
    const port = await freePort();
    // stdout a file: the CLI gathers what it receives and writes it with writev(2).
    const proc = spawn(process.execPath, [CLI, 'listen', 'tcp', `127.0.0.1:${port}`, '--count', '1'], { stdio: ['ignore', fd, 'pipe'] });
    closeSync(fd);
    let err = '';
    proc.stderr!.on('data', (d: Buffer) => (err += String(d)));
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    await expect.poll(() => err.includes('listening on'), { timeout: 10_000 }).toBe(true);
    const sent = randomBytes(24 * 1024 * 1024);
    await new Promise<void>((resolve, reject) => {
      const c = createConnection(port, '127.0.0.1', () => c.end(sent, () => resolve()));
      c.on('error', reject);
    });
    expect(await exited, err).toBe(0);
    const got = readFileSync(file);
    expect(got.byteLength).toBe(sent.byteLength);
    expect(got.equals(sent)).toBe(true);
  });
});

describe('sockbench CLI over AF_UNIX, itself on both ends', () => {
  it('unix-seqpacket: listen --echo answers the message whole; the socket file is removed at exit', async () => {
    const p = sockPath('cli-seq.sock');
    const srv = await listen(['unix-seqpacket', p, '--echo', '--count', '1', '--timeout', '10']);
    expect(srv.lines().find((l) => l.event === 'status')).toMatchObject({ message: `listening on unix-seqpacket ${p}`, address: p, port: 0 });
    const msg = randomBytes(5000);
    const c = connect(['unix-seqpacket', p, '--send', `hex:${msg.toString('hex')}`]);
    expect(c.status, String(c.stderr)).toBe(0);
    expect(c.stdout.equals(msg)).toBe(true);
    expect(await srv.exited).toBe(0);
    expect(srv.lines().filter((l) => l.event === 'data' && l.dir === 'in').map((l) => l.hex)).toEqual([msg.toString('hex')]);
    expect(existsSync(p)).toBe(false);
  });

  it('unix-dgram on an abstract name: --reply answers each datagram at the client\'s own name', async () => {
    const name = `@sockbench-cli-test-${process.pid}`;
    const srv = await listen(['unix-dgram', name, '--reply', 'pong\\n', '--count', '2', '--timeout', '10']);
    for (const ping of ['one', 'two']) {
      const c = connect(['unix-dgram', name, '--send', ping, '--wait', '500']);
      expect(c.status, String(c.stderr)).toBe(0);
      expect(String(c.stdout)).toBe('pong\n');
    }
    expect(await srv.exited).toBe(0);
    const inbound = srv.lines().filter((l) => l.event === 'data' && l.dir === 'in');
    expect(inbound.map((l) => l.hex)).toEqual([hexOf('one'), hexOf('two')]);
    expect((inbound[0]!.from as { address: string }).address).toMatch(/^@sockbench-\d+-[0-9a-f]{8}$/);
  });

  it('a connect to a path with no socket exits 1 naming ENOENT', () => {
    const c = connect(['unix-seqpacket', sockPath('nobody.sock'), '--send', 'x']);
    expect(c.status).toBe(1);
    expect(String(c.stderr).trim()).toMatch(/^sockbench: connect: ENOENT \(2\): no socket exists at that path$/);
  });
});

describe.skipIf(socat.skip)(`sockbench CLI over AF_UNIX with ${socat.title}`, () => {
  it('socat UNIX-CONNECT talks to `sockbench listen unix-stream --echo`', async () => {
    const p = sockPath('cli-stream.sock');
    const srv = await listen(['unix-stream', p, '--echo', '--count', '1', '--timeout', '10']);
    const payload = randomBytes(50_000);
    const peer = run('socat', ['-t', '3', '-', `UNIX-CONNECT:${p}`], payload);
    expect(await peer.exited).toBe(0);
    expect(peer.stdout().equals(payload)).toBe(true);
    expect(await srv.exited).toBe(0);
  });

  it('`sockbench connect unix-dgram` gets the answer of a socat UNIX-RECVFROM echo server', async () => {
    const p = sockPath('socat-echo.sock');
    const peer = run('socat', [`UNIX-RECVFROM:${p},fork`, 'EXEC:cat']);
    try {
      await expect.poll(() => existsSync(p), { timeout: 5000 }).toBe(true);
      const c = connect(['unix-dgram', p, '--send', 'datagram\\x00\\xff', '--wait', '1000', '--json']);
      expect(c.status, String(c.stderr)).toBe(0);
      const lines = String(c.stdout).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      const back = lines.find((l) => l.event === 'data' && l.dir === 'in');
      expect(back?.hex).toBe(hexOf('datagram') + '00ff');
      expect(back?.from).toEqual({ family: 'AF_UNIX', address: p, port: 0 });
    } finally {
      peer.stop();
    }
  });
});

const python = peerSuite('python3');
describe.skipIf(python.skip)(`sockbench CLI over AF_UNIX with ${python.title}`, () => {
  it('a Python SOCK_SEQPACKET client gets each message back whole from `sockbench listen unix-seqpacket --echo`', async () => {
    const p = sockPath('cli-py.sock');
    const srv = await listen(['unix-seqpacket', p, '--echo', '--count', '1', '--timeout', '10']);
    const sent = [randomBytes(1), randomBytes(2000), randomBytes(40_000)].map((b) => b.toString('hex'));
    const script = [
      'import json, socket, sys',
      'msgs = [bytes.fromhex(m) for m in json.load(sys.stdin)]',
      'c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)',
      'c.connect(sys.argv[1])',
      'for m in msgs: c.send(m)',
      'print(json.dumps([c.recv(1 << 20).hex() for _ in msgs]))',
    ].join('\n');
    const client = run('python3', ['-c', script, p], JSON.stringify(sent));
    expect(await client.exited).toBe(0);
    expect(JSON.parse(client.stdout().toString())).toEqual(sent);
    expect(await srv.exited).toBe(0);
    expect(srv.lines().filter((l) => l.event === 'data' && l.dir === 'in').map((l) => l.hex)).toEqual(sent);
  });

  it('`sockbench connect unix-seqpacket` to a Python server: the message arrives whole and the answer comes back', async () => {
    const p = sockPath('py-srv.sock');
    const script = [
      'import socket, sys',
      's = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)',
      's.bind(sys.argv[1]); s.listen(1)',
      "print('ready', flush=True)",
      'c, _ = s.accept()',
      'm = c.recv(1 << 20)',
      'c.send(m[::-1])',
      "print(m.hex(), flush=True)",
      'assert c.recv(10) == b""',
      'c.close()',
    ].join('\n');
    const server = run('python3', ['-c', script, p]);
    await expect.poll(() => server.stdout().toString().startsWith('ready'), { timeout: 5000 }).toBe(true);
    const msg = randomBytes(3000);
    const c = connect(['unix-seqpacket', p, '--send', `hex:${msg.toString('hex')}`]);
    expect(c.status, String(c.stderr)).toBe(0);
    expect(c.stdout.equals(Buffer.from(msg).reverse())).toBe(true);
    expect(await server.exited).toBe(0);
    expect(server.stdout().toString().trim().split('\n')[1]).toBe(msg.toString('hex'));
  });
});
