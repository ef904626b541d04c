// RawHelper: the main process's side of the raw-socket helper. It decides
// whether the helper may be started (privileged → spawn it; not → say so, and
// elevate() asks the OS to run the helper alone with rights), matches replies
// to requests, checks every frame it receives, turns the helper's clock into
// the engine's, and supervises: when the helper dies, in-flight calls reject
// naming the signal or exit code, `died` lists the lost handles, and a
// directly started helper is restarted (an elevated one is not: that would
// pop up a password prompt out of nowhere).
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { ChildCallError, ChildCalls, ChildDiedError, Restarts, type ChildDiedInfo } from '../core/child-process.js';
import { nowUs } from '../core/clock.js';
import { EngineError, errnoOf } from '../core/errors.js';
import { unpackedPath } from '../core/addon.js';
import { FrameReader, decodePayload, frameOf } from './framing.js';
import { connectBack, spawnLauncher, type ConnectBack, type HelperChannel, type HelperLauncher } from './launcher.js';
import { declinedBy, elevationPlan, needsConnectBack, rawPrivilege, type ElevationPlan, type Privilege } from './privilege.js';
import {
  MAX_FRAME, MAX_JSON, isHelperEvent, resultChecks,
  type FilterArgs, type FloodArgs, type FloodResult, type Handle, type HelperEvent, type OpName, type Ops, type OpenArgs, type OpenResult, type SendOptions, type SendResult, type CallFailure,
} from './helper-protocol.js';

/** A copy as Float64 values (the frame's bytes need not be 8-aligned). */
const floats = (b: Uint8Array): Float64Array => new Float64Array(b.slice().buffer);

export type RawStatus = 'stopped' | 'starting' | 'ready' | 'unprivileged' | 'declined' | 'failed';

/** A request the helper (or the kernel behind it) refused; shaped like Node's system errors. */
export class RawHelperError extends ChildCallError {
  override name = 'RawHelperError';
}

/** The helper went away while the call was in flight (or never started: `spawnCode` says why, e.g. EMFILE). */
export class RawHelperDiedError extends ChildDiedError {
  override name = 'RawHelperDiedError';
  readonly code = 'ERR_RAW_HELPER_DIED';
  constructor(message: string, exitCode: number | null, signal: NodeJS.Signals | null, readonly spawnCode?: string) {
    super(message, exitCode, signal);
  }
}

/** Handles are generation·2³² + the helper's own number, so a restarted helper's handle 1 is never an older one's. */
const GENERATION = 2 ** 32;

/** No helper can run now: `status` and the message say why (unprivileged, declined, failed). */
export class RawHelperUnavailableError extends Error {
  override name = 'RawHelperUnavailableError';
  readonly code = 'ERR_RAW_HELPER_UNAVAILABLE';
  constructor(readonly status: RawStatus, reason: string) {
    super(reason);
  }
}

/** Any failure of a helper call as the bridge's typed error: unavailable (EPERM), refused (the kernel's errno), or died. */
export function helperError(err: unknown, call: string, field?: string): EngineError {
  if (err instanceof EngineError) return err;
  if (err instanceof RawHelperUnavailableError) {
    return new EngineError('OS_ERROR', err.message, errnoOf('EPERM'));
  }
  if (err instanceof RawHelperError) {
    if (err.code === 'BAD_REQUEST') return new EngineError('BAD_REQUEST', `${call}: ${err.message}`, undefined, field);
    if (/^E[A-Z0-9]+$/.test(err.code)) return EngineError.os(err.code, call, err.message, field);
    return new EngineError('INTERNAL', `${call}: ${err.message}`);
  }
  if (err instanceof RawHelperDiedError) {
    if (err.spawnCode && /^E[A-Z0-9]+$/.test(err.spawnCode)) return EngineError.os(err.spawnCode, call, err.message);
    return new EngineError('INTERNAL', `${call}: ${err.message}`);
  }
  const message = err instanceof Error ? err.message : String(err);
  return new EngineError('INTERNAL', `${call}: ${message}`);
}

