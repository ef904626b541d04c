// ping over a ProbeTransport: ICMP / ICMPv6 echo requests carrying a
// per-run random identifier and sequence 1, 2 … 65535, 0, 1 …; replies
// matched by type (echo reply), identifier and sequence. On loopback the raw
// socket also receives our own requests: they are counted and ignored. A
// second reply to a probe is a duplicate (ping's DUP!); a reply that comes
// after its probe's timeout is late. Neither is counted in the RTT
// statistics, and a late reply is not counted as received (the probe was
// already reported lost). RTT = reply tUs − send tUs, both from the helper's
// monotonic clock (µs).
import { EventEmitter } from 'node:events';
import { parseHex } from '../../shared/codec/hex.js';
import { ipFamily } from '../../shared/net/address.js';
import { checksumValid, echoLayers, ECHO, icmpCodeName, icmpTypeName, setEchoSequence, stackBytes } from '../../shared/packet/index.js';
import { decodeIcmpPacket, random16, sameAddress, type ProbePacket, type ProbeTransport, type RawHandle } from './probe-transport.js';
import { formatPingSummary, pingStats, RttAccumulator, type PingStats } from './stats.js';

/** Largest echo payload: 65535 − 20 (IPv4 header) − 8 (ICMP header). */
export const MAX_PAYLOAD_V4 = 65507;
/** Largest echo payload: 65535 (IPv6 payload length) − 8 (ICMPv6 header). */
export const MAX_PAYLOAD_V6 = 65527;
/** Without flood, probes are at least this far apart (flood takes any interval, 0 included). */
export const MIN_INTERVAL_MS = 1;
const MAX_MS = 3_600_000;
const MAX_COUNT = 2 ** 31 - 1;
const MAX_PATTERN_BYTES = 64;

export interface PingOptions {
  /** An IPv4 or IPv6 literal (the caller resolves names). */
  target: string;
  /** Probes to send; null: until stop(). */
  count: number | null;
  /** Between probes on an absolute schedule, ≥ 1 ms (default 1000); with flood any gap ≥ 0 (default 0: flat out). */
  intervalMs?: number;
  /**
   * Like hping3 --flood: probes go without waiting for replies, as fast as
   * the helper can send them or at intervalMs below the 1 ms floor (0.1 ms:
   * 10,000 a second). The helper sends them itself, in one request.
   */
  flood?: boolean;
  /** Echo payload bytes; default 56. */
  size?: number;
  /** Bytes repeated to fill the payload, as hex text ("ff00") or bytes; empty or omitted: 00 01 02 … */
  pattern?: string | Uint8Array;
  /** TTL (IPv4) or hop limit (IPv6), 1..255; default: the system's. */
  ttl?: number;
  /** TOS (IPv4) or traffic class (IPv6), 0..255. */
  tos?: number;
  /** Don't fragment. */
  df?: boolean;
  /** A probe without a reply after this long is lost; default 1000 ms. */
  timeoutMs?: number;
  /** Fixed identifier instead of a random one (tests, or to mimic another tool). */
  identifier?: number;
}

export interface ResolvedPingOptions {
  target: string;
  family: 4 | 6;
  /** null: until stop(). */
  count: number | null;
  intervalMs: number;
  flood: boolean;
  size: number;
  payload: Uint8Array;
  ttl?: number;
  tos?: number;
  df?: boolean;
  timeoutMs: number;
  identifier: number;
}

export type PingOptionsResult = { ok: true; options: ResolvedPingOptions } | { ok: false; field: keyof PingOptions; message: string };

export class PingOptionsError extends Error {
  constructor(readonly field: keyof PingOptions, message: string) {
    super(message);
    this.name = 'PingOptionsError';
  }
}

const isInt = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const isNum = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max;

