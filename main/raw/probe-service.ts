// Probes: the engine's one raw-socket helper and everything that runs over
// it — ping runs, traceroutes and raw sessions, each by id — turned into the
// contract's events (raw.status, ping.reply, ping.stats, trace.hop,
// trace.done, raw.packet). It imports node:*, main/core and main/raw only
// (the import rules enforce it).
//
// Floods are bounded here, before the bridge: ping.reply events go out at
// most ~REPLY_RATE per second (every timeout and error still goes out), and
// ping.stats carries the exact counts a few times a second; raw.packet is
// rate-limited per session and says how many it skipped.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { InferOutput } from 'valibot';
import type { AnyEvent, EventPayload, Result } from '../../shared/contract/index.js';
import type { PingParams, RawOpenParams, SweepParams, TraceParams } from '../../shared/contract/probes.js';
import { nowUs } from '../core/clock.js';
import { EngineError } from '../core/errors.js';
import { TokenBucket } from '../core/token-bucket.js';
import { RawHelper, RawHelperUnavailableError, defaultEntry, helperError, defaultNode, type RawHelperOptions, type RawPacket } from './raw-helper.js';
import { Ping, PingOptionsError, type PingSummary } from './ping.js';
import { elevationPlan } from './privilege.js';
import { fromRawHelper, type ProbeTransport } from './probe-transport.js';
import type { PingStats as RawPingStats } from './stats.js';
import { expandTargets, Sweep, type SweepTargetResult } from './sweep.js';
import { Traceroute, TracerouteOptionsError, type TraceProbe } from './traceroute.js';

type ContractStats = EventPayload<'ping.stats'>['stats'];
type RawStatusPayload = Result<'raw.status'>;

export interface ProbesOptions {
  /** How to start the helper (default: dist/raw-helper.cjs, or the sources with tsx). */
  helper?: RawHelperOptions;
  /** ping.reply events per second per run before thinning (timeouts and errors always go out). */
  replyRate?: number;
  /** raw.packet events per second per raw session before thinning. */
  packetRate?: number;
  /** Targets a sweep probes at once (raw sockets it holds open); default 32. */
  sweepConcurrency?: number;
  /** How often ping.stats goes out while a run is busy, ms (at least; slower when summarising gets costly). */
  statsIntervalMs?: number;
}

/** The helper's script: the bundle beside this code (dist/), else the sources run with tsx (tests, dev). */
export function defaultHelperOptions(): RawHelperOptions {
  try {
    return { entry: defaultEntry() };
  } catch (e) {
    const here = typeof __dirname === 'string' ? __dirname : undefined;
    const candidates = [here && join(here, 'helper-main.ts'), join(process.cwd(), 'main', 'raw', 'helper-main.ts')].filter((p): p is string => Boolean(p));
    const source = candidates.find((p) => existsSync(p));
    if (!source) throw e;
    return { entry: source, execArgv: ['--import', 'tsx'] };
  }
}

/** What every run's events carry: its id, and the caller's ref when it gave one (RunRef). */
type RunTag = { id: number; ref?: string };

const tagOf = (id: number, ref: string | undefined): RunTag => (ref === undefined ? { id } : { id, ref });

interface PingRun {
  tag: RunTag;
  ping: Ping;
  /** The first probe went (or failed to): from then on the run reports through its events, even its failure. */
  begun: boolean;
  done: Promise<PingSummary | null>;
  final?: ContractStats;
  error?: string;
  statsTimer?: NodeJS.Timeout;
  dirty: boolean;
}

interface TraceRun {
  tag: RunTag;
  trace: Traceroute;
  begun: boolean;
  done: Promise<void>;
  final?: EventPayload<'trace.done'>;
}

