// Arguments of `sockbench ping` and `sockbench traceroute`, spelled as ping
// and traceroute spell them. Pure: host names are resolved later (run time),
// so every usage error here is a tested, one-line message.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseHex } from '../../shared/codec/index.js';
import { expandTargets } from '../../shared/net/targets.js';
import { UsageError } from './usage-error.js';

export interface PingCommand {
  kind: 'ping';
  host: string;
  /** null: until interrupted. */
  count: number | null;
  intervalMs: number;
  flood: boolean;
  size: number;
  pattern: Uint8Array;
  ttl?: number;
  tos?: number;
  df: boolean;
  timeoutMs: number;
  /** -4 / -6: which family a host name resolves to. */
  family?: 4 | 6;
  json: boolean;
}

export interface TracerouteCommand {
  kind: 'traceroute';
  host: string;
  mode: 'icmp' | 'udp';
  maxHops: number;
  probesPerHop: number;
  timeoutMs: number;
  family?: 4 | 6;
  json: boolean;
}

export interface SweepCommand {
  kind: 'sweep';
  /** The targets as given (joined), and what they expand to. */
  targets: string;
  total: number;
  /** Probes per target (fping -c); without -c one probe and no statistics lines. */
  count: number;
  stats: boolean;
  intervalMs: number;
  perTargetIntervalMs: number;
  timeoutMs: number;
  json: boolean;
}

export const PING_USAGE = `  sockbench ping <host> [-c N] [-i S] [-f] [-s SIZE] [-p HEX] [-t TTL] [-Q TOS] [-M do|dont] [-W S] [-4|-6] [--json]
  sockbench traceroute <host> [--udp | -I] [-m MAX] [-q N] [-w S] [-4|-6] [--json]
  sockbench sweep <addr|cidr>… [-c N] [-i MS] [-p MS] [-t MS] [--json]   (as fping -g; -i, -p, -t in ms)
  (ping -f floods like hping3 --flood, without waiting for replies; with -i below 0.001 it is paced: -f -i 0.0001 is 10,000 a second)`;

export const MAX_SIZE = 65507;

export function int(text: string | undefined, option: string, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new UsageError(`${option} needs a whole number between ${min} and ${max}, got "${text}"`);
  }
  return Number(text);
}

/** Seconds as a decimal number ("0.01") → ms. */
function seconds(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(text)) throw new UsageError(`${option} needs a number of seconds, got "${text}"`);
  return Number(text) * 1000;
}

function parse(verb: string, args: string[], options: NonNullable<ParseArgsConfig['options']>) {
  try {
    return parseArgs({ args, allowPositionals: true, strict: true, options });
  } catch (e) {
    throw new UsageError(`${verb}: ${(e as Error).message.split('\n')[0]!}`);
  }
}

function host(verb: string, positionals: string[]): string {
  const [h, ...extra] = positionals;
  if (!h) throw new UsageError(`${verb} needs a host, e.g. sockbench ${verb} 127.0.0.1`);
  if (extra.length) throw new UsageError(`${verb}: unexpected argument "${extra[0]}"`);
  return h;
}

function family(v: Record<string, unknown>, verb: string): 4 | 6 | undefined {
  if (v['4'] && v['6']) throw new UsageError(`${verb}: -4 and -6 exclude each other`);
  return v['4'] ? 4 : v['6'] ? 6 : undefined;
}

