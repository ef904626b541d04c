// Traceroute (and ping) through a real three-hop path built from network
// namespaces (test/support/netns.ts): the probes run in a child process
// inside the source namespace, through the real raw-socket helper, and print
// their result as JSON. Hops found must be the namespaces' addresses in
// order; UDP ends with port unreachable; a blackhole route gives `*`; a
// prohibit route gives !X. Skipped, saying why, where `ip netns` is not
// permitted (a failure instead with SOCKBENCH_REQUIRE_PEERS=1).
import { execFile, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createThreeHop, netnsProblem, type ThreeHop } from '../../test/support/netns.js';
import type { PingOptions, PingSummary } from './ping.js';
import type { TraceProbe, TracerouteOptions, TracerouteResult } from './traceroute.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixture = fileURLToPath(new URL('./probe-run.fixture.ts', import.meta.url));
const problem = netnsProblem();
const required = process.env.SOCKBENCH_REQUIRE_PEERS === '1';

type Spec = { kind: 'ping'; options: PingOptions } | { kind: 'traceroute'; options: TracerouteOptions };

/** Runs the probe inside namespace `ns`; resolves with its result (bounded: 70 s). */
function probeIn<T>(ns: string, spec: Spec): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', fixture, JSON.stringify(spec)], { cwd: root, timeout: 70_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      const last = stdout.trim().split('\n').pop() ?? '';
      let out: { ok: boolean; result?: T; error?: string } | undefined;
      try {
        out = JSON.parse(last);
      } catch {
        // fall through
      }
      if (out?.ok) resolve(out.result as T);
      else reject(new Error(`probe in ${ns} failed: ${out?.error ?? err?.message ?? 'no output'}\n${stderr.slice(-2000)}`));
    });
  });
}

const trace = (t: ThreeHop, options: TracerouteOptions) => probeIn<TracerouteResult>(t.ns.src, { kind: 'traceroute', options });
const view = (r: TracerouteResult) => r.hops.map((h) => h.probes.map((p: TraceProbe) => (p.status === 'reply' ? `${p.from}${p.flag}` : p.status === 'timeout' ? '*' : `error:${p.message}`)));
const kinds = (r: TracerouteResult) => r.hops.map((h) => [...new Set(h.probes.map((p) => (p.status === 'reply' ? p.kind : p.status)))].join(','));
const three = (a: string) => [a, a, a];

if (problem && required) {
  it('network namespaces are available (SOCKBENCH_REQUIRE_PEERS=1)', () => {
    throw new Error(problem);
  });
}

