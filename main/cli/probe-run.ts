// `sockbench ping` and `sockbench traceroute` over the same engine and router
// as the app (every call validated as from the UI), printing what ping and
// traceroute print. Exit status as ping's: 0 when a reply came, 1 when none
// did, 2 on an error (unknown host, no privilege, bad option).
import { lookup } from 'node:dns/promises';
import { CallError, type AnyEvent, type EventPayload, type MethodName, type Params, type Result } from '../../shared/contract/index.js';
import { ipFamily } from '../../shared/net/address.js';
import { expandTargets } from '../../shared/net/targets.js';
import { createRouter } from '../bridge/router.js';
import { Workbench } from '../workbench.js';
import { formatG, formatMs3, formatReplyTime } from '../raw/stats.js';
import { pingParams, pingProblem, type PingCommand, type SweepCommand, type TracerouteCommand } from './probe-args.js';
import { Exit } from './run.js';

type Stats = EventPayload<'ping.stats'>['stats'];

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

export const stdio: Io = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
};

/** An IP literal as is; a name through the resolver (getaddrinfo, as ping does). */
export async function resolveHost(host: string, family: 4 | 6 | undefined, tool: string): Promise<{ address: string; family: 4 | 6 } | Exit> {
  const literal = ipFamily(host);
  if (literal) {
    if (family && literal !== family) return new Exit(2, `${tool}: ${host}: Address family for hostname not supported (-${family} given)`);
    return { address: host, family: literal };
  }
  try {
    const r = await lookup(host, { family: family ?? 0 });
    return { address: r.address, family: r.family === 6 ? 6 : 4 };
  } catch {
    return new Exit(2, `${tool}: ${host}: Name or service not known`);
  }
}

function engineCall(workbench: Workbench) {
  const router = createRouter(workbench);
  return async <M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> => {
    const reply = await router.handle(method, params);
    if (!reply.ok) throw new CallError(reply.error);
    return reply.result as Result<M>;
  };
}

export const NO_PRIVILEGE =
  'Sending ICMP needs raw sockets, which need CAP_NET_RAW or root, and this process has neither: ' +
  'run sockbench as root, or give node CAP_NET_RAW (setcap cap_net_raw+ep "$(command -v node)").';

/** A failed call as one line: the helper's explanation for a missing privilege, the reason otherwise. */
function callFailure(tool: string, e: unknown): Exit {
  if (e instanceof CallError && e.code === 'OS_ERROR' && e.error.errno?.name === 'EPERM') {
    return new Exit(2, `${tool}: ${NO_PRIVILEGE}`);
  }
  const message = e instanceof CallError ? e.error.message : e instanceof Error ? e.message : String(e);
  return new Exit(2, `${tool}: ${message.replace(/\s+/g, ' ').trim()}`);
}

