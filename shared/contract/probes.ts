// The contract's part for ICMP probes and raw sockets: the privileged
// helper's status, ping, traceroute, and raw send/receive. Types are inferred
// in ./index.ts from these schemas, as for the rest of the contract.
import * as v from 'valibot';
import { ipFamily, isHostName } from '../net/address.js';
import { checkTargetsWithNames } from '../net/targets.js';
import { AnyBytes, Bytes, intInRange, IpAddress, RunRef } from './schemas.js';

export const ProbeId = intInRange('id', 1, Number.MAX_SAFE_INTEGER);

/** What a probe that runs says of a target that is not (yet) an address. */
export const NOT_AN_ADDRESS = 'not an IP address (host names are resolved before the probe starts)';

/** A probe's target as a person types it: an IP literal, or a host name main resolves as ping does (getaddrinfo's first address). */
export const ProbeTarget = v.pipe(
  v.string('target must be text'),
  v.check((s) => ipFamily(s) !== null || isHostName(s), 'target must be an IPv4 or IPv6 address or a host name (e.g. 127.0.0.1, ::1, localhost)'),
);

/** Whether raw sockets can be had: the helper runs (`ready`), or why not. */
export const RawStatus = v.object({
  status: v.picklist(['stopped', 'starting', 'ready', 'unprivileged', 'declined', 'failed']),
  /** A sentence for people: what is wrong and what to do. */
  reason: v.optional(v.string()),
  /** The OS can be asked to elevate the helper alone (pkexec, the admin prompt, UAC). */
  canElevate: v.boolean(),
});

/**
 * ping's limits, written only here: the schemas below check them, and Ping,
 * the CLI and the form take them from here.
 * - count: 2^31 − 1 probes, the most the raw helper sends in one flood
 *   request (iputils takes up to 2^63 − 1; a run that long is "until stopped").
 * - intervalMs, timeoutMs: at most an hour. iputils takes up to 24.8 days
 *   (INT_MAX ms); an hour is far beyond any useful wait, and a lost probe
 *   holds its run open that long.
 * - size: the echo payload iputils and the kernel send: 65535 − 20 (IPv4
 *   header) − 8 = 65507 for IPv4, 65535 − 8 = 65527 for IPv6.
 * - patternBytes: 16, iputils' -p ("up to 16 pad bytes"; it drops the rest).
 */
export const PING_LIMITS = {
  count: 2 ** 31 - 1,
  intervalMs: 3_600_000,
  timeoutMs: 3_600_000,
  sizeV4: 65_507,
  sizeV6: 65_527,
  patternBytes: 16,
} as const;

const SIZE_RANGE = `size must be between 0 and ${PING_LIMITS.sizeV6} (${PING_LIMITS.sizeV4} for IPv4)`;
const SIZE_V4 = `size must be at most ${PING_LIMITS.sizeV4} for IPv4 (65535 − 20-byte IP header − 8-byte ICMP header)`;
const INTERVAL_MIN = 'interval must be at least 1 ms (or use flood)';
const intervalOk = (p: { intervalMs: number; flood: boolean }): boolean => p.flood || p.intervalMs >= 1;

/** Everything of a ping but its target. */
const pingSettings = {
  /** null: until stopped. */
  count: v.nullable(intInRange('count', 1, PING_LIMITS.count)),
  /** Between probes, ≥ 1 ms; with flood any gap ≥ 0 (0: as fast as possible). */
  intervalMs: v.pipe(v.number('interval must be a number'), v.minValue(0, 'interval must be 0 ms or more'), v.maxValue(PING_LIMITS.intervalMs, 'interval must be at most 1 hour')),
  /** hping3 --flood: probes go without waiting for replies, sent by the raw helper itself. */
  flood: v.optional(v.boolean(), false),
  /** ICMP payload bytes (after the 8-byte ICMP header); at most 65507 to an IPv4 target. */
  size: v.pipe(v.number('size must be a number'), v.integer('size must be a whole number'), v.minValue(0, SIZE_RANGE), v.maxValue(PING_LIMITS.sizeV6, SIZE_RANGE)),
  /** Payload filler, repeated; empty = Sockbench's default pattern. */
  pattern: v.optional(
    v.pipe(AnyBytes, v.check((b) => b.byteLength <= PING_LIMITS.patternBytes, `the pattern is at most ${PING_LIMITS.patternBytes} bytes`)),
    new Uint8Array(0),
  ),
  ttl: v.optional(intInRange('ttl', 1, 255)),
  tos: v.optional(intInRange('tos', 0, 255)),
  df: v.optional(v.boolean(), false),
  timeoutMs: intInRange('timeout', 1, PING_LIMITS.timeoutMs),
};