export interface RawPacket {
  handle: Handle;
  bytes: Uint8Array;
  from: string;
  /** Engine clock (main/core/clock.ts), µs, fractional: taken in the helper as the packet was read. */
  tUs: number;
  /** IPv4 raw sockets receive the IP header; IPv6 ones start at the ICMPv6/transport header. */
  ipHeader: boolean;
}

export type DiedInfo = ChildDiedInfo<Handle>;

export interface RawHelperEvents {
  status: [status: RawStatus, reason: string];
  ready: [info: { pid: number; sandboxed: boolean }];
  packet: [packet: RawPacket];
  dropped: [ev: { handle: Handle; count: number }];
  /** A flood's send stamps (engine clock, µs) for sends first, first + 1, …; NaN: that send failed (error: the first such failure). */
  'flood-sent': [ev: { handle: Handle; first: number; tUs: Float64Array; error?: CallFailure }];
  /** A flood's echo replies that came back as sent: (sequence, tUs on the engine clock, TTL or −1) triples. */
  'flood-replies': [ev: { handle: Handle; replies: Float64Array }];
  'socket-error': [ev: { handle: Handle; error: RawHelperError; closed: boolean }];
  died: [info: DiedInfo];
  /** A malformed or unexpected frame from the helper (ignored). */
  warning: [error: Error];
}

export interface RawHelperOptions {
  /** The helper script; default dist/raw-helper.cjs beside the running bundle. */
  entry?: string;
  /** e.g. ['--import', 'tsx'] to run helper.ts from sources. */
  execArgv?: string[];
  /**
   * The Node binary. Default: process.execPath under plain Node; under Electron
   * (runAsNode is off) the Node shipped with the app, resources/node/node(.exe)
   * (see defaultNode()).
   */
  node?: string;
  /** How to start a process with pipes (default: child_process.spawn). */
  launch?: HelperLauncher;
  /** Consecutive deaths before `ready` after which restarting stops (default 5). */
  maxFailedStarts?: number;
  /** Whether this process may open raw sockets (default: rawPrivilege()). */
  privilege?: () => Privilege;
  /** How to elevate (default: elevationPlan() for this platform). */
  elevation?: (node: string, args: string[]) => ElevationPlan;
  /** Run the bundled helper under Node's permission model (no fs writes, no child processes) when the runtime has it (default true). */
  sandbox?: boolean;
  /** How long elevate() waits for the user to answer the prompt (default 120 s). */
  elevateTimeoutMs?: number;
  /**
   * Elevate through the connect-back channel (the helper connects to a private
   * socket of ours and proves itself with a token) instead of pipes. Default:
   * where the tool cannot pass pipes (macOS, Windows); tests set it on Linux.
   */
  connectBack?: boolean;
  /** Connect-back: how long the helper has to connect after the elevation tool ended well (default 20 s). */
  connectTimeoutMs?: number;
  /** Connect-back: where its private directory is made (default the OS's temporary directory). */
  connectBackTmp?: string;
}

type Mode = 'direct' | 'elevated';

// The engine clock's origin on hrtime's scale (clock.ts keeps its own private; within 1 µs).
const engineOriginNs = process.hrtime.bigint() - BigInt(nowUs()) * 1000n;

