// The contract's part for ICMP probes and raw sockets: the privileged
// helper's status, ping, traceroute, and raw send/receive. Types are inferred
// in ./index.ts from these schemas, as for the rest of the contract.
import * as v from 'valibot';
import { expandTargets } from '../net/targets.js';
import { AnyBytes, Bytes, intInRange, IpAddress } from './schemas.js';

export const ProbeId = intInRange('id', 1, Number.MAX_SAFE_INTEGER);

/** Whether raw sockets can be had: the helper runs (`ready`), or why not. */
export const RawStatus = v.object({
  status: v.picklist(['stopped', 'starting', 'ready', 'unprivileged', 'declined', 'failed']),
  /** A sentence for people: what is wrong and what to do. */
  reason: v.optional(v.string()),
  /** The OS can be asked to elevate the helper alone (pkexec, the admin prompt, UAC). */
  canElevate: v.boolean(),
});

export const PingParams = v.pipe(v.object({
  /** An IPv4 or IPv6 literal; host names are resolved by the caller. */
  target: IpAddress,
  /** null: until stopped. */
  count: v.nullable(intInRange('count', 1, 10_000_000)),
  /** Between probes, ≥ 1 ms; with flood any gap ≥ 0 (0: as fast as possible). */
  intervalMs: v.pipe(v.number('interval must be a number'), v.minValue(0, 'interval must be 0 ms or more'), v.maxValue(3_600_000, 'interval must be at most 1 hour')),
  /** hping3 --flood: probes go without waiting for replies, sent by the raw helper itself. */
  flood: v.optional(v.boolean(), false),
  /** ICMP payload bytes (after the 8-byte ICMP header). */
  size: intInRange('size', 0, 65507),
  /** Payload filler, repeated; empty = Sockbench's default pattern. */
  pattern: v.optional(v.pipe(AnyBytes, v.check((b) => b.byteLength <= 16, 'the pattern is at most 16 bytes')), new Uint8Array(0)),
  ttl: v.optional(intInRange('ttl', 1, 255)),
  tos: v.optional(intInRange('tos', 0, 255)),
  df: v.optional(v.boolean(), false),
  timeoutMs: intInRange('timeout', 1, 60_000),
}), v.forward(v.partialCheck([['intervalMs'], ['flood']], (p) => p.flood || p.intervalMs >= 1, 'interval must be at least 1 ms (or use flood)'), ['intervalMs']));

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
  target: IpAddress,
  mode: v.picklist(['icmp', 'udp'], 'mode must be icmp or udp'),
  maxHops: intInRange('max hops', 1, 64),
  probesPerHop: intInRange('probes per hop', 1, 5),
  timeoutMs: intInRange('timeout', 10, 10_000),
});

export const TraceHop = v.object({
  id: ProbeId,
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
  family: v.picklist([4, 6], 'family must be 4 or 6'),
  /** 'icmp', 'icmpv6' or an IP protocol number. */
  protocol: v.union([v.picklist(['icmp', 'icmpv6']), intInRange('protocol', 0, 255)], 'protocol must be icmp, icmpv6 or 0..255'),
  hdrincl: v.optional(v.boolean(), false),
});

export const RawPacket = v.object({
  id: ProbeId,
  bytes: AnyBytes,
  from: v.string(),
  /** IPv4 raw sockets deliver the IP header; ICMPv6 ones do not. */
  ipHeader: v.boolean(),
  tUs: v.number(),
  /** Packets received but not forwarded since the previous one (the view is rate-limited in a flood). */
  skipped: v.optional(v.number()),
});

/** fping over many targets: a list of addresses and/or CIDR blocks (at most 4,096 addresses). */
export const SweepParams = v.object({
  /** IPv4 / IPv6 literals and CIDR blocks (127.0.0.0/28, fd00::/124), separated by spaces, commas or newlines. */
  targets: v.pipe(
    v.string('targets must be text'),
    v.check((s) => expandTargets(s).ok, (issue) => {
      const r = expandTargets(String(issue.input));
      return r.ok ? 'bad targets' : r.message;
    }),
  ),
  /** Probes per target (fping -c). */
  count: intInRange('count', 1, 100),
  /** Between probes to different targets, ms (fping -i). */
  intervalMs: v.pipe(v.number('interval must be a number'), v.minValue(1, 'interval must be at least 1 ms'), v.maxValue(60_000, 'interval must be at most 60000 ms')),
  /** Between probes to the same target, ms (fping -p). */
  perTargetIntervalMs: v.pipe(v.number('per-target interval must be a number'), v.minValue(10, 'per-target interval must be at least 10 ms'), v.maxValue(60_000, 'per-target interval must be at most 60000 ms')),
  timeoutMs: intInRange('timeout', 1, 60_000),
});

export const SweepResult = v.object({
  id: ProbeId,
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
    stats: PingStats,
    done: v.boolean(),
    /** Why the run ended early (the helper died, the socket could not be opened). */
    error: v.optional(v.string()),
  }),
  'trace.hop': TraceHop,
  'trace.done': v.object({ id: ProbeId, reached: v.boolean(), error: v.optional(v.string()) }),
  'raw.packet': RawPacket,
  /** One per target, when its probes are done. */
  'sweep.result': SweepResult,
  /** The sweep is over (or was stopped): targets alive out of those probed. */
  'sweep.done': v.object({ id: ProbeId, alive: v.number(), total: v.number(), stopped: v.optional(v.boolean()), error: v.optional(v.string()) }),
} as const;