export function parsePing(args: string[]): PingCommand {
  const parsed = parse('ping', args, {
    count: { type: 'string', short: 'c' },
    interval: { type: 'string', short: 'i' },
    flood: { type: 'boolean', short: 'f', default: false },
    size: { type: 'string', short: 's' },
    pattern: { type: 'string', short: 'p' },
    ttl: { type: 'string', short: 't' },
    tos: { type: 'string', short: 'Q' },
    pmtudisc: { type: 'string', short: 'M' },
    timeout: { type: 'string', short: 'W' },
    '4': { type: 'boolean', short: '4', default: false },
    '6': { type: 'boolean', short: '6', default: false },
    json: { type: 'boolean', default: false },
  });
  const v = parsed.values as Record<string, string | boolean | undefined>;
  const target = host('ping', parsed.positionals);
  const flood = Boolean(v.flood);
  const intervalMs = seconds(v.interval as string | undefined, '-i');
  if (intervalMs !== undefined && intervalMs < 1 && !flood) {
    throw new UsageError(`-i ${String(v.interval)}: the interval must be at least 0.001 s (1 ms); for faster use -f (flood)`);
  }
  const size = int(v.size as string | undefined, '-s', 0, Number.MAX_SAFE_INTEGER);
  if (size !== undefined && size > MAX_SIZE) {
    throw new UsageError(`-s ${size}: the packet size is at most ${MAX_SIZE} bytes (65535 minus the IPv4 and ICMP headers)`);
  }
  let pattern: Uint8Array = new Uint8Array(0);
  if (v.pattern !== undefined) {
    const r = parseHex(v.pattern as string);
    if (!r.ok) throw new UsageError(`-p: ${r.error.message}`);
    if (r.bytes.byteLength > 16) throw new UsageError(`-p: the pattern is at most 16 bytes, got ${r.bytes.byteLength}`);
    pattern = r.bytes;
  }
  const pmtu = v.pmtudisc as string | undefined;
  if (pmtu !== undefined && pmtu !== 'do' && pmtu !== 'dont') throw new UsageError(`-M needs do or dont, got "${pmtu}"`);
  const timeoutMs = seconds(v.timeout as string | undefined, '-W');
  if (timeoutMs !== undefined && (timeoutMs < 1 || timeoutMs > 60_000)) throw new UsageError(`-W needs between 0.001 and 60 seconds, got "${String(v.timeout)}"`);
  const cmd: PingCommand = {
    kind: 'ping',
    host: target,
    count: int(v.count as string | undefined, '-c', 1, 10_000_000) ?? null,
    // -f alone: flat out, as hping3 --flood; -f -i 0.0001: 10,000 a second.
    intervalMs: intervalMs ?? (flood ? 0 : 1000),
    flood,
    size: size ?? 56,
    pattern,
    df: pmtu === 'do',
    timeoutMs: Math.round(timeoutMs ?? 10_000),
    json: Boolean(v.json),
  };
  const ttl = int(v.ttl as string | undefined, '-t', 1, 255);
  const tos = int(v.tos as string | undefined, '-Q', 0, 255);
  if (ttl !== undefined) cmd.ttl = ttl;
  if (tos !== undefined) cmd.tos = tos;
  const fam = family(v, 'ping');
  if (fam) cmd.family = fam;
  return cmd;
}

export function parseTraceroute(args: string[]): TracerouteCommand {
  const parsed = parse('traceroute', args, {
    udp: { type: 'boolean', short: 'U', default: false },
    icmp: { type: 'boolean', short: 'I', default: false },
    'max-hops': { type: 'string', short: 'm' },
    queries: { type: 'string', short: 'q' },
    wait: { type: 'string', short: 'w' },
    numeric: { type: 'boolean', short: 'n', default: false },
    '4': { type: 'boolean', short: '4', default: false },
    '6': { type: 'boolean', short: '6', default: false },
    json: { type: 'boolean', default: false },
  });
  const v = parsed.values as Record<string, string | boolean | undefined>;
  const target = host('traceroute', parsed.positionals);
  if (v.udp && v.icmp) throw new UsageError('traceroute: --udp and -I (ICMP) exclude each other');
  const waitMs = seconds(v.wait as string | undefined, '-w');
  if (waitMs !== undefined && (waitMs < 10 || waitMs > 10_000)) throw new UsageError(`-w needs between 0.01 and 10 seconds, got "${String(v.wait)}"`);
  const cmd: TracerouteCommand = {
    kind: 'traceroute',
    host: target,
    mode: v.udp ? 'udp' : 'icmp',
    maxHops: int(v['max-hops'] as string | undefined, '-m', 1, 64) ?? 30,
    probesPerHop: int(v.queries as string | undefined, '-q', 1, 5) ?? 3,
    timeoutMs: Math.round(waitMs ?? 5000),
    json: Boolean(v.json),
  };
  const fam = family(v, 'traceroute');
  if (fam) cmd.family = fam;
  return cmd;
}

/** `sockbench sweep 127.0.0.1 ::1 127.0.0.0/29 -c 3`: fping's options, times in ms as fping's. */
export function parseSweep(args: string[]): SweepCommand {
  const parsed = parse('sweep', args, {
    count: { type: 'string', short: 'c' },
    interval: { type: 'string', short: 'i' },
    period: { type: 'string', short: 'p' },
    timeout: { type: 'string', short: 't' },
    json: { type: 'boolean', default: false },
  });
  const v = parsed.values as Record<string, string | boolean | undefined>;
  if (parsed.positionals.length === 0) throw new UsageError('sweep needs targets, e.g. sockbench sweep 127.0.0.1 ::1 127.0.0.0/29');
  const targets = parsed.positionals.join(' ');
  const expanded = expandTargets(targets);
  if (!expanded.ok) throw new UsageError(`sweep: ${expanded.message}`);
  const count = int(v.count as string | undefined, '-c', 1, 100);
  return {
    kind: 'sweep',
    targets,
    total: expanded.targets.length,
    count: count ?? 1,
    stats: count !== undefined,
    intervalMs: int(v.interval as string | undefined, '-i', 1, 60_000) ?? 10,
    perTargetIntervalMs: int(v.period as string | undefined, '-p', 10, 60_000) ?? 1000,
    timeoutMs: int(v.timeout as string | undefined, '-t', 1, 60_000) ?? 500,
    json: Boolean(v.json),
  };
}