export class RawHelper extends EventEmitter<RawHelperEvents> {
  private child: HelperChannel | undefined;
  /** The pid the helper reported in `ready` (an elevated one is not our child: the channel's pid is the tool's). */
  private helperPid: number | undefined;
  /** The elevation tool of the current elevated helper (its way of saying "declined"). */
  private elevationTool = '';
  private mode: Mode = 'direct';
  private stopping: HelperChannel | undefined;
  private state: RawStatus = 'stopped';
  private why = 'the raw-socket helper has not been started';
  private capDenied: string | undefined;
  private elevating: Promise<RawStatus> | undefined;
  private readonly calls = new ChildCalls<HelperEvent, OpName, Handle>({
    sender: 'the raw helper',
    isEvent: isHelperEvent,
    resultChecks,
    refused: (e) => new RawHelperError(e),
    opened: (op, result) => (op === 'open' ? this.outward((result as OpenResult).handle) : undefined),
    closeOp: 'close',
  });
  /** Bumped at each start; the high part of every handle the app sees. */
  private generation = 0;
  /** How recent helpers ended, by generation: a call on one of their handles says so. */
  private readonly ends = new Map<number, string>();
  private readonly restarts: Restarts;
  private restartTimer: NodeJS.Timeout | undefined;
  /** Helper clock + offset = engine clock. */
  private offsetUs = 0;
  private readonly opts: RawHelperOptions;

  constructor(opts: RawHelperOptions = {}) {
    super();
    this.opts = opts;
    this.restarts = new Restarts(opts.maxFailedStarts);
  }

  status(): RawStatus {
    return this.state;
  }

  /** Why the status is what it is, for a person. */
  get reason(): string {
    return this.why;
  }

  get pid(): number | undefined {
    return this.child ? this.helperPid ?? this.child.pid : undefined;
  }

  /** Handles open in the current helper. */
  handles(): Handle[] {
    return this.calls.handles();
  }

  /** Starts the helper when this process may open raw sockets; otherwise status 'unprivileged' (nothing is spawned). */
  start(): RawStatus {
    if (this.child) return this.state;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.restarts.reset();
    this.capDenied = undefined;
    const p = (this.opts.privilege ?? rawPrivilege)();
    if (!p.privileged) {
      this.setStatus('unprivileged', p.reason);
      return this.state;
    }
    this.spawn('direct');
    return this.state;
  }

  /**
   * Asks the OS to run the helper with raw-socket rights (pkexec on Linux).
   * Resolves with the resulting status: 'ready', 'declined' (dismissed or not
   * authorized), 'unprivileged' (no way to ask) or 'failed'.
   */
  elevate(): Promise<RawStatus> {
    // One prompt at a time: a second click waits for the first answer.
    this.elevating ??= this.runElevation().finally(() => (this.elevating = undefined));
    return this.elevating;
  }