/** A probe's answer in the contract's words: "time exceeded", "echo reply", "port unreachable" … */
export function contractProbe(p: TraceProbe): EventPayload<'trace.hop'>['probes'][number] {
  if (p.status === 'timeout') return { rttUs: null };
  if (p.status === 'send-error') return { rttUs: null, kind: `send failed: ${p.code ?? p.message}` };
  const kind = p.kind === 'unreachable' || p.kind === 'other-error' ? p.codeName.replace(/-/g, ' ') : p.kind.replace(/-/g, ' ');
  const out: EventPayload<'trace.hop'>['probes'][number] = { rttUs: p.rttUs, from: p.from, kind };
  if (p.flag) out.flag = p.flag;
  return out;
}

interface SweepRun {
  tag: RunTag;
  sweep: Sweep;
  done: Promise<void>;
  final?: EventPayload<'sweep.done'>;
}

interface RawSession {
  id: number;
  ref?: string;
  handle: number;
  family: 4 | 6;
  bucket: TokenBucket;
  skipped: number;
}

/** ping's words for the ICMP errors a ping meets. */
function pingErrorText(kind: string, codeName: string): string {
  if (kind === 'time-exceeded') return codeName === 'fragment-reassembly-time-exceeded' ? 'Frag reassembly time exceeded' : 'Time to live exceeded';
  if (kind === 'dest-unreach') {
    const words: Record<string, string> = {
      'net-unreachable': 'Destination Net Unreachable',
      'host-unreachable': 'Destination Host Unreachable',
      'protocol-unreachable': 'Destination Protocol Unreachable',
      'port-unreachable': 'Destination Port Unreachable',
      'fragmentation-needed': 'Frag needed',
      'no-route': 'Destination unreachable: No route',
      'communication-administratively-prohibited': 'Packet filtered',
      'administratively-prohibited': 'Destination unreachable: Administratively prohibited',
      'address-unreachable': 'Destination unreachable: Address unreachable',
    };
    return words[codeName] ?? `Destination unreachable (${codeName})`;
  }
  if (kind === 'packet-too-big') return 'Packet too big';
  if (kind === 'parameter-problem') return `Parameter problem (${codeName})`;
  return `${kind} (${codeName})`;
}

/** The contract's statistics from ping's. */
export function toContractStats(s: RawPingStats, elapsedMs: number): ContractStats {
  const r = s.rtt;
  return {
    transmitted: s.transmitted,
    received: s.received,
    duplicates: s.duplicates,
    errors: s.errors,
    late: s.late,
    lossPct: s.lossPercent,
    minUs: r ? r.minUs : null,
    avgUs: r ? r.avgUs : null,
    maxUs: r ? r.maxUs : null,
    mdevUs: r ? r.mdevUs : null,
    p50Us: r ? r.p50Us : null,
    p90Us: r ? r.p90Us : null,
    p99Us: r ? r.p99Us : null,
    histogram: s.histogram.map((b) => ({ upToUs: b.hiUs, count: b.count })),
    elapsedMs: Math.round(elapsedMs),
  };
}

/** Any failure of a probe as the bridge's typed error. */
function probeError(err: unknown, call: string, field?: string): EngineError {
  if (err instanceof PingOptionsError) return new EngineError('BAD_REQUEST', `${err.field}: ${err.message}`, undefined, err.field);
  return helperError(err, call, field);
}

const FINISHED_KEPT = 32;
const MAX_RUNS = 64;
const MAX_RAW = 64;
const MAX_SWEEPS = 8;

export class Probes {
  private helperInstance: RawHelper | undefined;
  private transportInstance: ProbeTransport | undefined;
  private nextId = 1;
  private readonly pings = new Map<number, PingRun>();
  private readonly finished = new Map<number, ContractStats>();
  private readonly traces = new Map<number, TraceRun>();
  private readonly sweeps = new Map<number, SweepRun>();
  private readonly raws = new Map<number, RawSession>();
  private readonly rawByHandle = new Map<number, RawSession>();
  /** Raw sockets lost with their helper, and how (the last few). */
  private readonly lostRaws = new Map<number, string>();
  private readonly replyRate: number;
  private readonly packetRate: number;
  private readonly statsIntervalMs: number;
  private closed = false;