describe.skipIf(problem !== null)(`traceroute through a three-hop namespace topology${problem ? ` (skipped: ${problem})` : ''}`, () => {
  let t: ThreeHop;

  beforeAll(() => {
    t = createThreeHop();
  });
  afterAll(() => {
    t?.destroy();
  });

  it('ICMP echo, IPv4: the routers then the destination, in order', async () => {
    const r = await trace(t, { target: t.v4.dst, mode: 'icmp', maxHops: 6, timeoutMs: 2000 });
    expect(view(r)).toEqual(t.v4.hops.map(three));
    expect(kinds(r)).toEqual(['time-exceeded', 'time-exceeded', 'echo-reply']);
    expect(r).toMatchObject({ reached: true, stoppedBy: 'reached' });
    // the answers' TTLs show how far each came back: 64 from r1, 63 from r2, 62 from dst
    expect(r.hops.map((h) => (h.probes[0]!.status === 'reply' ? h.probes[0]!.replyTtl : null))).toEqual([64, 63, 62]);
  });

  it('UDP, IPv4: ports 33434 … to a port with no listener end with port unreachable', async () => {
    const r = await trace(t, { target: t.v4.dst, mode: 'udp', maxHops: 6, timeoutMs: 2000 });
    expect(view(r)).toEqual(t.v4.hops.map(three));
    expect(kinds(r)).toEqual(['time-exceeded', 'time-exceeded', 'port-unreachable']);
    expect(r.hops[2]!.probes[0]).toMatchObject({ type: 3, code: 3, codeName: 'port-unreachable', flag: '' });
    expect(r.text.split('\n')).toHaveLength(4);
  });

  it('a blackhole route on the second router gives * from there on', async () => {
    const r = await trace(t, { target: t.v4.blackholed, mode: 'udp', maxHops: 3, timeoutMs: 400 });
    expect(view(r)).toEqual([three(t.v4.hops[0]), ['*', '*', '*'], ['*', '*', '*']]);
    expect(r).toMatchObject({ reached: false, stoppedBy: 'max-hops' });
  });

  it('a prohibit route answers !X (communication administratively prohibited) and ends the trace', async () => {
    const r = await trace(t, { target: t.v4.prohibited, mode: 'icmp', maxHops: 6, timeoutMs: 2000 });
    expect(view(r)).toEqual([three(t.v4.hops[0]), three(`${t.v4.hops[1]}!X`)]);
    expect(r.hops[1]!.probes[0]).toMatchObject({ kind: 'unreachable', code: 13, codeName: 'communication-administratively-prohibited' });
    expect(r.stoppedBy).toBe('unreachable');
  });

  it('IPv6, ICMPv6 echo and UDP (checksum over the pseudo-header): the same three hops', async () => {
    const [icmp, udp] = await Promise.all([
      trace(t, { target: t.v6.dst, mode: 'icmp', maxHops: 6, timeoutMs: 2000 }),
      trace(t, { target: t.v6.dst, mode: 'udp', maxHops: 6, timeoutMs: 2000 }),
    ]);
    expect(view(icmp)).toEqual(t.v6.hops.map(three));
    expect(kinds(icmp)).toEqual(['time-exceeded', 'time-exceeded', 'echo-reply']);
    expect(view(udp)).toEqual(t.v6.hops.map(three));
    expect(kinds(udp)).toEqual(['time-exceeded', 'time-exceeded', 'port-unreachable']);
    expect(udp.hops[0]!.probes[0]).toMatchObject({ codeName: 'hop-limit-exceeded-in-transit', replyTtl: null });
  });

  it('IPv6: blackhole gives *, prohibit gives !X', async () => {
    const [hole, prohibited] = await Promise.all([
      trace(t, { target: t.v6.blackholed, mode: 'icmp', maxHops: 2, timeoutMs: 400 }),
      trace(t, { target: t.v6.prohibited, mode: 'udp', maxHops: 6, timeoutMs: 2000 }),
    ]);
    expect(view(hole)).toEqual([three(t.v6.hops[0]), ['*', '*', '*']]);
    expect(view(prohibited)).toEqual([three(t.v6.hops[0]), three(`${t.v6.hops[1]}!X`)]);
  });

  it('ping across the routers: replies with TTL 62; with TTL 2 the second router answers time exceeded', async () => {
    const ok = await probeIn<PingSummary>(t.ns.src, { kind: 'ping', options: { target: t.v4.dst, count: 3, intervalMs: 20, timeoutMs: 2000 } });
    expect(ok.stats).toMatchObject({ transmitted: 3, received: 3, errors: 0 });
    const short = await probeIn<PingSummary>(t.ns.src, { kind: 'ping', options: { target: t.v4.dst, count: 3, intervalMs: 20, timeoutMs: 2000, ttl: 2 } });
    expect(short.stats).toMatchObject({ transmitted: 3, received: 0, errors: 3, lossPercent: 100 });
    expect(short.icmpErrors).toBe(3);
    expect(short.text).toContain('3 packets transmitted, 0 received, +3 errors, 100% packet loss');
  });

  it('destroy() removes every namespace it made', () => {
    t.destroy();
    const list = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 10_000 });
    for (const ns of Object.values(t.ns)) expect(list).not.toContain(ns);
  });
});