  private async runElevation(): Promise<RawStatus> {
    if (this.child && this.state === 'ready') return this.state;
    let node: string;
    let args: string[];
    // Where the tool cannot pass our pipes, the helper connects back: a private socket and token first, as its arguments say where.
    let cb: ConnectBack | undefined;
    try {
      if (this.opts.connectBack ?? needsConnectBack()) cb = connectBack({ connectTimeoutMs: this.opts.connectTimeoutMs, tmp: this.opts.connectBackTmp });
      ({ node, args } = this.command(cb));
    } catch (e) {
      cb?.dispose();
      this.setStatus('failed', (e as Error).message);
      return this.state;
    }
    const plan = (this.opts.elevation ?? ((n, a) => elevationPlan({ node: n, args: a })))(node, args);
    if (!plan.ok || (!plan.pipes && !cb) || (plan.connectBack && !cb)) {
      cb?.dispose();
      this.setStatus('unprivileged', plan.ok ? `Sockbench cannot elevate its helper through ${plan.tool} without its connect-back channel: run Sockbench as root or administrator to use ICMP.` : plan.reason);
      return this.state;
    }
    if (this.child) await this.stop(); // (no await otherwise: calls made right after elevate() wait for it)
    this.restarts.reset();
    this.capDenied = undefined;
    this.elevationTool = plan.tool;
    const child = this.spawn('elevated', plan, cb?.launch);
    if (!child) return this.state;
    const ms = this.opts.elevateTimeoutMs ?? 120_000;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        if (!this.restarts.isReady) this.abandon(child, 'declined', `No answer to the authentication prompt within ${Math.round(ms / 1000)} s, so ICMP (ping, traceroute) stays off. TCP, UDP and Unix sockets work as usual.`);
        resolve();
      }, ms);
      const done = () => {
        clearTimeout(timer);
        this.off('status', onStatus);
        resolve();
      };
      const onStatus = (s: RawStatus) => {
        if (s !== 'starting') done();
      };
      this.on('status', onStatus);
      child.onExit(done);
    });
    return this.state;
  }

  /** Stops the helper (closing its stdin, then signals); in-flight calls reject. */
  async stop(): Promise<void> {
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const child = this.child;
    if (!child) return;
    this.stopping = child;
    const exited = new Promise<void>((r) => child.onExit(() => r()));
    child.end();
    const term = setTimeout(() => child.kill('SIGTERM'), 2000);
    const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
    const giveUp = new Promise<void>((r) => setTimeout(r, 4000).unref());
    await Promise.race([exited, giveUp]);
    clearTimeout(term);
    clearTimeout(kill);
    if (this.child === child) this.onExit(child, null, null); // never said it exited: forget it anyway
  }

  async open(args: OpenArgs): Promise<OpenResult> {
    const r = await this.call('open', args);
    return { ...r, handle: this.outward(r.handle) };
  }

  async send(handle: Handle, bytes: Uint8Array, address: string, opts: SendOptions = {}): Promise<SendResult> {
    const { ttl, tos, df } = opts; // only these: the helper refuses unknown fields
    const r = await this.call('send', { handle, bytes, address, ttl, tos, df });
    return { sent: r.sent, tUs: r.tUs + this.offsetUs };
  }

  close(handle: Handle): Promise<null> {
    return this.call('close', { handle });
  }

  /** Runs a flood of echo requests in the helper (see FloodArgs); resolves when it ends. Progress comes as flood-sent / flood-replies. */
  flood(args: FloodArgs): Promise<FloodResult> {
    const { handle, bytes, address, count, intervalUs, ttl, tos, df } = args;
    return this.call('flood', { handle, bytes, address, count, intervalUs, ttl, tos, df });
  }

  floodStop(handle: Handle): Promise<null> {
    return this.call('floodStop', { handle });
  }

  /** Receive only these ICMP types on an ICMP/ICMPv6 socket (Linux); null: all. */
  setFilter(handle: Handle, icmpTypes: FilterArgs['icmpTypes']): Promise<null> {
    return this.call('setFilter', { handle, icmpTypes });
  }

  /** One request; a handle in `args` is the app's (generation·2³² + n): the helper is sent its own n. */
  call<O extends OpName>(op: O, args: Ops[O]['args']): Promise<Ops[O]['result']> {
    // Stopped, or waiting out a restart's back-off after a failed start (e.g. EMFILE): a call is
    // someone asking now, so start now rather than refuse until the timer fires.
    if (!this.child && (this.state === 'stopped' || (this.state === 'starting' && this.restartTimer !== undefined))) this.start();
    const child = this.child;
    if (!child) return Promise.reject(new RawHelperUnavailableError(this.state, this.why));
    const handle = op === 'open' ? undefined : (args as { handle: Handle }).handle;
    let wire = args;
    if (handle !== undefined) {
      const n = this.inward(handle, op);
      if (n instanceof Error) return Promise.reject(n);
      wire = { ...args, handle: n } as Ops[O]['args'];
    }
    return this.calls.start(op, handle, (rid) => {
      this.holdOpen();
      child.write(frameOf({ rid, op, args: wire }));
    });
  }

  private outward(n: number): Handle {
    return this.generation * GENERATION + n;
  }

  /** The current helper's own number for an app handle, or EBADF naming how the helper that had it ended. */
  private inward(handle: Handle, op: string): number | RawHelperError {
    const g = Math.floor(handle / GENERATION);
    if (g === this.generation && handle % GENERATION > 0) return handle % GENERATION;
    const ended = this.ends.get(g);
    const why = ended ? `it belonged to a raw-socket helper that is gone (${ended})` : `no raw socket has handle ${handle}`;
    const syscall = op === 'close' ? 'close' : op === 'setFilter' ? 'setsockopt' : 'sendto';
    return new RawHelperError({ code: 'EBADF', errno: -9, message: `EBADF: ${why}, ${syscall}`, syscall });
  }

  /** The Node binary and its arguments for the helper (connect-back: where to connect, and the token file it may read). */
  private command(cb?: ConnectBack): { node: string; args: string[] } {
    // Throws a sentence naming what is missing (the shipped Node, its manifest, the unpacked helper).
    const runtime = this.opts.node === undefined ? defaultNode() : knownRuntime(this.opts.node);
    const entry = this.opts.entry ?? defaultEntry();
    const execArgv = this.opts.execArgv ?? [];
    return { node: runtime.node, args: [...this.sandboxFlags(runtime, entry, execArgv, cb), ...execArgv, entry, ...(cb?.helperArgs ?? [])] };
  }

  /** Node's permission model: the helper may read only its own app directory (and the token file), write nothing, start nothing. */
  private sandboxFlags(runtime: NodeRuntime, entry: string, execArgv: string[], cb?: ConnectBack): string[] {
    // Only for a Node whose flags we know (the one running us, or the one shipped
    // with the app), and only for the bundle: from sources, tsx may spawn esbuild.
    if (this.opts.sandbox === false || execArgv.includes('--import')) return [];
    const flags = runtime.flags;
    const perm = flags?.has('--permission') ? '--permission' : flags?.has('--experimental-permission') ? '--experimental-permission' : undefined;
    // The helper and raw-socket are read from here: app.asar.unpacked when packaged.
    const root = appRoot(entry);
    if (!flags || !perm || !flags.has('--allow-addons') || !root) {
      if (runtime.shipped) {
        // The shipped Node is the one pkexec runs as root: never run it unsandboxed.
        const why = !root ? `no node_modules/raw-socket was found above ${entry} (it must be unpacked from app.asar)` : `${runtime.node} does not support --permission and --allow-addons`;
        throw new Error(`the raw-socket helper cannot be sandboxed: ${why}`);
      }
      return [];
    }
    const out = [perm, '--allow-addons', `--allow-fs-read=${root}${sep}*`];
    if (cb) {
      // One more file, by its own flag (Node 20 takes no comma lists).
      out.push(`--allow-fs-read=${cb.tokenFile}`);
      if (flags.has('--allow-net')) out.push('--allow-net'); // Nodes whose permission model covers sockets: it must reach the app's socket
    }
    if (flags.has('--disable-warning')) out.push('--disable-warning=ExperimentalWarning', '--disable-warning=SecurityWarning');
    return out;
  }

  private spawn(mode: Mode, via?: { command: string; args: string[] }, launcher?: HelperLauncher): HelperChannel | undefined {
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    if (!via) {
      try {
        const { node, args } = this.command();
        via = { command: node, args };
      } catch (e) {
        this.setStatus('failed', (e as Error).message);
        return undefined;
      }
    }
    this.mode = mode;
    let child: HelperChannel;
    try {
      child = (launcher ?? this.opts.launch ?? spawnLauncher)(via.command, via.args);
    } catch (e) {
      this.setStatus('failed', `the raw-socket helper could not be started: ${(e as Error).message}`);
      return undefined;
    }
    this.child = child;
    this.generation++;
    this.helperPid = undefined;
    this.restarts.started();
    const reader = new FrameReader(MAX_FRAME);
    child.onData((chunk) => {
      if (child !== this.child) return;
      for (const c of reader.push(chunk)) {
        if ('oversize' in c) this.emit('warning', new Error(`the raw helper sent a frame of ${c.oversize} bytes (over ${MAX_FRAME}); skipped`));
        else this.onFrame(c.frame);
      }
    });
    child.onExit((code, signal, err) => this.onExit(child, code, signal, err));
    child.onWarning?.((message) => this.emit('warning', new Error(message)));
    this.setStatus('starting', mode === 'elevated' ? 'waiting for the authentication prompt to be answered' : 'starting the raw-socket helper');
    this.holdOpen();
    return child;
  }

  private setStatus(s: RawStatus, reason: string): void {
    if (s === this.state && reason === this.why) return;
    this.state = s;
    this.why = reason;
    this.emit('status', s, reason);
  }

  /** Keep the app alive only while calls are in flight or sockets are open. */
  private holdOpen(): void {
    this.child?.setRef(this.calls.busy);
  }

  private onFrame(frame: Uint8Array): void {
    let m: unknown;
    try {
      m = decodePayload(frame, MAX_JSON);
    } catch (e) {
      return void this.emit('warning', new Error(`the raw helper sent a malformed frame: ${(e as Error).message}`));
    }
    const got = this.calls.receive(m);
    if ('warning' in got) return void this.emit('warning', got.warning);
    if ('event' in got) return this.onEvent(got.event);
    const { reply: r, call: p } = got;
    if (p.op === 'open') {
      if (!r.ok && (r.error.code === 'EPERM' || r.error.code === 'EACCES')) this.onCapDenied(r.error);
      else if (r.ok) {
        this.capDenied = undefined;
        if (this.state === 'unprivileged' && this.restarts.isReady) this.setStatus('ready', this.readyReason());
      }
    }
    this.holdOpen();
  }

  /** The helper runs but the kernel refuses it raw sockets (capability dropped). */
  private onCapDenied(e: CallFailure): void {
    this.capDenied = `The raw-socket helper runs without CAP_NET_RAW: the kernel refused it a raw socket (${e.code}). ICMP (ping, traceroute) is off; TCP, UDP and Unix sockets work as usual.`;
    this.setStatus('unprivileged', this.capDenied);
  }

  private readyReason(): string {
    return `the raw-socket helper is running (pid ${this.pid}${this.mode === 'elevated' ? ', elevated' : ''})`;
  }

  private onEvent(ev: HelperEvent): void {
    switch (ev.event) {
      case 'ready':
        this.restarts.ready();
        this.helperPid = ev.pid;
        this.offsetUs = Number(BigInt(ev.originNs) - engineOriginNs) / 1000;
        if (this.capDenied) this.setStatus('unprivileged', this.capDenied);
        else this.setStatus('ready', this.readyReason());
        return void this.emit('ready', { pid: ev.pid, sandboxed: ev.sandboxed });
      case 'packet':
        return void this.emit('packet', { handle: this.outward(ev.handle), bytes: ev.bytes, from: ev.from, tUs: ev.tUs + this.offsetUs, ipHeader: ev.ipHeader });
      case 'dropped':
        return void this.emit('dropped', { handle: this.outward(ev.handle), count: ev.count });
      case 'flood-sent':
        return void this.emit('flood-sent', { handle: this.outward(ev.handle), first: ev.first, tUs: this.onEngineClock(floats(ev.tUs), 0, 1), ...(ev.error && { error: ev.error }) });
      case 'flood-replies':
        return void this.emit('flood-replies', { handle: this.outward(ev.handle), replies: this.onEngineClock(floats(ev.replies), 1, 3) });
      case 'socket-error': {
        const handle = this.outward(ev.handle);
        if (ev.closed) this.calls.forget(handle);
        return void this.emit('socket-error', { handle, error: new RawHelperError(ev.error), closed: ev.closed });
      }
    }
  }

  /** Shifts every `width`-th value from `at` from the helper's clock to the engine's. */
  private onEngineClock(a: Float64Array, at: number, width: number): Float64Array {
    for (let i = at; i < a.length; i += width) a[i] = a[i]! + this.offsetUs;
    return a;
  }

  private onExit(child: HelperChannel, exitCode: number | null, signal: NodeJS.Signals | null, spawnError?: Error): void {
    if (child !== this.child) return;
    this.child = undefined;
    const stopped = this.stopping === child;
    this.stopping = undefined;
    const last = lastLine(child.stderrTail());
    // Neither code nor signal: a connect-back helper's connection closed (its exit code is not ours to see).
    const what = spawnError ? `could not start: ${spawnError.message}` : signal ?? (exitCode === null ? 'its connection closed' : `exit code ${exitCode}`);
    const spawnCode = (spawnError as NodeJS.ErrnoException | undefined)?.code;
    const message = stopped
      ? 'the raw-socket helper was stopped; its raw sockets were closed'
      : spawnError ? `the raw-socket helper could not be started (${spawnError.message}${spawnCode === 'EMFILE' ? ': this process has no free file descriptor, its open-files limit is reached' : ''})`
        : `the raw-socket helper died (${what}${last ? `: ${last}` : ''}); its raw sockets were lost`;
    this.ends.set(this.generation, stopped ? 'it was stopped' : spawnError ? 'it could not be started' : `it died: ${what}`);
    if (this.ends.size > 16) this.ends.delete(this.ends.keys().next().value!);
    if (stopped) {
      this.calls.lost(new RawHelperDiedError(message, exitCode, signal));
      return this.setStatus('stopped', 'the raw-socket helper was stopped');
    }
    if (this.mode === 'elevated' && !this.restarts.isReady) {
      // It never ran: pkexec said no (or failed); calls queued meanwhile learn why.
      this.onElevationEnded(exitCode, what, last, child.stderrTail());
      return void this.calls.lost(new RawHelperUnavailableError(this.state, this.why));
    }
    const handles = this.calls.lost(new RawHelperDiedError(message, exitCode, signal, spawnCode));
    this.emit('died', { exitCode, signal, handles, message });
    if (this.mode === 'elevated') return this.setStatus('unprivileged', `${message}. Elevate again to use ICMP.`);
    const delay = this.restarts.afterDeath();
    if (delay === null) {
      return this.setStatus('failed', `the raw-socket helper could not be started (${this.restarts.attempts} attempts; last: ${what}${last ? `: ${last}` : ''})`);
    }
    this.setStatus('starting', `restarting the raw-socket helper (${message})`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.child && this.state === 'starting') this.spawn('direct');
    }, delay);
    this.restartTimer.unref();
  }

  /** Forgets a helper that is being given up on (no exit report wanted), then makes sure it goes. */
  private abandon(child: HelperChannel, status: RawStatus, reason: string): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.setStatus(status, reason);
    this.calls.lost(new RawHelperUnavailableError(status, reason));
    child.end();
    child.kill('SIGTERM');
  }

  /** The tool ended before the helper was ready: declined (each tool says so its own way, see declinedBy) or failed. */
  private onElevationEnded(exitCode: number | null, what: string, last: string, stderr: string): void {
    const declined = declinedBy(this.elevationTool, exitCode, stderr);
    if (declined) return this.setStatus('declined', `${declined}, so ICMP (ping, traceroute) stays off. TCP, UDP and Unix sockets work as usual.`);
    this.setStatus('failed', `the elevated raw-socket helper did not start (${what}${last ? `: ${last}` : ''})`);
  }
}