  constructor(
    private readonly emit: (ev: AnyEvent) => void,
    private readonly options: ProbesOptions = {},
  ) {
    this.replyRate = options.replyRate ?? 200;
    this.packetRate = options.packetRate ?? 1000;
    this.statsIntervalMs = options.statsIntervalMs ?? 250;
  }

  /** The helper, created on first use (nothing is spawned until a probe or raw.status needs it). */
  get helper(): RawHelper {
    if (this.helperInstance) return this.helperInstance;
    let opts: RawHelperOptions;
    try {
      opts = { ...defaultHelperOptions(), ...this.options.helper };
    } catch (e) {
      opts = { ...this.options.helper };
      // In the desktop app a helper that is not where it should be is a `failed` status naming the path (RawHelper says it).
      if (!opts.entry && !process.versions.electron) throw new EngineError('INTERNAL', `raw helper: ${(e as Error).message}`);
    }
    const h = new RawHelper(opts);
    h.on('status', () => this.emit({ name: 'raw.status', payload: this.status() }));
    h.on('packet', (p) => this.onPacket(p));
    h.on('socket-error', (ev) => {
      if (!ev.closed) return;
      const s = this.rawByHandle.get(ev.handle);
      if (s) this.loseRaw(s, `the raw socket failed: ${ev.error.message}`);
    });
    h.on('died', (info) => {
      // Ping, traceroute and sweep runs hear it through their transport (onLost) and end with this message.
      for (const handle of info.handles) {
        const s = this.rawByHandle.get(handle);
        if (s) this.loseRaw(s, info.message);
      }
    });
    h.on('warning', () => undefined);
    this.helperInstance = h;
    return h;
  }

  private get transport(): ProbeTransport {
    this.transportInstance ??= fromRawHelper(this.helper);
    return this.transportInstance;
  }

  /** The helper's status for the UI; starts it when it is stopped and this process may (no prompt). */
  status(): RawStatusPayload {
    const h = this.helperInstance;
    const status = h ? h.status() : 'stopped';
    const reason = h ? h.reason : 'the raw-socket helper has not been started';
    return { status, reason, canElevate: status === 'ready' ? false : this.canElevate() };
  }

  private canElevateCached: boolean | undefined;
  private canElevate(): boolean {
    if (this.canElevateCached !== undefined) return this.canElevateCached;
    let node = this.options.helper?.node;
    if (!node) {
      try {
        node = defaultNode().node; // the shipped Node under Electron
      } catch {
        return (this.canElevateCached = false);
      }
    }
    const plan = elevationPlan({ node, args: [] });
    return (this.canElevateCached = plan.ok && (plan.pipes || plan.connectBack));
  }

  /** raw.status: what the UI shows; a stopped helper is started when no prompt is needed. */
  check(): RawStatusPayload {
    // start() spawns nothing without the privilege and asks no one: it looks again (a setcap
    // since, a failed helper given another chance). A declined prompt stays declined until asked.
    const st = this.helper.status();
    if (st === 'stopped' || st === 'failed' || (st === 'unprivileged' && this.helper.pid === undefined)) this.helper.start();
    return this.status();
  }

  async elevate(): Promise<RawStatusPayload> {
    await this.helper.elevate();
    return this.status();
  }

  /** Refuses at once when raw sockets cannot be had, with the helper's own explanation. */
  available(call: string): void {
    const h = this.helper;
    // A helper that failed to start (EMFILE at the open-files limit, say) gets another chance with each call.
    if (h.status() === 'stopped' || h.status() === 'failed') h.start();
    const s = h.status();
    if (s === 'unprivileged' || s === 'declined' || s === 'failed') {
      throw probeError(new RawHelperUnavailableError(s, h.reason), call);
    }
  }

  private newId(): number {
    return this.nextId++;
  }

  // ---------------- ping ----------------

