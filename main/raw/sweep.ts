// A sweep like fping: `count` echo requests to each of many targets, one
// result per target when its probes are done, and the number alive.
//
// Each target is one Ping (ping.ts: its matching, timeouts and statistics,
// unchanged), at most `concurrency` at a time, so a /20 opens at most that
// many raw sockets, never 4,094. Every Ping gets its own ICMP identifier
// (a random base + the target's index, distinct across the whole sweep), so
// the replies one socket sees for another target are never counted: the
// results are exact. Pacing as fping's: probes to the same target are
// perTargetIntervalMs apart (-p, the Ping's interval) and probes to
// different targets at least intervalMs apart (-i): every send of the sweep
// goes through one pacer. The RTT comes from the helper's clock at the send,
// so waiting for the pacer never inflates it.
import { EventEmitter } from 'node:events';
import { Ping, type PingSummary } from './ping.js';
import { random16, type ProbeSend, type ProbeSent, type ProbeTransport } from './probe-transport.js';

export { expandTargets, MAX_SWEEP_TARGETS } from '../../shared/net/targets.js';

export const DEFAULT_SWEEP_CONCURRENCY = 32;

export interface SweepOptions {
  /** Addresses (already expanded: see expandTargets). */
  targets: string[];
  /** Probes per target. */
  count: number;
  /** Between probes to different targets, ms (fping -i). */
  intervalMs: number;
  /** Between probes to the same target, ms (fping -p). */
  perTargetIntervalMs: number;
  timeoutMs: number;
  /** Echo payload bytes; default 56 (fping's). */
  size?: number;
  /** Targets probed at once (raw sockets open at once); default 32. */
  concurrency?: number;
}

export interface SweepTargetResult {
  target: string;
  /** Where the target is in the list (0-based). */
  index: number;
  sent: number;
  received: number;
  lossPct: number;
  minUs: number | null;
  avgUs: number | null;
  maxUs: number | null;
  alive: boolean;
  error?: string;
}

export interface SweepSummary {
  alive: number;
  /** Targets with a result (all of them unless stopped). */
  done: number;
  total: number;
  stopped: boolean;
}

/** fping's result for one target from ping's summary. */
export function targetResult(target: string, index: number, s: PingSummary | null, error?: string): SweepTargetResult {
  const st = s?.stats;
  const r: SweepTargetResult = {
    target,
    index,
    sent: st?.transmitted ?? 0,
    received: st?.received ?? 0,
    lossPct: st ? (st.transmitted ? Math.round(((st.transmitted - st.received) * 100) / st.transmitted) : 100) : 100,
    minUs: st?.rtt ? st.rtt.minUs : null,
    avgUs: st?.rtt ? st.rtt.avgUs : null,
    maxUs: st?.rtt ? st.rtt.maxUs : null,
    alive: (st?.received ?? 0) > 0,
  };
  if (error !== undefined) r.error = error;
  return r;
}

export class Sweep {
  private readonly emitter = new EventEmitter();
  private readonly active = new Set<Ping>();
  private readonly transport: ProbeTransport;
  private stopped = false;
  private started = false;
  private nextSlot = 0;
  private readonly waiting = new Set<() => void>();

  constructor(private readonly base: ProbeTransport, readonly options: SweepOptions) {
    if (options.targets.length === 0) throw new Error('a sweep needs at least one target');
    // The same transport, every send through the pacer (fping -i).
    this.transport = {
      open: (o) => base.open(o),
      close: (h) => base.close(h),
      on: (e, l) => base.on(e, l),
      off: (e, l) => base.off(e, l),
      send: async (s: ProbeSend): Promise<ProbeSent> => {
        await this.pace();
        return base.send(s);
      },
      ...(base.setFilter ? { setFilter: base.setFilter.bind(base) } : {}),
      ...(base.onLost ? { onLost: base.onLost.bind(base) } : {}),
    };
  }

  /** The helper died under the sweep: every target going ends with it, and so does the sweep. */
  private failure: Error | null = null;

  on(event: 'result', listener: (r: SweepTargetResult) => void): this {
    this.emitter.on(event, listener);
    return this;
  }

  /** Waits for this send's slot: at least intervalMs after the previous one (none once stopped). */
  private pace(): Promise<void> {
    const now = performance.now();
    const at = Math.max(now, this.nextSlot);
    this.nextSlot = at + this.options.intervalMs;
    if (at - now < 1 || this.stopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.waiting.delete(done);
        resolve();
      };
      const t = setTimeout(done, at - now);
      this.waiting.add(done);
    });
  }

  /** No further targets; the ones going stop (their waiting probes count as lost) and report. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const p of this.active) p.stop();
    for (const w of [...this.waiting]) w();
  }

  /** Runs the sweep; resolves once every started target has reported. */
  async start(): Promise<SweepSummary> {
    if (this.started) throw new Error('this Sweep has already been started');
    this.started = true;
    const { targets, count, perTargetIntervalMs, timeoutMs, size } = this.options;
    const concurrency = Math.max(1, Math.min(this.options.concurrency ?? DEFAULT_SWEEP_CONCURRENCY, targets.length));
    const idBase = random16();
    let next = 0;
    let alive = 0;
    let done = 0;
    const offLost = this.base.onLost?.((e) => {
      this.failure ??= e.error;
      this.stop();
    });
    const worker = async (): Promise<void> => {
      while (!this.stopped && next < targets.length) {
        const index = next++;
        const target = targets[index]!;
        let result: SweepTargetResult;
        try {
          const ping = new Ping(this.transport, {
            target, count, intervalMs: perTargetIntervalMs, timeoutMs, size: size ?? 56, identifier: (idBase + index) & 0xffff,
          });
          this.active.add(ping);
          try {
            result = targetResult(target, index, await ping.start());
          } finally {
            this.active.delete(ping);
          }
        } catch (e) {
          result = targetResult(target, index, null, e instanceof Error ? e.message : String(e));
        }
        done++;
        if (result.alive) alive++;
        this.emitter.emit('result', result);
      }
    };
    try {
      await Promise.all(Array.from({ length: concurrency }, worker));
    } finally {
      offLost?.();
    }
    if (this.failure) throw this.failure;
    return { alive, done, total: targets.length, stopped: this.stopped };
  }
}