function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return (lines[lines.length - 1] ?? '').slice(0, 300);
}

/** A Node binary that can run the helper, and the command-line flags it accepts when known. */
export interface NodeRuntime {
  node: string;
  /** Flags the binary accepts (for the permission model); undefined: unknown, so no sandbox flags. */
  flags: ReadonlySet<string> | undefined;
  /** The Node shipped with the desktop app (resources/node): it must run the helper sandboxed. */
  shipped: boolean;
}

/** Where the desktop app's Node lives: resources/node/node (node.exe on Windows), put there by electron-builder. */
export function shippedNodePaths(resourcesPath: string, platform: NodeJS.Platform = process.platform): { node: string; manifest: string } {
  const dir = join(resourcesPath, 'node');
  return { node: join(dir, platform === 'win32' ? 'node.exe' : 'node'), manifest: join(dir, 'node-runtime.json') };
}

/**
 * The Node that runs the helper when none is given. Plain Node: the one running
 * us. Electron (the runAsNode fuse is off, so Electron cannot act as Node): the
 * Node binary shipped with the app by build/stage-node.mjs and electron-builder's
 * extraResources, with the manifest that lists its flags. Throws a sentence that
 * says what is missing and where it was looked for.
 */
export function defaultNode(): NodeRuntime {
  if (!process.versions.electron) return { node: process.execPath, flags: process.allowedNodeEnvironmentFlags, shipped: false };
  const resources = (process as { resourcesPath?: string }).resourcesPath;
  if (!resources) {
    throw new Error('the raw-socket helper needs the Node binary shipped with Sockbench, but Electron did not say where the app\'s resources are (process.resourcesPath is not set); Electron itself cannot run the helper with the runAsNode fuse off');
  }
  const { node, manifest } = shippedNodePaths(resources);
  if (!existsSync(node)) {
    throw new Error(`the raw-socket helper needs the Node binary shipped with Sockbench, and it is missing: looked for ${node} (Electron itself cannot run the helper with the runAsNode fuse off). Reinstall Sockbench to use ICMP (ping, traceroute); TCP, UDP and Unix sockets work as usual.`);
  }
  let flags: string[];
  try {
    const m = JSON.parse(readFileSync(manifest, 'utf8')) as { flags?: unknown };
    if (!Array.isArray(m.flags) || !m.flags.every((f) => typeof f === 'string')) throw new Error('it has no "flags" list');
    flags = m.flags as string[];
  } catch (e) {
    const what = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'it is missing' : `it is unreadable: ${(e as Error).message}`;
    throw new Error(`the raw-socket helper's Node (${node}) comes with a manifest of its flags, and ${what}: looked for ${manifest}. Without it the helper cannot be sandboxed, so it is not started. Reinstall Sockbench to use ICMP (ping, traceroute).`, { cause: e });
  }
  return { node, flags: new Set(flags), shipped: true };
}