/** A ping's settings without its target: what the CLI checks before it resolves a host name. */
export const PingSettings = v.pipe(
  v.object(pingSettings),
  v.forward(v.partialCheck([['intervalMs'], ['flood']], intervalOk, INTERVAL_MIN), ['intervalMs']),
);

export const PingParams = v.pipe(
  v.object({
    /** An IPv4 or IPv6 literal, or a host name (resolved by main before the run starts). */
    target: ProbeTarget,
    ...pingSettings,
    ref: v.optional(RunRef),
  }),
  v.forward(v.partialCheck([['intervalMs'], ['flood']], intervalOk, INTERVAL_MIN), ['intervalMs']),
  v.forward(v.partialCheck([['target'], ['size']], (p) => ipFamily(p.target) !== 4 || p.size <= PING_LIMITS.sizeV4, SIZE_V4), ['size']),
);

export const PingStats = v.object({
  transmitted: v.number(),
  received: v.number(),
  duplicates: v.number(),
  /** ICMP errors about our probes plus failed sends (ping's "+N errors"). */
  errors: v.number(),
  /** Replies that came after their probe's timeout (counted lost, not in the RTTs). */
  late: v.number(),
  /** Loss in %, as ping prints it. */
  lossPct: v.number(),
  minUs: v.nullable(v.number()),
  avgUs: v.nullable(v.number()),
  maxUs: v.nullable(v.number()),
  mdevUs: v.nullable(v.number()),
  p50Us: v.nullable(v.number()),
  p90Us: v.nullable(v.number()),
  p99Us: v.nullable(v.number()),
  /** Log-spaced buckets: count of RTTs up to `upToUs`. */
  histogram: v.array(v.object({ upToUs: v.number(), count: v.number() })),
  /** From the start to now (or to the last probe settled, once done), ms: ping's "time Nms". */
  elapsedMs: v.number(),
});

export const PingReply = v.object({
  id: ProbeId,
  ref: v.optional(RunRef),
  seq: v.number(),
  /** null: timed out. */
  rttUs: v.nullable(v.number()),
  from: v.optional(v.string()),
  bytes: v.optional(v.number()),
  ttl: v.optional(v.number()),
  dup: v.optional(v.boolean()),
  late: v.optional(v.boolean()),
  /** An ICMP error instead of a reply (e.g. "Destination Host Unreachable"). */
  error: v.optional(v.string()),
  /** Engine clock, µs. */
  tUs: v.number(),
});

export const TraceParams = v.object({
  /** The caller's name for this run, carried by its events (see RunRef). */
  ref: v.optional(RunRef),
  target: ProbeTarget,
  mode: v.picklist(['icmp', 'udp'], 'mode must be icmp or udp'),
  maxHops: intInRange('max hops', 1, 64),
  probesPerHop: intInRange('probes per hop', 1, 5),
  timeoutMs: intInRange('timeout', 10, 10_000),
});

export const TraceHop = v.object({
  id: ProbeId,
  ref: v.optional(RunRef),
  ttl: v.number(),
  probes: v.array(v.object({
    rttUs: v.nullable(v.number()),
    from: v.optional(v.string()),
    /** e.g. "time exceeded", "echo reply", "port unreachable". */
    kind: v.optional(v.string()),
    /** traceroute's mark for an unreachable: !H, !N, !P, !X, !F, !S, !V, !C or !<code>. */
    flag: v.optional(v.string()),
  })),
});

export const RawOpenParams = v.object({
  /** The caller's name for this run, carried by its events (see RunRef). */
  ref: v.optional(RunRef),
  family: v.picklist([4, 6], 'family must be 4 or 6'),
  /** 'icmp', 'icmpv6' or an IP protocol number. */
  protocol: v.union([v.picklist(['icmp', 'icmpv6']), intInRange('protocol', 0, 255)], 'protocol must be icmp, icmpv6 or 0..255'),
  hdrincl: v.optional(v.boolean(), false),
});

export const RawPacket = v.object({
  id: ProbeId,
  ref: v.optional(RunRef),
  bytes: AnyBytes,
  from: v.string(),
  /** IPv4 raw sockets deliver the IP header; ICMPv6 ones do not. */
  ipHeader: v.boolean(),
  tUs: v.number(),
  /** Packets received but not forwarded since the previous one (the view is rate-limited in a flood). */
  skipped: v.optional(v.number()),
});

