// `sockbench ping` and `sockbench traceroute` (dist/cli.cjs, built by
// `npm test`) next to the real ping: the same lines in the same order, each
// of the same shape (numbers aside), then our percentiles line; exit codes;
// one-line failures without a stack trace, also without the privilege.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { hasTool, peerSuite, peersRequired, rawSuite } from '../support/peers.js';

const CLI = 'dist/cli.cjs';

function sockbench(args: string[], timeout = 30_000) {
  const r = spawnSync(process.execPath, [CLI, ...args], { timeout, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const lines = (text: string) => text.replace(/\n$/, '').split('\n');

/** What each line of ping's output is, by its shape (numbers free). */
const SHAPES: [kind: string, re: RegExp][] = [
  ['header', /^PING 127\.0\.0\.1 \(127\.0\.0\.1\) 56\(84\) bytes of data\.$/],
  ['reply', /^64 bytes from 127\.0\.0\.1: icmp_seq=\d+ ttl=\d+ time=\d+(\.\d{1,3})? ms$/],
  ['blank', /^$/],
  ['title', /^--- 127\.0\.0\.1 ping statistics ---$/],
  ['counts', /^\d+ packets transmitted, \d+ received, [\d.]+% packet loss, time \d+ms$/],
  ['rtt', /^rtt min\/avg\/max\/mdev = \d+\.\d{3}\/\d+\.\d{3}\/\d+\.\d{3}\/\d+\.\d{3} ms$/],
  ['percentiles', /^rtt p50\/p90\/p99 = \d+\.\d{3}\/\d+\.\d{3}\/\d+\.\d{3} ms$/],
];
const kindOf = (line: string) => SHAPES.find(([, re]) => re.test(line))?.[0] ?? `unknown: ${JSON.stringify(line)}`;

const pingSuite = peerSuite('ping');
const raw = rawSuite('sockbench ping next to ping');
describe.skipIf(pingSuite.skip || raw.skip)(raw.skip ? raw.title : `${raw.title} (${pingSuite.title})`, () => {
  it('ping -c 5 -i 0.01 127.0.0.1: line for line the shape of ping’s output, plus percentiles; exit 0', () => {
    const real = spawnSync('ping', ['-c', '5', '-i', '0.01', '127.0.0.1'], { timeout: 30_000, encoding: 'utf8' });
    expect(real.status, real.stderr).toBe(0);
    const ours = sockbench(['ping', '-c', '5', '-i', '0.01', '127.0.0.1']);
    expect(ours.status, ours.stderr).toBe(0);
    expect(ours.stderr).toBe('');
    const realKinds = lines(real.stdout).map(kindOf);
    const ourKinds = lines(ours.stdout).map(kindOf);
    // The real ping's own output must fit the shapes, or this test says nothing.
    expect(realKinds).toEqual(['header', 'reply', 'reply', 'reply', 'reply', 'reply', 'blank', 'title', 'counts', 'rtt']);
    expect(ourKinds).toEqual([...realKinds, 'percentiles']);
    // Sequence numbers and the counts as ping gives them.
    const out = lines(ours.stdout);
    expect(out.slice(1, 6).map((l) => /icmp_seq=(\d+)/.exec(l)![1])).toEqual(['1', '2', '3', '4', '5']);
    expect(out[8]).toMatch(/^5 packets transmitted, 5 received, 0% packet loss, time \d+ms$/);
    const [min, avg, max] = /= ([\d.]+)\/([\d.]+)\/([\d.]+)\//.exec(out[9]!)!.slice(1).map(Number) as [number, number, number];
    expect(min).toBeLessThanOrEqual(avg);
    expect(avg).toBeLessThanOrEqual(max);
  });

  it('--json: one object per line (start, every reply, the statistics)', () => {
    const r = sockbench(['ping', '-c', '3', '-i', '0.01', '--json', '127.0.0.1']);
    expect(r.status, r.stderr).toBe(0);
    const objs = lines(r.stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objs.map((o) => o.event)).toEqual(['start', 'reply', 'reply', 'reply', 'stats']);
    expect(objs[4]).toMatchObject({ transmitted: 3, received: 3, lossPct: 0 });
  });

  it('a loopback name is resolved (localhost), IPv6 works, and -f floods with only the summary', () => {
    const r = sockbench(['ping', '-c', '2', '-i', '0.01', '-4', 'localhost']);
    expect(r.status, r.stderr).toBe(0);
    expect(lines(r.stdout)[0]).toBe('PING localhost (127.0.0.1) 56(84) bytes of data.');
    const v6 = sockbench(['ping', '-c', '2', '-i', '0.01', '::1']);
    expect(v6.status, v6.stderr).toBe(0);
    expect(lines(v6.stdout)[1]).toMatch(/^64 bytes from ::1: icmp_seq=1 time=\d+\.\d+ ms$/);
    const flood = sockbench(['ping', '-c', '200', '-f', '127.0.0.1']);
    expect(flood.status, flood.stderr).toBe(0);
    expect(lines(flood.stdout).map(kindOf)).toEqual(['header', 'blank', 'title', 'counts', 'rtt', 'percentiles']);
    expect(flood.stdout).toMatch(/^200 packets transmitted, 200 received/m);
  });

  it('traceroute 127.0.0.1 (ICMP and --udp): one numbered line, three times; exit 0', () => {
    for (const extra of [[], ['--udp']]) {
      const r = sockbench(['traceroute', ...extra, '127.0.0.1']);
      expect(r.status, r.stderr).toBe(0);
      expect(lines(r.stdout)).toHaveLength(1);
      expect(lines(r.stdout)[0]).toMatch(/^ 1 {2}127\.0\.0\.1( {2}\d+\.\d{3} ms){3}$/);
      expect(r.stderr).toMatch(/^traceroute to 127\.0\.0\.1 \(127\.0\.0\.1\), 30 hops max, 60 byte packets\n$/);
    }
  });
});

describe('sockbench ping and traceroute: failures are one line and a non-zero exit', () => {
  it.each([
    [['ping', '-s', '65508', '127.0.0.1'], /^sockbench: ping: -s 65508: size must be at most 65507 for IPv4/],
    // A name is checked once it resolves: its family bounds the size.
    [['ping', '-4', '-s', '65520', 'localhost'], /^sockbench: ping: -s 65520: size must be at most 65507 for IPv4/],
    [['ping', '-W', '3601', '127.0.0.1'], /^sockbench: ping: -W 3601 \(3601000 ms\): timeout must be between 1 and 3600000\n$/],
    [['ping', '-i', '0.0001', '127.0.0.1'], /^sockbench: ping: -i 0\.0001 \(0\.1 ms\): interval must be at least 1 ms \(or use flood\)\n$/],
    [['ping', '-6', '127.0.0.1'], /^sockbench: ping: 127\.0\.0\.1: Address family for hostname not supported/],
    [['ping'], /^sockbench: ping needs a host/],
    [['traceroute', '-m', '0', '127.0.0.1'], /^sockbench: traceroute: -m 0: max hops must be between 1 and 64\n$/],
  ])('%j', (args, why) => {
    const r = sockbench(args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(why);
  });
});

const dropTool = hasTool('capsh') ? 'capsh' : hasTool('setpriv') ? 'setpriv' : null;
if (!dropTool && peersRequired) {
  it('capsh or setpriv is installed (SOCKBENCH_REQUIRE_PEERS=1)', () => {
    throw new Error('capsh (libcap2-bin) or setpriv (util-linux) is required to drop CAP_NET_RAW; install one');
  });
}
describe.skipIf(!dropTool)(`without CAP_NET_RAW (${dropTool ? `real peer: ${dropTool}` : 'skipped: neither capsh nor setpriv installed'})`, () => {
  const unprivileged = (cli: string) =>
    dropTool === 'capsh'
      ? spawnSync('capsh', ['--drop=cap_net_raw', '--', '-c', `${process.execPath} ${cli}`], { timeout: 30_000, encoding: 'utf8' })
      : spawnSync('setpriv', ['--bounding-set=-net_raw', '--inh-caps=-net_raw', 'sh', '-c', `${process.execPath} ${cli}`], { timeout: 30_000, encoding: 'utf8' });

  it.each([['ping -c 1 127.0.0.1'], ['traceroute 127.0.0.1']])('sockbench %s exits non-zero with the explanation, no stack trace', (args) => {
    const r = unprivileged(`${CLI} ${args}`);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^sockbench: (ping|traceroute): Sending ICMP needs raw sockets, which need CAP_NET_RAW or root/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