/** A caller's `node`: its flags are known only when it is the default Node. */
function knownRuntime(node: string): NodeRuntime {
  let def: NodeRuntime | undefined;
  try {
    def = defaultNode();
  } catch {
    def = undefined;
  }
  return def && def.node === node ? def : { node, flags: undefined, shipped: false };
}


/**
 * dist/raw-helper.cjs next to the bundle that contains this code. When that
 * bundle is inside app.asar (the packaged app), the helper is run by a plain
 * Node, which cannot read the archive: it must be the unpacked copy
 * (electron-builder.yml asarUnpack).
 */
export function defaultEntry(bundleDir: string | undefined = typeof __dirname === 'string' ? __dirname : undefined): string {
  const entry = bundleDir && join(bundleDir, 'raw-helper.cjs');
  if (!entry) {
    throw new Error('the raw-socket helper bundle (dist/raw-helper.cjs) was not found: run `npm run build`, or pass { entry, execArgv } to RawHelper');
  }
  const unpacked = unpackedPath(entry);
  if (unpacked !== entry) {
    if (existsSync(unpacked)) return unpacked;
    throw new Error(`the raw-socket helper must be unpacked from app.asar to run under Node, and it is missing: looked for ${unpacked}. Reinstall Sockbench to use ICMP (ping, traceroute).`);
  }
  if (!existsSync(entry)) {
    throw new Error('the raw-socket helper bundle (dist/raw-helper.cjs) was not found: run `npm run build`, or pass { entry, execArgv } to RawHelper');
  }
  return entry;
}

/** The nearest directory above the helper that holds node_modules/raw-socket. */
function appRoot(entry: string): string | undefined {
  let dir = dirname(entry);
  for (let i = 0; i < 12; i++) {
    if (existsSync(join(dir, 'node_modules', 'raw-socket'))) return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
  return undefined;
}
