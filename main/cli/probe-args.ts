// Arguments of `sockbench ping`, `traceroute` and `sweep`, spelled as ping,
// traceroute and fping spell them. Pure: host names are resolved later (run time),
// so every usage error here is a tested, one-line message.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { omit, type GenericSchema, type InferOutput } from 'valibot';
import { parseHex } from '../../shared/codec/index.js';
import { checkWith } from '../../shared/contract/check.js';
import { PingParams, PingSettings, SweepParams, TraceParams } from '../../shared/contract/probes.js';
import { ipFamily } from '../../shared/net/address.js';
import { expandTargets, splitNames } from '../../shared/net/targets.js';
import { UsageError } from './usage-error.js';

// The commands carry the contract's own types: the CLI checks them with the
// contract's schemas, so every limit is the one the app has.

export type PingCommand = { kind: 'ping'; host: string; /** -4 / -6: which family a host name resolves to. */ family?: 4 | 6; json: boolean } & InferOutput<typeof PingSettings>;

const TraceSettings = omit(TraceParams, ['target']);

export type TracerouteCommand = { kind: 'traceroute'; host: string; family?: 4 | 6; json: boolean } & InferOutput<typeof TraceSettings>;

export type SweepCommand = {
  kind: 'sweep';
  /** How many addresses the targets (the contract's text, joined) expand to. */
  total: number;
  /** fping -c given: statistics lines at the end (without -c one probe per target). */
  stats: boolean;
  /** Host names among the targets, resolved when the sweep runs (each to its first address, as fping does). */
  names: string[];
  json: boolean;
} & InferOutput<typeof SweepParams>;

export const PING_USAGE = `  sockbench ping <host> [-c N] [-i S] [-f] [-s SIZE] [-p HEX] [-t TTL] [-Q TOS] [-M do|dont] [-W S] [-4|-6] [--json]
  sockbench traceroute <host> [--udp | -I] [-m MAX] [-q N] [-w S] [-4|-6] [--json]
  sockbench sweep <addr|cidr>… [-c N] [-i MS] [-p MS] [-t MS] [--json]   (as fping -g; -i, -p, -t in ms)
  (ping -f floods like hping3 --flood, without waiting for replies; with -i below 0.001 it is paced: -f -i 0.0001 is 10,000 a second)`;

export function int(text: string | undefined, option: string, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new UsageError(`${option} needs a whole number between ${min} and ${max}, got "${text}"`);
  }
  return Number(text);
}

/** A whole number as typed (its range is the contract's business), or undefined when the option is absent. */
function whole(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new UsageError(`${option} needs a whole number, got "${text}"`);
  return Number(text);
}

/** Seconds as a decimal number ("0.01") → ms. */
function seconds(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(text)) throw new UsageError(`${option} needs a number of seconds, got "${text}"`);
  return Number(text) * 1000;
}

/** Each contract field's option, and whether the option is in seconds (the contract's times are ms). */
type Options = Record<string, { flag: string; seconds?: boolean }>;

const PING_OPTIONS: Options = {
  count: { flag: '-c' }, intervalMs: { flag: '-i', seconds: true }, size: { flag: '-s' }, pattern: { flag: '-p' },
  ttl: { flag: '-t' }, tos: { flag: '-Q' }, timeoutMs: { flag: '-W', seconds: true },
};
const TRACE_OPTIONS: Options = { maxHops: { flag: '-m' }, probesPerHop: { flag: '-q' }, timeoutMs: { flag: '-w', seconds: true } };
const SWEEP_OPTIONS: Options = { count: { flag: '-c' }, intervalMs: { flag: '-i' }, perTargetIntervalMs: { flag: '-p' }, timeoutMs: { flag: '-t' } };

/**
 * What the contract's schema makes of a command's settings; a refusal is one
 * line in the schema's words, naming the option as it was typed (and the ms
 * the schema saw, for one in seconds).
 */
function checked<S extends GenericSchema>(schema: S, value: Record<string, unknown>, options: Options, typed: Record<string, unknown>): InferOutput<S> {
  const r = checkWith(schema, value);
  if (r.ok) return r.value;
  const o = r.field === undefined ? undefined : options[r.field];
  if (!o) throw new UsageError(r.message);
  const text = typed[r.field!];
  if (typeof text !== 'string') throw new UsageError(`${o.flag}: ${r.message}`);
  const ms = o.seconds ? ` (${Number((value[r.field!] as number).toFixed(3))} ms)` : '';
  throw new UsageError(`${o.flag} ${text}${ms}: ${r.message}`);
}

