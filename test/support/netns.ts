// A real three-hop path on one machine, made of network namespaces joined by
// veth pairs (nothing is created in the test process's own namespace):
//
//   src ──── r1 ──── r2 ──── dst
//   10.250.1.2   .1.1 │ .2.1  .2.2 │ .3.1   10.250.3.2
//   fd00:250:1::2 … and the same in IPv6, fd00:250:N::M
//
// r1 and r2 forward (IPv4 and IPv6) and rate-limit no ICMP, so every probe
// of a test gets its answer. From src, a traceroute to dst finds 10.250.1.1,
// 10.250.2.2, 10.250.3.2. r2 also holds a blackhole route (10.250.9.0/24:
// silence) and a prohibit route (10.250.8.0/24: ICMP administratively
// prohibited), with the IPv6 twins fd00:250:9::/64 and fd00:250:8::/64.
//
// Names are unique per run (sbtr-<pid>-<random>-<role>); destroy() deletes
// every namespace (and with it every veth), and is also run on process exit.
// Namespaces left by a run that died (its pid gone) are swept at the next
// creation. Every command is bounded in time.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

const PREFIX = 'sbtr';
const CMD_TIMEOUT_MS = 10_000;

export type Role = 'src' | 'r1' | 'r2' | 'dst';
const ROLES: readonly Role[] = ['src', 'r1', 'r2', 'dst'];

export interface ThreeHop {
  /** Namespace name of each role. */
  ns: Record<Role, string>;
  v4: { src: string; hops: [string, string, string]; dst: string; blackholed: string; prohibited: string };
  v6: { src: string; hops: [string, string, string]; dst: string; blackholed: string; prohibited: string };
  /** Runs `ip netns exec <ns of role> <cmd> <args>`; returns stdout. Throws with stderr on failure. */
  exec(role: Role, cmd: string, args: string[], timeoutMs?: number): string;
  /** Deletes every namespace of this topology (idempotent, never throws). */
  destroy(): void;
}