  async startPing(p: InferOutput<typeof PingParams>): Promise<Result<'ping.start'>> {
    if (this.closed) throw new EngineError('INVALID_STATE', 'ping: the engine is closing');
    if (this.pings.size >= MAX_RUNS) throw new EngineError('INVALID_STATE', `ping: ${MAX_RUNS} runs are already going; stop one first`);
    let ping: Ping;
    try {
      ping = new Ping(this.transport, p);
    } catch (e) {
      throw probeError(e, 'ping', e instanceof PingOptionsError ? e.field : undefined);
    }
    this.available('ping');
    const id = this.newId();
    const tag = tagOf(id, p.ref);
    const run: PingRun = { tag, ping, begun: false, done: Promise.resolve(null), dirty: false };
    const bucket = new TokenBucket(this.replyRate);
    const startedUs = nowUs();
    const elapsed = () => (nowUs() - startedUs) / 1000;
    const reply = (payload: EventPayload<'ping.reply'>) => this.emit({ name: 'ping.reply', payload });

    ping.on('reply', (r) => {
      run.dirty = true;
      // Timeouts and errors always reach the view; replies while the bucket lasts.
      if (!bucket.take() && !r.late) return;
      const payload: EventPayload<'ping.reply'> = { ...tag, seq: r.seq, rttUs: r.rttUs, from: r.from, bytes: r.bytes, tUs: r.tUs };
      if (r.ttl !== null) payload.ttl = r.ttl;
      if (r.dup) payload.dup = true;
      if (r.late) payload.late = true;
      reply(payload);
    });
    ping.on('timeout', (t) => {
      run.dirty = true;
      reply({ ...tag, seq: t.seq, rttUs: null, tUs: nowUs() });
    });
    ping.on('icmp-error', (e) => {
      run.dirty = true;
      reply({ ...tag, seq: e.seq, rttUs: null, from: e.from, error: pingErrorText(e.kind, e.codeName), tUs: e.tUs });
    });
    ping.on('send-error', (e) => {
      run.dirty = true;
      reply({ ...tag, seq: e.seq, rttUs: null, error: `sendto: ${e.code ? `${e.code}: ` : ''}${e.message}`, tUs: nowUs() });
    });
    ping.on('sent', () => {
      run.dirty = true;
    });

    // Running statistics: a few times a second while anything changed; slower when summarising gets costly.
    const tick = (): void => {
      if (run.final) return;
      let cost = 0;
      if (run.dirty) {
        run.dirty = false;
        const t0 = performance.now();
        this.emit({ name: 'ping.stats', payload: { ...tag, stats: toContractStats(ping.stats(), elapsed()), done: false } });
        cost = performance.now() - t0;
      }
      run.statsTimer = setTimeout(tick, Math.max(this.statsIntervalMs, cost * 20));
      run.statsTimer.unref?.();
    };

    // The call answers once the socket is open and the first probe went (or failed):
    // a socket that cannot be opened is the call's error, not a silent run.
    let firstSent!: () => void;
    const first = new Promise<void>((r) => (firstSent = r));
    const begin = (): void => {
      run.begun = true;
      firstSent();
    };
    ping.on('sent', begin);
    ping.on('send-error', begin);
    const started = ping.start();
    // `done` settles after the final statistics were recorded.
    run.done = started.then(
      (summary) => {
        // A run with failed sends is not a clean one, whatever its loss: it says how many and why.
        const failed = summary.sendErrors > 0
          ? `${summary.sendErrors} of ${summary.stats.transmitted + summary.sendErrors} echo requests could not be sent (first: ${summary.firstSendError ?? 'no reason given'})`
          : undefined;
        this.finishPing(run, toContractStats(summary.stats, summary.elapsedMs), failed);
        return summary;
      },
      (e: unknown) => {
        this.finishPing(run, toContractStats(ping.stats(), elapsed()), probeError(e, 'ping').message);
        return null;
      },
    );
    this.pings.set(id, run);
    const outcome = await Promise.race([first.then(() => 'sent' as const), started.then(() => 'done' as const, (e: unknown) => e)]);
    if (outcome !== 'sent' && outcome !== 'done') {
      this.pings.delete(id);
      this.finished.delete(id);
      throw probeError(outcome, 'ping');
    }
    tick();
    return { id };
  }