/** Checks every option and says which one is wrong and why, in a sentence a person reads. */
export function validatePingOptions(o: PingOptions): PingOptionsResult {
  const bad = (field: keyof PingOptions, message: string): PingOptionsResult => ({ ok: false, field, message });
  const family = typeof o.target === 'string' ? ipFamily(o.target) : null;
  if (family === null) return bad('target', `target must be an IPv4 or IPv6 address (resolve host names first), got ${JSON.stringify(String(o.target)).slice(0, 80)}`);
  if (o.count !== null && !isInt(o.count, 1, MAX_COUNT)) {
    return bad('count', `count must be a whole number of probes from 1 to ${MAX_COUNT} (or null: until stopped), got ${o.count}`);
  }
  const flood = o.flood ?? false;
  if (typeof flood !== 'boolean') return bad('flood', 'flood must be true or false');
  const intervalMs = o.intervalMs ?? (flood ? 0 : 1000);
  if (!isNum(intervalMs, flood ? 0 : MIN_INTERVAL_MS, MAX_MS)) {
    return bad('intervalMs', flood
      ? `interval must be 0..${MAX_MS} ms (0: as fast as possible), got ${intervalMs}`
      : `interval must be at least ${MIN_INTERVAL_MS} ms (or use flood) and at most ${MAX_MS} ms, got ${intervalMs}`);
  }
  const max = family === 4 ? MAX_PAYLOAD_V4 : MAX_PAYLOAD_V6;
  const size = o.size ?? 56;
  if (!isInt(size, 0, max)) {
    return bad('size', family === 4
      ? `payload size must be 0..${MAX_PAYLOAD_V4} bytes for IPv4 (65535 − 20-byte IP header − 8-byte ICMP header), got ${size}`
      : `payload size must be 0..${MAX_PAYLOAD_V6} bytes for IPv6 (65535 − 8-byte ICMPv6 header), got ${size}`);
  }
  let pattern: Uint8Array = new Uint8Array(0);
  if (o.pattern !== undefined) {
    const p = typeof o.pattern === 'string' ? parseHex(o.pattern) : o.pattern instanceof Uint8Array ? { ok: true as const, bytes: o.pattern } : null;
    if (!p) return bad('pattern', 'pattern must be hex bytes, e.g. "ff00"');
    if (!p.ok) return bad('pattern', `pattern: ${p.error.message}`);
    if (p.bytes.length > MAX_PATTERN_BYTES) return bad('pattern', `pattern must be at most ${MAX_PATTERN_BYTES} bytes, got ${p.bytes.length}`);
    pattern = p.bytes;
  }
  if (o.ttl !== undefined && !isInt(o.ttl, 1, 255)) return bad('ttl', `${family === 4 ? 'TTL' : 'hop limit'} must be 1..255, got ${o.ttl}`);
  if (o.tos !== undefined && !isInt(o.tos, 0, 255)) return bad('tos', `${family === 4 ? 'TOS' : 'traffic class'} must be 0..255, got ${o.tos}`);
  if (o.df !== undefined && typeof o.df !== 'boolean') return bad('df', 'df must be true or false');
  const timeoutMs = o.timeoutMs ?? 1000;
  if (!isNum(timeoutMs, 1, MAX_MS)) return bad('timeoutMs', `timeout must be 1..${MAX_MS} ms, got ${timeoutMs}`);
  if (o.identifier !== undefined && !isInt(o.identifier, 0, 0xffff)) return bad('identifier', `identifier must be 0..65535, got ${o.identifier}`);
  const payload = new Uint8Array(size);
  for (let i = 0; i < size; i++) payload[i] = pattern.length ? pattern[i % pattern.length]! : i & 0xff;
  return {
    ok: true,
    options: {
      target: o.target, family, count: o.count, intervalMs, flood, size, payload, ttl: o.ttl, tos: o.tos, df: o.df, timeoutMs,
      identifier: o.identifier ?? random16(),
    },
  };
}

