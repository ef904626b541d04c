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
import type { InferInput, InferOutput } from 'valibot';
import { checkWith } from '../../shared/contract/check.js';
import { NOT_AN_ADDRESS, PING_LIMITS, PingParams } from '../../shared/contract/probes.js';
import { ipFamily } from '../../shared/net/address.js';
import { checksumValid, echoLayers, ECHO, icmpCodeName, icmpTypeName, setEchoSequence, stackBytes } from '../../shared/packet/index.js';
import { SPIN_UP_TO_US } from './helper-protocol.js';
import { decodeIcmpPacket, random16, sameAddress, type ProbePacket, type ProbeTransport, type RawHandle } from './probe-transport.js';
import { formatPingSummary, pingStats, RttAccumulator, type PingStats } from './stats.js';

type PingParamsIn = InferInput<typeof PingParams>;

/**
 * A ping as the contract's ping.start takes it (its limits are the
 * contract's, checked by its schema), with defaults for interval (1000 ms;
 * with flood 0: flat out), size (56) and timeout (1000 ms), and a fixed
 * identifier instead of a random one (tests, or to mimic another tool).
 * Flood is like hping3 --flood: probes go without waiting for replies, as
 * fast as the helper can send them or at intervalMs below the 1 ms floor
 * (0.1 ms: 10,000 a second); the helper sends them itself, in one request.
 */
export type PingOptions = Omit<PingParamsIn, 'intervalMs' | 'size' | 'timeoutMs'> &
  Partial<Pick<PingParamsIn, 'intervalMs' | 'size' | 'timeoutMs'>> & { identifier?: number };

export type ResolvedPingOptions = Omit<InferOutput<typeof PingParams>, 'pattern' | 'df'> & {
  family: 4 | 6;
  /** The echo payload: `size` bytes of the pattern, or 00 01 02 … */
  payload: Uint8Array;
  /** As given: unset leaves the system's path MTU discovery alone. */
  df?: boolean;
  identifier: number;
};

export type PingOptionsResult = { ok: true; options: ResolvedPingOptions } | { ok: false; field: keyof PingOptions; message: string };

export class PingOptionsError extends Error {
  constructor(readonly field: keyof PingOptions, message: string) {
    super(message);
    this.name = 'PingOptionsError';
  }
}

/** Checks the options with the contract's schema and says which one is wrong, in the schema's words. */
export function validatePingOptions(o: PingOptions): PingOptionsResult {
  const flood = o.flood ?? false;
  const checked = checkWith(PingParams, { ...o, intervalMs: o.intervalMs ?? (flood ? 0 : 1000), size: o.size ?? 56, timeoutMs: o.timeoutMs ?? 1000 });
  if (!checked.ok) return { ok: false, field: (checked.field ?? 'target') as keyof PingOptions, message: checked.message };
  // The contract lets a person type a name; main resolves it before a Ping is made.
  if (ipFamily(checked.value.target) === null) return { ok: false, field: 'target', message: NOT_AN_ADDRESS };
  const { pattern, df: _df, ...p } = checked.value;
  const id = o.identifier;
  if (id !== undefined && !(Number.isInteger(id) && id >= 0 && id <= 0xffff)) return { ok: false, field: 'identifier', message: `identifier must be 0..65535, got ${id}` };
  const payload = new Uint8Array(p.size);
  for (let i = 0; i < p.size; i++) payload[i] = pattern.length ? pattern[i % pattern.length]! : i & 0xff;
  return { ok: true, options: { ...p, family: ipFamily(p.target)!, payload, df: o.df, identifier: id ?? random16() } };
}