  private finishPing(run: PingRun, stats: ContractStats, error?: string): void {
    if (run.final) return;
    clearTimeout(run.statsTimer);
    run.final = stats;
    if (error !== undefined) run.error = error;
    this.pings.delete(run.tag.id);
    this.finished.set(run.tag.id, stats);
    if (this.finished.size > FINISHED_KEPT) this.finished.delete(this.finished.keys().next().value!);
    // A run that never began (its socket did not open) reports through its start call's error.
    if (!run.begun) return;
    const payload: EventPayload<'ping.stats'> = { ...run.tag, stats, done: true };
    if (error !== undefined) payload.error = error;
    this.emit({ name: 'ping.stats', payload });
  }

  async stopPing(id: number): Promise<Result<'ping.stop'>> {
    const run = this.pings.get(id);
    if (!run) {
      const stats = this.finished.get(id);
      if (stats) return { stats };
      throw new EngineError('NO_SUCH_SESSION', `there is no ping #${id}`, undefined, 'id');
    }
    run.ping.stop();
    await run.done;
    // finishPing ran in the same turn as `done` for a normal end; a failed start leaves stats here.
    return { stats: run.final ?? toContractStats(run.ping.stats(), 0) };
  }

  // ---------------- traceroute ----------------

  async startTrace(p: InferOutput<typeof TraceParams>): Promise<Result<'trace.start'>> {
    if (this.closed) throw new EngineError('INVALID_STATE', 'traceroute: the engine is closing');
    if (this.traces.size >= MAX_RUNS) throw new EngineError('INVALID_STATE', `traceroute: ${MAX_RUNS} runs are already going; stop one first`);
    let trace: Traceroute;
    try {
      trace = new Traceroute(this.transport, { target: p.target, mode: p.mode, maxHops: p.maxHops, probesPerHop: p.probesPerHop, timeoutMs: p.timeoutMs });
    } catch (e) {
      throw probeError(e, 'traceroute', e instanceof TracerouteOptionsError ? e.field : undefined);
    }
    this.available('traceroute');
    const id = this.newId();
    const tag = tagOf(id, p.ref);
    const run: TraceRun = { tag, trace, begun: false, done: Promise.resolve() };
    trace.on('hop', (h) => this.emit({ name: 'trace.hop', payload: { ...tag, ttl: h.ttl, probes: h.probes.map(contractProbe) } }));
    // As for ping: the call answers once the sockets are open and the first probe went.
    let firstSent!: () => void;
    const first = new Promise<void>((r) => (firstSent = r));
    const onProbe = (): void => {
      run.begun = true;
      firstSent();
    };
    trace.on('probe', onProbe);
    const started = trace.start();
    run.done = started.then(
      (r) => this.finishTrace(run, { ...tag, reached: r.reached }),
      (e: unknown) => this.finishTrace(run, { ...tag, reached: false, error: probeError(e, 'traceroute').message }),
    );
    this.traces.set(id, run);
    // The first probe's answer (≤ the timeout) or a failure to open, whichever comes first;
    // a send that takes longer than this is not the call's business.
    const opened = new Promise<'sent'>((r) => setTimeout(() => r('sent'), 50).unref());
    const outcome = await Promise.race([first.then(() => 'sent' as const), opened, started.then(() => 'done' as const, (e: unknown) => e)]);
    if (outcome !== 'sent' && outcome !== 'done') {
      this.traces.delete(id);
      throw probeError(outcome, 'traceroute');
    }
    trace.off('probe', onProbe);
    run.begun = true;
    return { id };
  }

  private finishTrace(run: TraceRun, payload: EventPayload<'trace.done'>): void {
    if (run.final) return;
    run.final = payload;
    this.traces.delete(run.tag.id);
    // A run that never began (its sockets did not open) reports through its start call's error.
    if (run.begun) this.emit({ name: 'trace.done', payload });
  }

  async stopTrace(id: number): Promise<Result<'trace.stop'>> {
    const run = this.traces.get(id);
    if (!run) {
      if (id > 0 && id < this.nextId) return {}; // already over
      throw new EngineError('NO_SUCH_SESSION', `there is no traceroute #${id}`, undefined, 'id');
    }
    run.trace.stop();
    await run.done;
    return {};
  }