/** The sequence number of the index-th probe (1-based): 1 … 65535, 0, 1 … */
export const sequenceOf = (index: number): number => index % 0x10000;

export interface PingSent {
  index: number;
  seq: number;
  /** Bytes the kernel accepted (the ICMP message). */
  bytes: number;
  tUs: number;
}

export interface PingReply {
  index: number;
  seq: number;
  /** Reply tUs − send tUs, integer µs. */
  rttUs: number;
  /** ICMP message bytes (ping's "64 bytes from"). */
  bytes: number;
  from: string;
  /** IPv4 TTL of the reply; null for IPv6 (raw ICMPv6 sockets give no header). */
  ttl: number | null;
  /** A further reply to a probe already answered (ping's DUP!). */
  dup: boolean;
  /** Came after the probe's timeout: the probe stays lost. */
  late: boolean;
  /** From another address than the target (ping's DIFFERENT ADDRESS!). */
  wrongSource: boolean;
  /** The payload came back as sent. */
  payloadOk: boolean;
  /** IPv4: the ICMP checksum holds; IPv6: null (the kernel checks it). */
  checksumOk: boolean | null;
  tUs: number;
}

export interface PingTimeout {
  index: number;
  seq: number;
}

export interface PingIcmpError {
  index: number;
  seq: number;
  from: string;
  type: number;
  code: number;
  /** The type's name: dest-unreach, time-exceeded, … (icmpTypeName). */
  kind: string;
  /** port-unreachable, ttl-exceeded-in-transit, … */
  codeName: string;
  tUs: number;
}

export interface PingSendError {
  index: number;
  seq: number;
  message: string;
  code?: string;
}

export interface PingSummary {
  target: string;
  family: 4 | 6;
  identifier: number;
  stats: PingStats;
  icmpErrors: number;
  sendErrors: number;
  /** What the first failed send said (a flood's sends fail in the helper: this is where its errno shows). */
  firstSendError: string | null;
  /** Our own echo requests seen on the raw socket (loopback) and ignored. */
  ownRequests: number;
  /** Packets on our socket that were not about this run (other pings, other ICMP). */
  ignored: number;
  /** From start to the last probe settled, ms. */
  elapsedMs: number;
  stopped: boolean;
  /** ping's closing lines. */
  text: string;
}

export interface PingEvents {
  sent: PingSent;
  reply: PingReply;
  timeout: PingTimeout;
  'icmp-error': PingIcmpError;
  'send-error': PingSendError;
  done: PingSummary;
}

type ProbeState = 'sending' | 'pending' | 'answered' | 'timedout' | 'error' | 'abandoned';

interface Probe {
  index: number;
  seq: number;
  state: ProbeState;
  sentTUs?: number;
  replies: number;
  timer?: ReturnType<typeof setTimeout>;
  /** Replies read before the send's result came back (its tUs is needed for the RTT). */
  early: ProbePacket[];
}

export interface PingDeps {
  /** Millisecond monotonic clock for pacing; default performance.now. */
  now?: () => number;
}

export class Ping {
  readonly options: ResolvedPingOptions;
  private readonly emitter = new EventEmitter();
  private readonly now: () => number;
  private readonly probes = new Map<number, Probe>();
  private readonly rtts = new RttAccumulator();
  private readonly request: (seq: number) => Uint8Array;
  private handle: RawHandle | null = null;
  private started = false;
  private stopped = false;
  private wake: (() => void) | null = null;
  private pending = 0;
  private allSettled: (() => void) | null = null;
  private counts = { transmitted: 0, received: 0, duplicates: 0, late: 0, icmpErrors: 0, sendErrors: 0, ownRequests: 0, ignored: 0 };
  private startMs = 0;
  private stopFlood: (() => void) | null = null;
  private firstSendError: string | null = null;

