// `sockbench sweep` (dist/cli.cjs, built by `npm test` / `npm run build`):
// fping's lines and exit codes, over loopback only (127.0.0.0/8 and ::1).
// 127.255.255.255 stands for an unreachable target: the kernel refuses to
// send an echo to the loopback broadcast address without SO_BROADCAST.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { rawSuite } from '../support/peers.js';

const CLI = 'dist/cli.cjs';
const raw = rawSuite('sockbench sweep through the real helper');

function sockbench(args: string[], timeout = 30_000) {
  const r = spawnSync(process.execPath, [CLI, ...args], { timeout, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const lines = (text: string) => text.replace(/\n$/, '').split('\n');
const STATS = (host: string) => new RegExp(`^${host.replace(/\./g, '\\.')} *: xmt/rcv/%loss = 2/2/0%, min/avg/max = \\d+\\.\\d+/\\d+\\.\\d+/\\d+\\.\\d+$`);

describe('sockbench sweep: usage errors exit 2 with one line', () => {
  it.each([
    [['sweep', '127.0.0.0/8'], 'sockbench: sweep: 127.0.0.0/8 would be 16,777,214 addresses; the limit is 4,096'],
    [['sweep', '127.0.0.1', 'bo_gus'], 'sockbench: sweep: "bo_gus" is not an IPv4 or IPv6 address or CIDR block'],
    [['sweep', '-c', '0', '127.0.0.1'], 'sockbench: sweep: -c 0: count must be between 1 and 100'],
  ])('%j', (args, message) => {
    const r = sockbench(args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`${message}\n`);
  });
});

describe.skipIf(raw.skip)(raw.title, () => {
  it('-c 2 over a list and a /30: "is alive" per target, then fping -c statistics on stderr in the order given; exit 0', () => {
    const r = sockbench(['sweep', '-c', '2', '-i', '1', '-p', '10', '-t', '2000', '127.0.0.1', '::1', '127.0.0.4/30']);
    expect(r.status, r.stderr).toBe(0);
    expect(lines(r.stdout).sort()).toEqual(['127.0.0.1 is alive', '127.0.0.5 is alive', '127.0.0.6 is alive', '::1 is alive'].sort());
    const err = lines(r.stderr);
    expect(err[0]).toBe('');
    expect(err.slice(1)).toHaveLength(4);
    ['127.0.0.1', '::1', '127.0.0.5', '127.0.0.6'].forEach((host, i) => expect(err[i + 1]).toMatch(STATS(host)));
  });

  it('without -c: one probe each, no statistics; --json gives one object per target and a done line', () => {
    const plain = sockbench(['sweep', '127.0.0.1', '127.0.0.2']);
    expect(plain.status, plain.stderr).toBe(0);
    expect(plain.stderr).toBe('');
    expect(lines(plain.stdout).sort()).toEqual(['127.0.0.1 is alive', '127.0.0.2 is alive']);
    const r = sockbench(['sweep', '--json', '-c', '2', '-p', '10', '127.0.0.1', '::1']);
    expect(r.status, r.stderr).toBe(0);
    const objs = lines(r.stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objs.map((o) => o.event)).toEqual(['result', 'result', 'done']);
    for (const o of objs.slice(0, 2)) expect(o).toMatchObject({ sent: 2, received: 2, lossPct: 0, alive: true });
    expect(objs[2]).toEqual({ event: 'done', alive: 2, total: 2 });
  });

  it('an unreachable target: "is unreachable", 100% loss, exit 1', () => {
    const r = sockbench(['sweep', '-c', '2', '-p', '10', '-t', '200', '127.0.0.1', '127.255.255.255']);
    expect(r.status, r.stderr).toBe(1);
    expect(lines(r.stdout).sort()).toEqual(['127.0.0.1 is alive', '127.255.255.255 is unreachable']);
    const err = lines(r.stderr);
    expect(err[1]).toMatch(/^127\.0\.0\.1 {7}: xmt\/rcv\/%loss = 2\/2\/0%, min\/avg\/max = /);
    expect(err[2]).toMatch(/^127\.255\.255\.255 : xmt\/rcv\/%loss = \d\/0\/100%$/);
  });
});