/** The least gap between probes to the same target (fping -p): the form's hint reads it too. */
export const SWEEP_LIMITS = { perTargetIntervalMs: 10 } as const;

/** fping over many targets: a list of addresses and/or CIDR blocks (at most 4,096 addresses). */
export const SweepParams = v.object({
  /** The caller's name for this run, carried by its events (see RunRef). */
  ref: v.optional(RunRef),
  /** IPv4 / IPv6 literals, CIDR blocks (127.0.0.0/28, fd00::/124) and host names (main resolves each to its first address), separated by spaces, commas or newlines. */
  targets: v.pipe(
    v.string('targets must be text'),
    v.check((s) => checkTargetsWithNames(s).ok, (issue) => {
      const r = checkTargetsWithNames(String(issue.input));
      return r.ok ? 'bad targets' : r.message;
    }),
  ),
  /** Probes per target (fping -c). */
  count: intInRange('count', 1, 100),
  /** Between probes to different targets, ms (fping -i). */
  intervalMs: v.pipe(v.number('interval must be a number'), v.minValue(1, 'interval must be at least 1 ms'), v.maxValue(60_000, 'interval must be at most 60000 ms')),
  /** Between probes to the same target, ms (fping -p). */
  perTargetIntervalMs: v.pipe(
    v.number('per-target interval must be a number'),
    v.minValue(SWEEP_LIMITS.perTargetIntervalMs, `per-target interval must be at least ${SWEEP_LIMITS.perTargetIntervalMs} ms`),
    v.maxValue(60_000, 'per-target interval must be at most 60000 ms'),
  ),
  timeoutMs: intInRange('timeout', 1, 60_000),
});

export const SweepResult = v.object({
  id: ProbeId,
  ref: v.optional(RunRef),
  target: v.string(),
  sent: v.number(),
  received: v.number(),
  lossPct: v.number(),
  minUs: v.nullable(v.number()),
  avgUs: v.nullable(v.number()),
  maxUs: v.nullable(v.number()),
  /** At least one reply came. */
  alive: v.boolean(),
  /** Why this target could not be probed (e.g. the socket could not be opened). */
  error: v.optional(v.string()),
});

export const probeMethods = {
  'raw.status': { params: v.object({}), result: RawStatus },
  /** Asks the OS to elevate the helper alone; the app itself is never elevated. */
  'raw.elevate': { params: v.object({}), result: RawStatus },
  'ping.start': { params: PingParams, result: v.object({ id: ProbeId }) },
  'ping.stop': { params: v.object({ id: ProbeId }), result: v.object({ stats: PingStats }) },
  'trace.start': { params: TraceParams, result: v.object({ id: ProbeId }) },
  'trace.stop': { params: v.object({ id: ProbeId }), result: v.object({}) },
  'raw.open': { params: RawOpenParams, result: v.object({ id: ProbeId }) },
  'raw.send': {
    params: v.object({ id: ProbeId, bytes: Bytes, address: IpAddress }),
    result: v.object({ bytes: v.number() }),
  },
  'raw.close': { params: v.object({ id: ProbeId }), result: v.object({}) },
  /** Starts a sweep: `total` is the number of addresses it will probe. */
  'sweep.start': { params: SweepParams, result: v.object({ id: ProbeId, total: v.number() }) },
  'sweep.stop': { params: v.object({ id: ProbeId }), result: v.object({}) },
} as const;

export const probeEvents = {
  'raw.status': RawStatus,
  'ping.reply': PingReply,
  /** Running statistics, at most a few times a second, and once at the end (done: true). */
  'ping.stats': v.object({
    id: ProbeId,
    ref: v.optional(RunRef),
    stats: PingStats,
    done: v.boolean(),
    /** Why the run ended early (the helper died, the socket could not be opened). */
    error: v.optional(v.string()),
  }),
  'trace.hop': TraceHop,
  'trace.done': v.object({ id: ProbeId, ref: v.optional(RunRef), reached: v.boolean(), error: v.optional(v.string()) }),
  'raw.packet': RawPacket,
  /** A raw socket ended without raw.close: its helper died (the error names the signal); later calls on it say so too. */
  'raw.closed': v.object({ id: ProbeId, ref: v.optional(RunRef), error: v.string() }),
  /** One per target, when its probes are done. */
  'sweep.result': SweepResult,
  /** The sweep is over (or was stopped): targets alive out of those probed. */
  'sweep.done': v.object({ id: ProbeId, ref: v.optional(RunRef), alive: v.number(), total: v.number(), stopped: v.optional(v.boolean()), error: v.optional(v.string()) }),
} as const;