/** Replies this many sequences ahead of the newest probe known may be to probes the helper has sent but not yet reported. */
const AHEAD_WINDOW = 4096;

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
  /** When it times out, on `now`'s clock (ms). */
  deadlineMs?: number;
  /** Replies read before the send's result came back (its tUs is needed for the RTT). */
  early?: ProbePacket[];
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
  /** Pending probes in the order they time out (settled ones are skipped when reached). */
  private deadlines: Probe[] = [];
  private deadlineHead = 0;
  private deadlineTimer: ReturnType<typeof setTimeout> | undefined;
  /** The index of the newest probe made. */
  private lastIndex = 0;
  /**
   * A run the helper sends itself (a flood, or a paced run's thread) reports
   * its sends after they went out, so a reply can be read before its probe
   * is known: such replies and errors wait here for the next report, while
   * the helper's run goes on (stopFlood set).
   */
  private ahead: Array<() => void> = [];
  private allSettled: (() => void) | null = null;
  private counts = { transmitted: 0, received: 0, duplicates: 0, late: 0, icmpErrors: 0, sendErrors: 0, ownRequests: 0, ignored: 0 };
  private startMs = 0;
  private stopFlood: (() => void) | null = null;
  private firstSendError: string | null = null;
  /** Why the run ended early (its socket was lost with the helper): start() rejects with it. */
  private failure: Error | null = null;

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

  /** Ends the run with an error (its socket is gone): probes waiting count as lost, start() rejects with it. */
  fail(error: Error): void {
    this.failure ??= error;
    this.stop();
  }

  /** Runs the whole ping; resolves with the summary (also emitted as 'done'). Rejects if the socket cannot be opened, or was lost (fail()). */
  async start(): Promise<PingSummary> {
    if (this.started) throw new Error('this Ping has already been started');
    this.started = true;
    const { family } = this.options;
    this.startMs = this.now();
    const handle = await this.transport.open({ protocol: family === 4 ? 'icmp' : 'icmpv6', family });
    this.handle = handle;
    const listener = (p: ProbePacket): void => this.onPacket(p);
    this.transport.on('packet', listener);
    const offLost = this.transport.onLost?.((e) => {
      if (e.handles.includes(handle)) this.fail(e.error);
    });
    try {
      if (this.transport.setFilter) {
        // Only replies and errors reach the socket: our own requests stay in the kernel.
        await this.transport.setFilter(handle, family === 4 ? [0, 3, 4, 5, 11, 12] : [1, 2, 3, 4, 129]).catch(() => undefined);
      }
      await this.run();
      if (this.pending > 0) await new Promise<void>((r) => (this.allSettled = r));
    } catch (e) {
      throw this.failure ?? e; // a flood's request fails too when the helper dies: the helper's words win
    } finally {
      offLost?.();
      this.transport.off('packet', listener);
      clearTimeout(this.deadlineTimer);
      await this.transport.close(handle).catch(() => undefined);
    }
    if (this.failure) throw this.failure;
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
    const { count, intervalMs, flood } = this.options;
    // Short intervals are paced by the helper, which spins between them as iputils ping does (see SPIN_UP_TO_US).
    if ((flood || intervalMs * 1000 <= SPIN_UP_TO_US) && this.transport.flood) return this.runFlood();
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

  /** The whole flood (or paced run) in one request to the helper; it reports send stamps and clean replies in batches. */
  private async runFlood(): Promise<void> {
    const { count, intervalMs, target, ttl, tos, df, payload, family } = this.options;
    const handle = this.handle!;
    const bytes = 8 + payload.length;
    this.stopFlood = () => void this.transport.floodStop?.(handle).catch(() => undefined);
    const end = await this.transport.flood!(
      { handle, bytes: this.request(sequenceOf(1)), address: target, count: count ?? PING_LIMITS.count, intervalUs: Math.round(intervalMs * 1000), ttl, tos, df },
      {
        sent: (first, tUs, error) => {
          for (let k = 0; k < tUs.length; k++) {
            const index = first + k + 1;
            const t = tUs[k]!;
            if (Number.isNaN(t)) this.sendFailed(this.newProbe(index), error?.message ?? 'the kernel refused this send', error?.code);
            else if (this.stopped) this.counts.transmitted++; // sent before the stop took effect: lost, like ping's
            else this.sent(this.newProbe(index), t, bytes);
          }
          for (const retry of this.ahead.splice(0)) retry();
        },
        replies: (r) => {
          // The helper checked source, payload and (ICMP) checksum before summing these up.
          const reply = (seq: number, tUs: number, ttl: number): void => {
            const probe = this.probes.get(seq);
            if (probe && probe.sentTUs !== undefined) this.onReply(probe, { handle, bytes: payload, from: target, tUs, ipHeader: false }, ttl, payload, bytes, family === 4 ? true : null);
            else if (!this.holdIfAhead(seq, () => reply(seq, tUs, ttl))) this.counts.ignored++;
          };
          for (let k = 0; k + 2 < r.length; k += 3) reply(r[k]!, r[k + 1]!, r[k + 2]!);
        },
      },
    );
    this.stopFlood = null;
    this.counts.ignored += this.ahead.splice(0).length; // their probes were never reported sent
    if (end.firstError) this.firstSendError = `${end.firstError.code}: ${end.firstError.message}`;
  }

  /** A probe for the index-th request; one 65,536 probes older with the same sequence can no longer be matched: lost. */
  private newProbe(index: number): Probe {
    const seq = sequenceOf(index);
    const probe: Probe = { index, seq, state: 'sending', replies: 0 };
    this.lastIndex = Math.max(this.lastIndex, index);
    const old = this.probes.get(seq);
    if (old) {
      if (old.state === 'pending') {
        this.settle(old, 'timedout');
        this.emit('timeout', { index: old.index, seq });
      }
    }
    this.probes.set(seq, probe);
    this.pending++;
    return probe;
  }

  /** Holds a reply or error for a probe the helper may not have reported yet (true); false: it is about no probe of this run. */
  private holdIfAhead(seq: number, retry: () => void): boolean {
    if (!this.stopFlood || ((seq - sequenceOf(this.lastIndex + 1)) & 0xffff) >= AHEAD_WINDOW) return false;
    if (this.ahead.length >= AHEAD_WINDOW) {
      this.ahead.shift();
      this.counts.ignored++;
    }
    this.ahead.push(retry);
    return true;
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
      probe.deadlineMs = this.now() + this.options.timeoutMs;
      this.deadlines.push(probe);
      if (this.deadlineTimer === undefined) this.armDeadline();
    }
    this.emit('sent', { index, seq, bytes, tUs });
    const early = probe.early;
    probe.early = undefined;
    if (early) for (const p of early) this.onPacket(p);
  }

  /** One timer for the oldest pending probe's timeout (a timer a probe would cost a flood ~1 µs and garbage each). */
  private armDeadline(): void {
    while (this.deadlineHead < this.deadlines.length && this.deadlines[this.deadlineHead]!.state !== 'pending') this.deadlineHead++;
    if (this.deadlineHead > 1024 && this.deadlineHead * 2 > this.deadlines.length) {
      this.deadlines = this.deadlines.slice(this.deadlineHead);
      this.deadlineHead = 0;
    }
    const next = this.deadlines[this.deadlineHead];
    this.deadlineTimer = next ? setTimeout(() => this.timeOut(), Math.max(0, next.deadlineMs! - this.now())) : undefined;
  }

  /** Probes are sent in order with one timeout, so they time out in that order. */
  private timeOut(): void {
    const now = this.now();
    while (this.deadlineHead < this.deadlines.length) {
      const p = this.deadlines[this.deadlineHead]!;
      if (p.state === 'pending' && p.deadlineMs! > now) break;
      this.deadlineHead++;
      if (p.state !== 'pending') continue;
      this.settle(p, 'timedout');
      this.emit('timeout', { index: p.index, seq: p.seq });
    }
    this.armDeadline();
  }

  private settle(p: Probe, state: ProbeState): void {
    const wasOpen = p.state === 'pending' || p.state === 'sending';
    p.state = state;
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
        if (k.id !== identifier || !this.holdIfAhead(k.icmpSeq!, () => this.onPacket(p))) this.counts.ignored++;
        return;
      }
      if (probe.sentTUs === undefined) {
        (probe.early ??= []).push(p);
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
        if (!ours || !this.holdIfAhead(q.icmpSeq!, () => this.onPacket(p))) this.counts.ignored++;
        return;
      }
      if (probe.sentTUs === undefined) {
        (probe.early ??= []).push(p);
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