function ip(args: string[], timeoutMs = CMD_TIMEOUT_MS): string {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: timeoutMs });
  if (r.error) throw new Error(`ip ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** null when this process may create network namespaces; otherwise why not. */
export function netnsProblem(): string | null {
  const probe = `${PREFIX}-${process.pid}-probe${randomBytes(2).toString('hex')}`;
  try {
    ip(['netns', 'add', probe]);
  } catch (e) {
    return `ip netns is not permitted here (${(e as Error).message.split('\n')[0]})`;
  }
  try {
    ip(['netns', 'del', probe]);
  } catch {
    // best effort
  }
  return null;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Deletes namespaces of earlier runs whose process is gone. */
export function sweepStale(): string[] {
  let list: string;
  try {
    list = ip(['netns', 'list']);
  } catch {
    return [];
  }
  const swept: string[] = [];
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = new RegExp(`^${PREFIX}-(\\d+)-`).exec(name);
    if (!m || Number(m[1]) === process.pid || alive(Number(m[1]))) continue;
    try {
      ip(['netns', 'del', name]);
      swept.push(name);
    } catch {
      // someone else got it first
    }
  }
  return swept;
}

const live = new Set<ThreeHop>();
let exitHook = false;

/** Builds the topology; on any failure deletes what it made and throws. */
export function createThreeHop(): ThreeHop {
  sweepStale();
  const tag = `${PREFIX}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const ns = Object.fromEntries(ROLES.map((r) => [r, `${tag}-${r}`])) as Record<Role, string>;
  const made: string[] = [];
  const destroy = (): void => {
    for (const n of made.splice(0)) {
      try {
        ip(['netns', 'del', n]);
      } catch {
        // already gone
      }
    }
    live.delete(topo);
  };
  const exec = (role: Role, cmd: string, args: string[], timeoutMs = CMD_TIMEOUT_MS): string => {
    try {
      return execFileSync('ip', ['netns', 'exec', ns[role], cmd, ...args], { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new Error(`ip netns exec ${ns[role]} ${cmd} ${args.join(' ')}: ${err.stderr?.trim() || err.message}`, { cause: e });
    }
  };
  const topo: ThreeHop = {
    ns,
    v4: { src: '10.250.1.2', hops: ['10.250.1.1', '10.250.2.2', '10.250.3.2'], dst: '10.250.3.2', blackholed: '10.250.9.9', prohibited: '10.250.8.8' },
    v6: { src: 'fd00:250:1::2', hops: ['fd00:250:1::1', 'fd00:250:2::2', 'fd00:250:3::2'], dst: 'fd00:250:3::2', blackholed: 'fd00:250:9::9', prohibited: 'fd00:250:8::8' },
    exec,
    destroy,
  };
  live.add(topo);
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const t of [...live]) t.destroy();
    });
  }
  try {
    for (const r of ROLES) {
      ip(['netns', 'add', ns[r]]);
      made.push(ns[r]);
      exec(r, 'ip', ['link', 'set', 'lo', 'up']);
      const forward = r === 'r1' || r === 'r2' ? '1' : '0';
      exec(r, 'sysctl', [
        '-q', '-w',
        // No duplicate address detection: link-local addresses usable at once (neighbour discovery needs them).
        'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0',
        `net.ipv4.ip_forward=${forward}`, `net.ipv6.conf.all.forwarding=${forward}`,
        // ICMP errors unthrottled: a test sends more than the default burst to one peer. (IPv4: by the type
        // mask, not icmp_ratelimit=0, which would zero the per-peer tokens that route errors such as
        // prohibit also spend — net.ipv4.route.error_cost is not per namespace.)
        'net.ipv4.icmp_ratemask=0', 'net.ipv6.icmp.ratelimit=0',
      ]);
    }
    // veth pairs created with each end directly in its namespace
    const link = (a: Role, aIf: string, b: Role, bIf: string): void => {
      ip(['link', 'add', aIf, 'netns', ns[a], 'type', 'veth', 'peer', 'name', bIf, 'netns', ns[b]]);
      exec(a, 'ip', ['link', 'set', aIf, 'up']);
      exec(b, 'ip', ['link', 'set', bIf, 'up']);
    };
    link('src', 'to-r1', 'r1', 'to-src');
    link('r1', 'to-r2', 'r2', 'to-r1');
    link('r2', 'to-dst', 'dst', 'to-r2');
    const addr = (r: Role, dev: string, net: number, host: number): void => {
      exec(r, 'ip', ['addr', 'add', `10.250.${net}.${host}/24`, 'dev', dev]);
      exec(r, 'ip', ['-6', 'addr', 'add', `fd00:250:${net}::${host}/64`, 'dev', dev, 'nodad']);
    };
    addr('src', 'to-r1', 1, 2);
    addr('r1', 'to-src', 1, 1);
    addr('r1', 'to-r2', 2, 1);
    addr('r2', 'to-r1', 2, 2);
    addr('r2', 'to-dst', 3, 1);
    addr('dst', 'to-r2', 3, 2);
    const route = (r: Role, args: string[]): void => {
      exec(r, 'ip', ['route', 'add', ...args]);
    };
    const route6 = (r: Role, args: string[]): void => {
      exec(r, 'ip', ['-6', 'route', 'add', ...args]);
    };
    route('src', ['default', 'via', '10.250.1.1']);
    route6('src', ['default', 'via', 'fd00:250:1::1']);
    route('dst', ['default', 'via', '10.250.3.1']);
    route6('dst', ['default', 'via', 'fd00:250:3::1']);
    route('r1', ['default', 'via', '10.250.2.2']);
    route6('r1', ['default', 'via', 'fd00:250:2::2']);
    route('r2', ['10.250.1.0/24', 'via', '10.250.2.1']);
    route6('r2', ['fd00:250:1::/64', 'via', 'fd00:250:2::1']);
    route('r2', ['blackhole', '10.250.9.0/24']);
    route('r2', ['prohibit', '10.250.8.0/24']);
    route6('r2', ['blackhole', 'fd00:250:9::/64']);
    route6('r2', ['prohibit', 'fd00:250:8::/64']);
  } catch (e) {
    destroy();
    throw e;
  }
  return topo;
}