  // ---------------- sweep (fping) ----------------

  async startSweep(p: InferOutput<typeof SweepParams>): Promise<Result<'sweep.start'>> {
    if (this.closed) throw new EngineError('INVALID_STATE', 'sweep: the engine is closing');
    if (this.sweeps.size >= MAX_SWEEPS) throw new EngineError('INVALID_STATE', `sweep: ${MAX_SWEEPS} sweeps are already going; stop one first`);
    const expanded = expandTargets(p.targets);
    if (!expanded.ok) throw new EngineError('BAD_REQUEST', `targets: ${expanded.message}`, undefined, 'targets');
    const sweep = new Sweep(this.transport, {
      targets: expanded.targets,
      count: p.count,
      intervalMs: p.intervalMs,
      perTargetIntervalMs: p.perTargetIntervalMs,
      timeoutMs: p.timeoutMs,
      ...(this.options.sweepConcurrency ? { concurrency: this.options.sweepConcurrency } : {}),
    });
    this.available('sweep');
    const id = this.newId();
    const total = expanded.targets.length;
    const tag = tagOf(id, p.ref);
    const run: SweepRun = { tag, sweep, done: Promise.resolve() };
    sweep.on('result', (r: SweepTargetResult) => {
      const payload: EventPayload<'sweep.result'> = {
        ...tag, target: r.target, sent: r.sent, received: r.received, lossPct: r.lossPct, minUs: r.minUs, avgUs: r.avgUs, maxUs: r.maxUs, alive: r.alive,
      };
      if (r.error !== undefined) payload.error = r.error;
      this.emit({ name: 'sweep.result', payload });
    });
    run.done = sweep.start().then(
      (s) => this.finishSweep(run, { ...tag, alive: s.alive, total, ...(s.stopped ? { stopped: true } : {}) }),
      (e: unknown) => this.finishSweep(run, { ...tag, alive: 0, total, error: probeError(e, 'sweep').message }),
    );
    this.sweeps.set(id, run);
    return { id, total };
  }

  private finishSweep(run: SweepRun, payload: EventPayload<'sweep.done'>): void {
    if (run.final) return;
    run.final = payload;
    this.sweeps.delete(run.tag.id);
    this.emit({ name: 'sweep.done', payload });
  }

  async stopSweep(id: number): Promise<Result<'sweep.stop'>> {
    const run = this.sweeps.get(id);
    if (!run) {
      if (id > 0 && id < this.nextId) return {}; // already over
      throw new EngineError('NO_SUCH_SESSION', `there is no sweep #${id}`, undefined, 'id');
    }
    run.sweep.stop();
    await run.done;
    return {};
  }

  // ---------------- raw sockets ----------------

  async openRaw(p: InferOutput<typeof RawOpenParams>): Promise<Result<'raw.open'>> {
    if (this.closed) throw new EngineError('INVALID_STATE', 'socket: the engine is closing');
    if (this.raws.size >= MAX_RAW) throw new EngineError('INVALID_STATE', `socket: ${MAX_RAW} raw sockets are already open; close one first`);
    if (p.protocol === 'icmp' && p.family === 6) throw new EngineError('BAD_REQUEST', 'protocol: ICMP (1) is for IPv4; use icmpv6 with family 6', undefined, 'protocol');
    if (p.protocol === 'icmpv6' && p.family === 4) throw new EngineError('BAD_REQUEST', 'protocol: ICMPv6 (58) is for IPv6; use icmp with family 4', undefined, 'protocol');
    if (p.hdrincl && p.family === 6) throw new EngineError('BAD_REQUEST', 'hdrincl: IP_HDRINCL is for IPv4 raw sockets (IPv6 raw sockets never take the caller’s header)', undefined, 'hdrincl');
    this.available('socket');
    let r;
    try {
      r = await this.helper.open({ protocol: p.protocol, family: p.family, hdrincl: p.hdrincl });
    } catch (e) {
      throw probeError(e, `socket(${p.family === 4 ? 'AF_INET' : 'AF_INET6'}, SOCK_RAW)`, 'protocol');
    }
    const id = this.newId();
    const s: RawSession = { ...tagOf(id, p.ref), handle: r.handle, family: p.family, bucket: new TokenBucket(this.packetRate), skipped: 0 };
    this.raws.set(id, s);
    this.rawByHandle.set(r.handle, s);
    return { id };
  }