/** Waits for SIGINT / SIGTERM (as ping's Ctrl+C: stop, then the summary). */
export function onInterrupt(fn: () => void): () => void {
  const handler = (): void => fn();
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/** ping's two closing lines plus a line of percentiles. */
export function pingSummaryLines(host: string, s: Stats): string[] {
  let counts = `${s.transmitted} packets transmitted, ${s.received} received`;
  if (s.duplicates) counts += `, +${s.duplicates} duplicates`;
  if (s.errors) counts += `, +${s.errors} errors`;
  if (s.late) counts += `, +${s.late} late`;
  if (s.transmitted) counts += `, ${formatG(s.lossPct)}% packet loss, time ${Math.round(s.elapsedMs)}ms`;
  const lines = ['', `--- ${host} ping statistics ---`, counts];
  if (s.received > 0 && s.minUs !== null && s.avgUs !== null && s.maxUs !== null && s.mdevUs !== null) {
    lines.push(`rtt min/avg/max/mdev = ${formatMs3(s.minUs)}/${formatMs3(s.avgUs)}/${formatMs3(s.maxUs)}/${formatMs3(s.mdevUs)} ms`);
    if (s.p50Us !== null && s.p90Us !== null && s.p99Us !== null) {
      lines.push(`rtt p50/p90/p99 = ${formatMs3(s.p50Us)}/${formatMs3(s.p90Us)}/${formatMs3(s.p99Us)} ms`);
    }
  }
  return lines;
}

/** One reply as ping prints it (nothing for a plain timeout, as ping without -O). */
export function pingReplyLine(r: EventPayload<'ping.reply'>): string | null {
  if (r.error !== undefined) return `From ${r.from ?? '?'} icmp_seq=${r.seq} ${r.error}`;
  if (r.rttUs === null) return null;
  const ttl = r.ttl === undefined ? '' : ` ttl=${r.ttl}`;
  const flags = `${r.dup ? ' (DUP!)' : ''}${r.late ? ' (late)' : ''}`;
  return `${r.bytes ?? '?'} bytes from ${r.from ?? '?'}: icmp_seq=${r.seq}${ttl} time=${formatReplyTime(r.rttUs)} ms${flags}`;
}

/**
 * The events of one run (a probe, or craft --send), told apart by the ref
 * its start call gives (RunRef). What comes before started() is held, so the
 * command's header line is printed first, then shown in order.
 */
export function followRun(workbench: Workbench, kind: string, show: (ev: AnyEvent) => void): { ref: string; started(): void; off(): void } {
  const ref = `${kind}-cli-${process.pid}`;
  let held: AnyEvent[] | null = [];
  const off = workbench.onEvent((ev) => {
    if ((ev.payload as { ref?: unknown }).ref !== ref) return;
    if (held) held.push(ev);
    else show(ev);
  });
  return {
    ref,
    started() {
      const early = held ?? [];
      held = null;
      for (const ev of early) show(ev);
    },
    off,
  };
}

export async function runPing(cmd: PingCommand, io: Io = stdio): Promise<Exit> {
  const target = await resolveHost(cmd.host, cmd.family, 'ping');
  if (target instanceof Exit) return target;
  const problem = pingProblem(cmd, target.address);
  if (problem) return new Exit(2, `ping: ${problem}`);
  // Every reply is printed: no thinning for the terminal. A flood prints none (unless as JSON), so it asks for none.
  const engine = new Workbench({ probes: { replyRate: cmd.flood && !cmd.json ? 0 : Infinity } });
  const call = engineCall(engine);
  const json = (obj: Record<string, unknown>) => io.out(JSON.stringify(obj));
  let resolveDone!: (s: EventPayload<'ping.stats'>) => void;
  const done = new Promise<EventPayload<'ping.stats'>>((r) => (resolveDone = r));
  const show = (ev: AnyEvent): void => {
    if (ev.name === 'ping.reply') {
      if (cmd.json) json({ event: 'reply', ...ev.payload });
      else if (!cmd.flood) {
        const line = pingReplyLine(ev.payload);
        if (line) io.out(line);
      }
    } else if (ev.name === 'ping.stats' && ev.payload.done) resolveDone(ev.payload);
  };
  const run = followRun(engine, 'ping', show);
  let stopInterrupt = (): void => undefined;
  try {
    const params = pingParams(cmd, target.address);
    let started;
    try {
      started = await call('ping.start', { ...params, ref: run.ref });
    } catch (e) {
      return callFailure('ping', e);
    }
    // The header once the socket is open (as ping: a refusal comes instead of it), then what came meanwhile.
    const header = target.family === 4
      ? `PING ${cmd.host} (${target.address}) ${cmd.size}(${cmd.size + 28}) bytes of data.`
      : `PING ${cmd.host} (${target.address}) ${cmd.size} data bytes`;
    if (cmd.json) json({ event: 'start', host: cmd.host, address: target.address, family: target.family, size: cmd.size });
    else io.out(header);
    const runId = started.id;
    run.started();
    stopInterrupt = onInterrupt(() => void call('ping.stop', { id: runId }).catch(() => undefined));
    const final = await done;
    if (cmd.json) json({ event: 'stats', ...final.stats, ...(final.error ? { error: final.error } : {}) });
    else for (const line of pingSummaryLines(cmd.host, final.stats)) io.out(line);
    if (final.error) return new Exit(2, `ping: ${final.error}`);
    return new Exit(final.stats.received > 0 ? 0 : 1);
  } finally {
    stopInterrupt();
    run.off();
    await engine.close();
  }
}

/** One hop as traceroute -n prints it: " 1  127.0.0.1  0.045 ms  0.030 ms  0.029 ms", "*" for no answer. */
export function hopLine(h: EventPayload<'trace.hop'>): string {
  let line = `${String(h.ttl).padStart(2)} `;
  let last: string | undefined;
  for (const p of h.probes) {
    if (p.rttUs === null) {
      line += ' *';
      continue;
    }
    if (p.from && p.from !== last) {
      line += ` ${p.from}`;
      last = p.from;
    }
    line += `  ${(p.rttUs / 1000).toFixed(3)} ms${p.flag ? ` ${p.flag}` : ''}`;
  }
  return line;
}

export async function runTraceroute(cmd: TracerouteCommand, io: Io = stdio): Promise<Exit> {
  const target = await resolveHost(cmd.host, cmd.family, 'traceroute');
  if (target instanceof Exit) return target;
  const engine = new Workbench();
  const call = engineCall(engine);
  const json = (obj: Record<string, unknown>) => io.out(JSON.stringify(obj));
  const hops = new Map<number, EventPayload<'trace.hop'>>();
  let nextTtl = 1;
  let resolveDone!: (d: EventPayload<'trace.done'>) => void;
  const done = new Promise<EventPayload<'trace.done'>>((r) => (resolveDone = r));
  // Hops are printed in order, each once, as soon as every hop before it is known.
  const flushHops = (): void => {
    for (let h = hops.get(nextTtl); h; h = hops.get(nextTtl)) {
      if (cmd.json) json({ event: 'hop', ...h });
      else io.out(hopLine(h));
      hops.delete(nextTtl++);
    }
  };
  const show = (ev: AnyEvent): void => {
    if (ev.name === 'trace.hop') {
      hops.set(ev.payload.ttl, ev.payload);
      flushHops();
    } else if (ev.name === 'trace.done') resolveDone(ev.payload);
  };
  const run = followRun(engine, 'trace', show);
  let stopInterrupt = (): void => undefined;
  try {
    let started;
    try {
      started = await call('trace.start', {
        ref: run.ref,
        target: target.address, mode: cmd.mode, maxHops: cmd.maxHops, probesPerHop: cmd.probesPerHop, timeoutMs: cmd.timeoutMs,
      });
    } catch (e) {
      return callFailure('traceroute', e);
    }
    // traceroute's header (on stderr, as traceroute) once the sockets are open.
    const size = target.family === 4 ? 60 : 80;
    if (cmd.json) json({ event: 'start', host: cmd.host, address: target.address, family: target.family, maxHops: cmd.maxHops, mode: cmd.mode });
    else io.err(`traceroute to ${cmd.host} (${target.address}), ${cmd.maxHops} hops max, ${size} byte packets`);
    const runId = started.id;
    run.started();
    stopInterrupt = onInterrupt(() => void call('trace.stop', { id: runId }).catch(() => undefined));
    const end = await done;
    // Whatever hop is still held (a gap the run never filled) is printed too, in order.
    for (const ttl of [...hops.keys()].sort((a, b) => a - b)) {
      nextTtl = ttl;
      flushHops();
    }
    if (cmd.json) json({ event: 'done', reached: end.reached, ...(end.error ? { error: end.error } : {}) });
    if (end.error) return new Exit(2, `traceroute: ${end.error}`);
    return new Exit(0);
  } finally {
    stopInterrupt();
    run.off();
    await engine.close();
  }
}

/** fping's times: ms with 2 decimals under 10 ms, 1 under 100, none above. */
export function fpingTime(us: number): string {
  const ms = us / 1000;
  return ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0);
}