  constructor(private readonly transport: ProbeTransport, options: PingOptions, deps: PingDeps = {}) {
    const v = validatePingOptions(options);
    if (!v.ok) throw new PingOptionsError(v.field, v.message);
    this.options = v.options;
    this.now = deps.now ?? (() => performance.now());
    const { family, identifier, payload } = this.options;
    // Built once; each probe is a copy with its sequence written in (and the ICMP checksum mended).
    const template = stackBytes(echoLayers(family, { identifier, sequence: 0, payload }));
    this.request = (seq) => {
      const b = template.slice();
      setEchoSequence(b, seq, family);
      return b;
    };
    this.emitter.setMaxListeners(0);
  }

  get identifier(): number {
    return this.options.identifier;
  }

  on<K extends keyof PingEvents>(event: K, listener: (e: PingEvents[K]) => void): this {
    this.emitter.on(event, listener);
    return this;
  }

  off<K extends keyof PingEvents>(event: K, listener: (e: PingEvents[K]) => void): this {
    this.emitter.off(event, listener);
    return this;
  }

  private emit<K extends keyof PingEvents>(event: K, e: PingEvents[K]): void {
    this.emitter.emit(event, e);
  }

  /** Statistics so far (the live view); the final ones come with 'done'. */
  stats(): PingStats {
    const c = this.counts;
    return pingStats(
      { transmitted: c.transmitted, received: c.received, duplicates: c.duplicates, errors: c.icmpErrors + c.sendErrors, late: c.late },
      this.rtts,
    );
  }