  private rawSession(id: number, call: string): RawSession {
    const s = this.raws.get(id);
    if (s) return s;
    const lost = this.lostRaws.get(id);
    if (lost) throw new EngineError('NO_SUCH_SESSION', `${call}: raw socket #${id} was lost: ${lost}`, undefined, 'id');
    throw new EngineError('NO_SUCH_SESSION', `${call}: there is no raw socket #${id} (closed, or lost when the helper restarted)`, undefined, 'id');
  }

  /** A raw socket gone with its helper: told once (raw.closed), and remembered for later calls on it. */
  private loseRaw(s: RawSession, why: string): void {
    this.forgetRaw(s);
    this.lostRaws.set(s.id, why);
    if (this.lostRaws.size > FINISHED_KEPT) this.lostRaws.delete(this.lostRaws.keys().next().value!);
    this.emit({ name: 'raw.closed', payload: { ...tagOf(s.id, s.ref), error: why } });
  }

  async sendRaw(id: number, bytes: Uint8Array, address: string): Promise<Result<'raw.send'>> {
    const s = this.rawSession(id, 'sendto');
    if ((address.includes(':') ? 6 : 4) !== s.family) {
      throw EngineError.os('EAFNOSUPPORT', 'sendto', `an IPv${address.includes(':') ? 6 : 4} address for an IPv${s.family} raw socket`, 'address');
    }
    try {
      const r = await this.helper.send(s.handle, bytes, address);
      return { bytes: r.sent };
    } catch (e) {
      const code = (e as { code?: string }).code;
      const field = code === 'EMSGSIZE' || code === 'EINVAL' ? 'bytes' : code === 'EADDRNOTAVAIL' || code === 'ENETUNREACH' || code === 'EHOSTUNREACH' ? 'address' : undefined;
      throw probeError(e, 'sendto', field);
    }
  }

  async closeRaw(id: number): Promise<Result<'raw.close'>> {
    const s = this.rawSession(id, 'close');
    this.forgetRaw(s);
    await this.helper.close(s.handle).catch(() => undefined); // gone already: closed is closed
    return {};
  }

  private forgetRaw(s: RawSession): void {
    this.raws.delete(s.id);
    this.rawByHandle.delete(s.handle);
  }

  private onPacket(p: RawPacket): void {
    const s = this.rawByHandle.get(p.handle);
    if (!s) return;
    if (!s.bucket.take()) {
      s.skipped++;
      return;
    }
    const payload: EventPayload<'raw.packet'> = { ...tagOf(s.id, s.ref), bytes: p.bytes, from: p.from, ipHeader: p.ipHeader, tUs: p.tUs };
    if (s.skipped > 0) {
      payload.skipped = s.skipped;
      s.skipped = 0;
    }
    this.emit({ name: 'raw.packet', payload });
  }

  /** Stops every run, closes every raw socket and stops the helper (engine close). */
  async close(): Promise<void> {
    this.closed = true;
    const runs = [...this.pings.values()];
    const traces = [...this.traces.values()];
    const sweeps = [...this.sweeps.values()];
    for (const r of runs) r.ping.stop();
    for (const t of traces) t.trace.stop();
    for (const w of sweeps) w.sweep.stop();
    const bounded = <T>(p: Promise<T>) => Promise.race([p, new Promise<void>((r) => setTimeout(r, 3000).unref())]);
    await bounded(Promise.allSettled([...runs.map((r) => r.done), ...traces.map((t) => t.done), ...sweeps.map((w) => w.done)]));
    for (const s of [...this.raws.values()]) this.forgetRaw(s);
    await this.helperInstance?.stop();
  }
}