/** fping -c's statistics line: "127.0.0.1 : xmt/rcv/%loss = 3/3/0%, min/avg/max = 0.03/0.04/0.05". */
export function sweepSummaryLine(r: EventPayload<'sweep.result'>, width = 0): string {
  let line = `${r.target.padEnd(width)} : xmt/rcv/%loss = ${r.sent}/${r.received}/${r.lossPct}%`;
  if (r.received > 0 && r.minUs !== null && r.avgUs !== null && r.maxUs !== null) {
    line += `, min/avg/max = ${fpingTime(r.minUs)}/${fpingTime(r.avgUs)}/${fpingTime(r.maxUs)}`;
  }
  return line;
}

/** `sockbench sweep`: "<addr> is alive" / "is unreachable" as each target is done; with -c, fping's statistics on stderr. */
export async function runSweep(cmd: SweepCommand, io: Io = stdio): Promise<Exit> {
  const engine = new Workbench();
  const call = engineCall(engine);
  const json = (obj: Record<string, unknown>) => io.out(JSON.stringify(obj));
  const results: EventPayload<'sweep.result'>[] = [];
  let resolveDone!: (d: EventPayload<'sweep.done'>) => void;
  const done = new Promise<EventPayload<'sweep.done'>>((r) => (resolveDone = r));
  const show = (ev: AnyEvent): void => {
    if (ev.name === 'sweep.result') {
      results.push(ev.payload);
      const r = ev.payload;
      if (cmd.json) json({ event: 'result', target: r.target, sent: r.sent, received: r.received, lossPct: r.lossPct, minUs: r.minUs, avgUs: r.avgUs, maxUs: r.maxUs, alive: r.alive, ...(r.error ? { error: r.error } : {}) });
      else io.out(`${r.target} is ${r.alive ? 'alive' : 'unreachable'}${r.error ? ` (${r.error})` : ''}`);
    } else if (ev.name === 'sweep.done') resolveDone(ev.payload);
  };
  const run = followRun(engine, 'sweep', show);
  let stopInterrupt = (): void => undefined;
  try {
    // Host names: each to its first address, as fping does; an unknown one ends the run as fping's does.
    const addresses: string[] = [];
    for (const name of cmd.names) {
      const r = await resolveHost(name, undefined, 'sweep');
      if (r instanceof Exit) return r;
      addresses.push(r.address);
    }
    let started;
    try {
      started = await call('sweep.start', {
        ref: run.ref,
        targets: [cmd.targets, ...addresses].filter(Boolean).join(' '), count: cmd.count, intervalMs: cmd.intervalMs, perTargetIntervalMs: cmd.perTargetIntervalMs, timeoutMs: cmd.timeoutMs,
      });
    } catch (e) {
      return callFailure('sweep', e);
    }
    const runId = started.id;
    run.started();
    stopInterrupt = onInterrupt(() => void call('sweep.stop', { id: runId }).catch(() => undefined));
    const end = await done;
    if (cmd.json) json({ event: 'done', alive: end.alive, total: end.total, ...(end.stopped ? { stopped: true } : {}), ...(end.error ? { error: end.error } : {}) });
    else if (cmd.stats) {
      // As fping -c: the statistics of every target, in the order given, on stderr.
      const expanded = expandTargets(cmd.targets);
      const order = new Map((expanded.ok ? expanded.targets : []).map((t, i) => [t, i]));
      const width = Math.max(...results.map((r) => r.target.length));
      results.sort((a, b) => (order.get(a.target) ?? 0) - (order.get(b.target) ?? 0));
      io.err('');
      for (const r of results) io.err(sweepSummaryLine(r, width));
    }
    if (end.error) return new Exit(2, `sweep: ${end.error}`);
    if (results.some((r) => r.error !== undefined && r.sent === 0) && end.alive === 0) {
      return new Exit(2, `sweep: ${results.find((r) => r.error !== undefined)!.error!}`);
    }
    return new Exit(end.alive === end.total ? 0 : 1);
  } finally {
    stopInterrupt();
    run.off();
    await engine.close();
  }
}
