// The `sockbench` command (dist/cli.cjs, built by `npm test`) against real
// peers and against itself: bytes intact, exit statuses and one-line errors.
import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { freePort, peerSuite, run } from '../support/peers.js';

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