/** ping.start's params for this command, to the address its host resolved to. */
export function pingParams(cmd: PingCommand, address: string): InferOutput<typeof PingParams> {
  const { kind: _kind, host: _host, family: _family, json: _json, ...settings } = cmd;
  return { ...settings, target: address };
}

/**
 * The one line saying why ping.start's schema refuses this command for the
 * address its host resolved to (the payload size depends on the family), or
 * null.
 */
export function pingProblem(cmd: PingCommand, address: string): string | null {
  try {
    checked(PingParams, pingParams(cmd, address), PING_OPTIONS, { size: String(cmd.size) });
    return null;
  } catch (e) {
    if (e instanceof UsageError) return e.message;
    throw e;
  }
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
  let pattern: Uint8Array = new Uint8Array(0);
  if (v.pattern !== undefined) {
    const r = parseHex(v.pattern as string);
    if (!r.ok) throw new UsageError(`-p: ${r.error.message}`);
    pattern = r.bytes;
  }
  const pmtu = v.pmtudisc as string | undefined;
  if (pmtu !== undefined && pmtu !== 'do' && pmtu !== 'dont') throw new UsageError(`-M needs do or dont, got "${pmtu}"`);
  const timeoutMs = seconds(v.timeout as string | undefined, '-W');
  const ttl = whole(v.ttl as string | undefined, '-t');
  const tos = whole(v.tos as string | undefined, '-Q');
  const settings = {
    count: whole(v.count as string | undefined, '-c') ?? null,
    // -f alone: flat out, as hping3 --flood; -f -i 0.0001: 10,000 a second.
    intervalMs: seconds(v.interval as string | undefined, '-i') ?? (flood ? 0 : 1000),
    flood,
    size: whole(v.size as string | undefined, '-s') ?? 56,
    pattern,
    df: pmtu === 'do',
    // ping's default wait (-W) is 10 s; the contract counts whole ms.
    timeoutMs: timeoutMs === undefined ? 10_000 : Math.round(timeoutMs),
    ...(ttl === undefined ? {} : { ttl }),
    ...(tos === undefined ? {} : { tos }),
  };
  const typed = { count: v.count, intervalMs: v.interval, size: v.size, pattern: v.pattern, ttl: v.ttl, tos: v.tos, timeoutMs: v.timeout };
  // An address is checked whole (its family bounds the size); a name once it resolves (pingProblem).
  if (ipFamily(target)) checked(PingParams, { ...settings, target }, PING_OPTIONS, typed);
  const cmd: PingCommand = { kind: 'ping', host: target, ...checked(PingSettings, settings, PING_OPTIONS, typed), json: Boolean(v.json) };
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
  const settings = {
    mode: v.udp ? 'udp' : 'icmp',
    maxHops: whole(v['max-hops'] as string | undefined, '-m') ?? 30,
    probesPerHop: whole(v.queries as string | undefined, '-q') ?? 3,
    timeoutMs: waitMs === undefined ? 5000 : Math.round(waitMs),
  };
  const typed = { maxHops: v['max-hops'], probesPerHop: v.queries, timeoutMs: v.wait };
  const cmd: TracerouteCommand = { kind: 'traceroute', host: target, ...checked(TraceSettings, settings, TRACE_OPTIONS, typed), json: Boolean(v.json) };
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
  const count = whole(v.count as string | undefined, '-c');
  // Names are resolved when the sweep runs; the contract checks the rest (and the limits once names are addresses).
  const { names, literals } = splitNames(parsed.positionals.join(' '));
  const params = checked(literals.length ? SweepParams : omit(SweepParams, ['targets']), {
    targets: literals.join(' '),
    count: count ?? 1,
    intervalMs: whole(v.interval as string | undefined, '-i') ?? 10,
    perTargetIntervalMs: whole(v.period as string | undefined, '-p') ?? 1000,
    timeoutMs: whole(v.timeout as string | undefined, '-t') ?? 500,
  }, SWEEP_OPTIONS, { count: v.count, intervalMs: v.interval, perTargetIntervalMs: v.period, timeoutMs: v.timeout });
  const expanded = expandTargets(literals.join(' '));
  return { kind: 'sweep', ...params, targets: literals.join(' '), names, total: (expanded.ok ? expanded.targets.length : 0) + names.length, stats: count !== undefined, json: Boolean(v.json) };
}