  /** Stops sending; probes still waiting count as lost. start() then resolves. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.wake?.();
    this.stopFlood?.();
    for (const p of this.probes.values()) {
      if (p.state === 'pending' || p.state === 'sending') this.settle(p, 'abandoned');
    }
  }

  /** Runs the whole ping; resolves with the summary (also emitted as 'done'). Rejects if the socket cannot be opened. */
  async start(): Promise<PingSummary> {
    if (this.started) throw new Error('this Ping has already been started');
    this.started = true;
    const { family } = this.options;
    this.startMs = this.now();
    const handle = await this.transport.open({ protocol: family === 4 ? 'icmp' : 'icmpv6', family });
    this.handle = handle;
    const listener = (p: ProbePacket): void => this.onPacket(p);
    this.transport.on('packet', listener);
    try {
      if (this.transport.setFilter) {
        // Only replies and errors reach the socket: our own requests stay in the kernel.
        await this.transport.setFilter(handle, family === 4 ? [0, 3, 4, 5, 11, 12] : [1, 2, 3, 4, 129]).catch(() => undefined);
      }
      await this.run();
      if (this.pending > 0) await new Promise<void>((r) => (this.allSettled = r));
    } finally {
      this.transport.off('packet', listener);
      for (const p of this.probes.values()) clearTimeout(p.timer);
      await this.transport.close(handle).catch(() => undefined);
    }
    const stats = this.stats();
    const summary: PingSummary = {
      target: this.options.target,
      family,
      identifier: this.options.identifier,
      stats,
      icmpErrors: this.counts.icmpErrors,
      sendErrors: this.counts.sendErrors,
      firstSendError: this.firstSendError,
      ownRequests: this.counts.ownRequests,
      ignored: this.counts.ignored,
      elapsedMs: this.now() - this.startMs,
      stopped: this.stopped,
      text: '',
    };
    summary.text = formatPingSummary(this.options.target, stats, summary.elapsedMs);
    this.emit('done', summary);
    return summary;
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        if (this.wake === done) this.wake = null;
        resolve();
      };
      // Node rounds any timer up to 1 ms: a probe that is due (or due within the
      // millisecond) must not wait for one, or 1,000 pps falls behind its schedule.
      const t = ms >= 1 ? setTimeout(done, ms) : undefined;
      if (ms < 1) setImmediate(done);
      this.wake = done;
    });
  }

  private async run(): Promise<void> {
    if (this.options.flood && this.transport.flood) return this.runFlood();
    const { count, intervalMs } = this.options;
    let firstMs = 0;
    for (let index = 1; (count === null || index <= count) && !this.stopped; index++) {
      if (index === 1) firstMs = this.now();
      else {
        // An absolute schedule from the first probe (not from start(): opening the
        // socket may take a while), so a slow send does not push every later probe back.
        await this.sleep(firstMs + (index - 1) * intervalMs - this.now());
        if (this.stopped) break;
      }
      await this.send(index);
    }
  }

  /** The whole flood in one request to the helper; it reports send stamps and clean replies in batches. */
  private async runFlood(): Promise<void> {
    const { count, intervalMs, target, ttl, tos, df, payload, family } = this.options;
    const handle = this.handle!;
    const bytes = 8 + payload.length;
    this.stopFlood = () => void this.transport.floodStop?.(handle).catch(() => undefined);
    const end = await this.transport.flood!(
      { handle, bytes: this.request(sequenceOf(1)), address: target, count: count ?? MAX_COUNT, intervalUs: Math.round(intervalMs * 1000), ttl, tos, df },
      {
        sent: (first, tUs) => {
          for (let k = 0; k < tUs.length; k++) {
            const index = first + k + 1;
            const t = tUs[k]!;
            if (Number.isNaN(t)) this.sendFailed(this.newProbe(index), 'the kernel refused this send during the flood (the flood\'s first error is in its summary)');
            else if (this.stopped) this.counts.transmitted++; // sent before the stop took effect: lost, like ping's
            else this.sent(this.newProbe(index), t, bytes);
          }
        },
        replies: (r) => {
          for (let k = 0; k + 2 < r.length; k += 3) {
            const probe = this.probes.get(r[k]!);
            if (!probe || probe.sentTUs === undefined) {
              this.counts.ignored++;
              continue;
            }
            // The helper checked source, payload and (ICMP) checksum before summing it up.
            this.onReply(probe, { handle, bytes: payload, from: target, tUs: r[k + 1]!, ipHeader: false }, r[k + 2]!, payload, bytes, family === 4 ? true : null);
          }
        },
      },
    );
    this.stopFlood = null;
    if (end.firstError) this.firstSendError = `${end.firstError.code}: ${end.firstError.message}`;
  }

  /** A probe for the index-th request; one 65,536 probes older with the same sequence can no longer be matched: lost. */
  private newProbe(index: number): Probe {
    const seq = sequenceOf(index);
    const probe: Probe = { index, seq, state: 'sending', replies: 0, early: [] };
    const old = this.probes.get(seq);
    if (old) {
      clearTimeout(old.timer);
      if (old.state === 'pending') {
        this.settle(old, 'timedout');
        this.emit('timeout', { index: old.index, seq });
      }
    }
    this.probes.set(seq, probe);
    this.pending++;
    return probe;
  }

  private async send(index: number): Promise<void> {
    const probe = this.newProbe(index);
    const { target, ttl, tos, df } = this.options;
    let result;
    try {
      result = await this.transport.send({ handle: this.handle!, bytes: this.request(probe.seq), address: target, ttl, tos, df });
    } catch (err) {
      const e = err as { message?: string; code?: string };
      this.sendFailed(probe, String(e?.message ?? err), typeof e?.code === 'string' ? e.code : undefined);
      return;
    }
    this.sent(probe, result.tUs, result.bytes);
  }

  private sendFailed(probe: Probe, message: string, code?: string): void {
    this.counts.sendErrors++;
    this.firstSendError ??= code && !message.startsWith(code) ? `${code}: ${message}` : message;
    this.settle(probe, 'error');
    this.probes.delete(probe.seq);
    this.emit('send-error', { index: probe.index, seq: probe.seq, message, code });
  }

  private sent(probe: Probe, tUs: number, bytes: number): void {
    const { index, seq } = probe;
    this.counts.transmitted++;
    probe.sentTUs = tUs;
    if (probe.state === 'sending') {
      probe.state = 'pending';
      probe.timer = setTimeout(() => {
        if (probe.state !== 'pending') return;
        this.settle(probe, 'timedout');
        this.emit('timeout', { index, seq });
      }, this.options.timeoutMs);
    }
    this.emit('sent', { index, seq, bytes, tUs });
    for (const p of probe.early.splice(0)) this.onPacket(p);
  }

  private settle(p: Probe, state: ProbeState): void {
    const wasOpen = p.state === 'pending' || p.state === 'sending';
    p.state = state;
    clearTimeout(p.timer);
    if (!wasOpen) return;
    this.pending--;
    if (this.pending === 0) this.allSettled?.();
  }

  private onPacket(p: ProbePacket): void {
    if (p.handle !== this.handle) return;
    const { family, identifier, target } = this.options;
    const d = decodeIcmpPacket(p, family);
    if (!d) {
      this.counts.ignored++;
      return;
    }
    const k = d.key;
    const echo = ECHO[family];
    if (d.type === echo.request || d.type === echo.reply) {
      if (d.type === echo.request) {
        if (k.id === identifier) this.counts.ownRequests++;
        else this.counts.ignored++;
        return;
      }
      const probe = k.id === identifier ? this.probes.get(k.icmpSeq!) : undefined;
      if (!probe) {
        this.counts.ignored++;
        return;
      }
      if (probe.sentTUs === undefined) {
        probe.early.push(p);
        return;
      }
      this.onReply(probe, p, d.ttl, d.message.subarray(8), d.message.length, family === 4 ? checksumValid(d.message) : null);
      return;
    }
    // An ICMP error quoting one of our requests.
    const q = k.quoted;
    if (q) {
      const ours = q.type === echo.request && q.id === identifier && q.dst !== null && sameAddress(q.dst, target);
      const probe = ours ? this.probes.get(q.icmpSeq!) : undefined;
      if (!probe) {
        this.counts.ignored++;
        return;
      }
      if (probe.sentTUs === undefined) {
        probe.early.push(p);
        return;
      }
      this.counts.icmpErrors++;
      if (probe.state === 'pending') this.settle(probe, 'error');
      this.emit('icmp-error', {
        index: probe.index, seq: probe.seq, from: d.source, type: d.type, code: d.code, kind: icmpTypeName(family, d.type), codeName: icmpCodeName(family, d.type, d.code), tUs: p.tUs,
      });
      return;
    }
    this.counts.ignored++;
  }

  private onReply(probe: Probe, p: ProbePacket, ttl: number | null, payload: Uint8Array, bytes: number, checksumOk: boolean | null): void {
    const rttUs = Math.max(0, Math.round(p.tUs - probe.sentTUs!));
    const dup = probe.replies > 0;
    probe.replies++;
    let late = false;
    if (dup) {
      this.counts.duplicates++;
    } else if (probe.state === 'timedout' || probe.state === 'abandoned' || rttUs > this.options.timeoutMs * 1000) {
      // After the timeout by the timer, or by the helper's clock before the timer ran.
      late = true;
      this.counts.late++;
      if (probe.state === 'pending') this.settle(probe, 'timedout');
    } else {
      this.counts.received++;
      this.rtts.add(rttUs);
      if (probe.state === 'pending') this.settle(probe, 'answered');
    }
    const { payload: expected, target } = this.options;
    // A flood's replies come with the target and the sent payload themselves (the helper checked them).
    const payloadOk = payload === expected || (payload.length === expected.length && payload.every((b, i) => b === expected[i]));
    this.emit('reply', {
      index: probe.index, seq: probe.seq, rttUs, bytes, from: p.from, ttl: ttl !== null && ttl >= 0 ? ttl : null, dup, late,
      wrongSource: p.from !== target && !sameAddress(p.from, target), payloadOk, checksumOk, tUs: p.tUs,
    });
  }
}
