// Running a scenario: its steps in order, through the same validated
// contract calls the page makes (so every session it opens is in the
// session list and traced like any other), reading what arrives from the
// sessions' events. An expect reads until its matcher holds or its timeout
// passes; what the match consumed is gone, the rest stays for the next one.
// A failed step stops the scenario and says what was expected and what
// arrived (text and hex, where they first differ) and where in the file.
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { AnyEvent, SessionInfo, SockAddr } from '../../shared/contract/index.js';
import { CallError } from '../../shared/contract/index.js';
import { splitEndpoint, stepKind, type AnyStep, type ScenarioProtocol, type ScenarioResult, type StepOf, type StepResult } from '../../shared/contract/automation.js';
import { savedPacketBytes, type SavedPacket } from '../../shared/contract/workspace.js';
import type { TlsClientOptions } from '../../shared/contract/tls.js';
import { parseEscapedText, parseHex, withAppendix, type TextEncodingName } from '../../shared/codec/index.js';
import { formatHostPort } from '../../shared/net/address.js';
import { TokenBucket } from '../core/token-bucket.js';
import { EngineError } from '../core/errors.js';
import { replyAddress, resolveSocketTarget, sendSaved, SOCK_TYPES, type Call } from '../workspace/send.js';
import { ByteQueue } from './byte-queue.js';
import type { LoadedScenario, Path } from './scenario-file.js';
import { decode, decodeWithOffsets, encode, oneLine, shown } from './text.js';

export interface RunDeps {
  call: Call;
  onEvent(fn: (event: AnyEvent) => void): () => void;
  /** A saved packet of the workspace, by name (send: { packet }). */
  packet(name: string): SavedPacket | undefined;
}

export interface RunOptions {
  /** --var k=v: over the file's vars. */
  vars?: Record<string, string>;
  /** Each step as it starts and ends (thinned inside long repeats; failures always come). */
  onStep?: (step: StepResult) => void;
}

const DEFAULT_TIMEOUT = 5000;
const CONNECT_TIMEOUT = 10_000;
/** Step events per second inside repeats (the result holds every step's last run anyway). */
const STEP_EVENTS_PER_S = 50;

/** A step that failed: the one line, and what was expected and received. */
class StepFailed extends Error {
  constructor(
    message: string,
    readonly detail: { expected?: Uint8Array | string; received?: Uint8Array; diffAt?: number; expectedAt?: number } = {},
  ) {
    super(message);
  }
}

class Stopped extends Error {}

interface Conn {
  name: string;
  id: number;
  protocol: ScenarioProtocol;
  role: 'stream' | 'datagram' | 'listener';
  unread: ByteQueue;
  datagrams: { bytes: Uint8Array; from?: SockAddr }[];
  /** Listener: connections accepted and not yet taken by an accept step. */
  accepted: number[];
  state: SessionInfo['state'];
  weShutWrite: boolean;
  weClosed: boolean;
  /** Accepted by a listener of ours: STARTTLS upgrades it as the server. */
  wasAccepted?: boolean;
  error?: string;
}

const datagramProtocol = (p: ScenarioProtocol): boolean => p === 'udp' || p === 'unix-dgram';
const ms = (t0: number): number => Math.round((performance.now() - t0) * 1000) / 1000;
/** A failed call's errno and sentence ("connect: ECONNREFUSED (111): …" without the call's name, which the step says). */
const errnoOf = (e: unknown): { errno?: string; message: string } => {
  // A call through the bridge throws CallError; one straight to the workbench, EngineError.
  const errno = e instanceof CallError ? e.error.errno : e instanceof EngineError ? e.errno : undefined;
  if (!(e instanceof CallError || e instanceof EngineError)) return { message: e instanceof Error ? e.message : String(e) };
  return { ...(errno ? { errno: errno.name } : {}), message: e.message.replace(/^(connect|send|sendall|sendto|bind|listen|socket): /, '') };
};

export class ScenarioRun {
  private readonly vars = new Map<string, string>();
  private readonly conns = new Map<string, Conn>();
  private readonly byId = new Map<number, Conn>();
  private current: Conn | undefined;
  private unnamed = 0;
  /** The last connect or send: undefined before any, null when it succeeded, else how it failed. */
  private firstFailure: StepResult | undefined;
  private lastError: { errno?: string; message: string; call: string } | null | undefined;
  private readonly results = new Map<string, StepResult>();
  private readonly sessions: number[] = [];
  private wakers: (() => void)[] = [];
  private stopped = false;
  private readonly bucket = new TokenBucket(STEP_EVENTS_PER_S);
  private off: (() => void) | undefined;
  private readonly encoding: TextEncodingName;
  private readonly defaultTimeout: number;

  constructor(
    private readonly deps: RunDeps,
    private readonly loaded: LoadedScenario,
    private readonly opts: RunOptions = {},
  ) {
    const s = loaded.scenario;
    for (const [k, x] of Object.entries(s.vars ?? {})) this.vars.set(k, String(x));
    for (const [k, x] of Object.entries(opts.vars ?? {})) this.vars.set(k, x);
    this.vars.set('elapsed', '0');
    this.encoding = s.encoding ?? 'utf-8';
    this.defaultTimeout = s.timeout ?? DEFAULT_TIMEOUT;
    this.outline(s.steps, ['steps'], '');
  }

  /** Every step, pending, in file order (repeat bodies as 4.1, 4.2 …). */
  private outline(steps: unknown[], base: Path, prefix: string): void {
    steps.forEach((raw, i) => {
      const index = `${prefix}${i + 1}`;
      const s = stepKind(raw);
      const pos = this.loaded.at([...base, i]);
      this.results.set(index, { index, kind: s.kind, title: title(s), status: 'pending', ...pos });
      if (s.kind === 'repeat') this.outline(s.step.repeat.steps, [...base, i, 'repeat', 'steps'], `${index}.`);
    });
  }

  /** The steps as they stand (pending before the run). */
  steps(): StepResult[] {
    return [...this.results.values()];
  }

  stop(): void {
    this.stopped = true;
    this.wake();
  }

  get wasStopped(): boolean {
    return this.stopped;
  }

  async run(): Promise<ScenarioResult> {
    const t0 = performance.now();
    this.off = this.deps.onEvent((e) => this.onEvent(e));
    let failed: StepResult | undefined;
    try {
      await this.runSteps(this.loaded.scenario.steps, '');
    } catch (e) {
      failed = this.firstFailure;
      if (!failed && !(e instanceof Stopped)) throw e;
    } finally {
      this.off();
      await this.closeAll();
    }
    for (const r of this.results.values()) if (r.status === 'pending' || r.status === 'running') r.status = 'skipped';
    const result: ScenarioResult = {
      name: this.loaded.scenario.name,
      file: this.loaded.file,
      status: failed || this.stopped ? 'failed' : 'passed',
      durationMs: ms(t0),
      steps: [...this.results.values()],
      sessions: this.sessions,
    };
    if (failed) {
      result.failure = { index: failed.index, ...(failed.line !== undefined ? { line: failed.line, column: failed.column } : {}), summary: this.summary(failed) };
    } else if (this.stopped) {
      result.failure = { index: '0', summary: `${this.loaded.file}: stopped before the end` };
    }
    return result;
  }

  /** file:line:column: step N (kind): message */
  private summary(r: StepResult): string {
    const where = r.line !== undefined ? `:${r.line}:${r.column}` : '';
    return `${this.loaded.file}${where}: step ${r.index} (${r.kind}): ${r.failure?.message ?? 'failed'}`;
  }

  private async runSteps(steps: unknown[], prefix: string, iteration?: number): Promise<void> {
    for (let i = 0; i < steps.length; i++) {
      if (this.stopped) throw new Stopped();
      const index = `${prefix}${i + 1}`;
      const s = stepKind(steps[i]);
      const r = this.results.get(index)!;
      const t0 = performance.now();
      Object.assign(r, { status: 'running' as const, durationMs: undefined, failure: undefined, bytes: undefined, captured: undefined, session: undefined });
      if (iteration !== undefined) r.iteration = iteration;
      this.report(r, iteration !== undefined);
      try {
        const next = steps[i + 1] === undefined ? undefined : stepKind(steps[i + 1]).kind;
        await this.exec(s, r, index, next === 'expect-error');
        r.status = 'passed';
      } catch (e) {
        if (e instanceof Stopped) {
          r.status = 'failed';
          r.failure = { message: 'stopped' };
          r.durationMs = ms(t0);
          this.report(r, false);
          throw e;
        }
        const f = e instanceof StepFailed ? e : new StepFailed(errnoOf(e).message);
        // The innermost step failed first (a repeat fails with the step inside it).
        this.firstFailure ??= r;
        r.status = 'failed';
        r.failure = { message: f.message };
        const { expected, received, diffAt, expectedAt = diffAt } = f.detail;
        if (expected !== undefined) r.failure.expected = typeof expected === 'string' ? { text: expected, hex: '' } : shown(expected, expectedAt);
        if (received !== undefined) r.failure.received = shown(received, diffAt);
        if (diffAt !== undefined) r.failure.diffAt = diffAt;
        r.durationMs = ms(t0);
        this.vars.set('elapsed', String(r.durationMs));
        this.report(r, false);
        throw f;
      }
      r.durationMs = ms(t0);
      this.vars.set('elapsed', String(r.durationMs));
      this.report(r, iteration !== undefined);
    }
  }

  private report(r: StepResult, thin: boolean): void {
    if (!this.opts.onStep || (thin && !this.bucket.take())) return;
    this.opts.onStep({ ...r, ...(r.captured ? { captured: { ...r.captured } } : {}) });
  }

  // ---- events ----

  private onEvent(e: AnyEvent): void {
    if (e.name === 'session.created' && e.payload.parent !== undefined) {
      const listener = this.byId.get(e.payload.parent);
      if (!listener) return;
      // Registered now, so nothing it receives before the accept step is missed.
      listener.accepted.push(e.payload.id);
      this.track(`#${e.payload.id}`, e.payload.id, listener.protocol, 'stream', e.payload.state).wasAccepted = true;
    } else if (e.name === 'session.data' && e.payload.dir === 'in') {
      const c = this.byId.get(e.payload.id);
      if (!c) return;
      if (c.role === 'stream') c.unread.push(e.payload.bytes);
      else c.datagrams.push({ bytes: e.payload.bytes, ...(e.payload.addr ? { from: e.payload.addr } : {}) });
    } else if (e.name === 'session.updated') {
      const c = this.byId.get(e.payload.id);
      if (!c) return;
      c.state = e.payload.state;
      if (e.payload.state === 'error') c.error = e.payload.lastError?.message ?? 'the session failed';
    } else if (e.name === 'session.removed') {
      const c = this.byId.get(e.payload.id);
      if (c) c.state = 'closed';
    } else return;
    this.wake();
  }

  private wake(): void {
    const w = this.wakers;
    this.wakers = [];
    for (const fn of w) fn();
  }

  /** Resolves at the next event of ours, at `deadline` (performance.now()), or when stopped. */
  private waitChange(deadline: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, deadline - performance.now()));
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakers.push(done);
    });
  }

  private async sleep(msToWait: number): Promise<void> {
    await this.waitUntil(() => false, performance.now() + msToWait);
  }

  /** Waits until `ready` holds (true) or the deadline passes (false). */
  private async waitUntil(ready: () => boolean, deadline: number): Promise<boolean> {
    for (;;) {
      if (this.stopped) throw new Stopped();
      if (ready()) return true;
      if (performance.now() >= deadline) return false;
      await this.waitChange(deadline);
    }
  }

  // ---- connections ----

  private track(name: string, id: number, protocol: ScenarioProtocol, role: Conn['role'], state: SessionInfo['state']): Conn {
    const c: Conn = { name, id, protocol, role, unread: new ByteQueue(), datagrams: [], accepted: [], state, weShutWrite: false, weClosed: false };
    this.byId.set(id, c);
    this.sessions.push(id);
    return c;
  }

  private name(c: Conn, as: string | undefined): void {
    this.conns.delete(c.name);
    c.name = as ?? `connection ${++this.unnamed}`;
    this.conns.set(c.name, c);
    this.current = c;
  }

  /** The connection a step works on: `on`, else the last one opened or used. */
  private conn(on: string | undefined, what: string): Conn {
    const c = on !== undefined ? this.conns.get(on) : this.current;
    if (!c) throw new StepFailed(on !== undefined ? `no connection is named "${on}"` : `${what} needs a connection: connect, listen or accept first`);
    if (on !== undefined) this.current = c;
    return c;
  }

  private async closeAll(): Promise<void> {
    for (const c of this.byId.values()) {
      if (c.state === 'closed' || c.state === 'error' || c.weClosed) continue;
      try {
        await this.deps.call('socket.close', { id: c.id });
      } catch {
        // Gone already.
      }
    }
  }

  // ---- variables and data ----

  /** Text with ${name} filled in; $${ stays a literal ${. */
  private sub(text: string): string {
    return text.replace(/\$?\$\{([^}]*)\}/g, (m, name: string) => {
      if (m.startsWith('$$')) return m.slice(1);
      const value = this.vars.get(name);
      if (value === undefined) throw new StepFailed(`variable \${${name}} is not set`);
      return value;
    });
  }

  /** Text with escapes in an encoding → bytes, or the step fails naming the problem. */
  private textBytes(text: string, encoding: TextEncodingName, what: string): Uint8Array {
    const r = parseEscapedText(text, encoding);
    if (!r.ok) throw new StepFailed(`${what}: ${r.error.message}`);
    return r.bytes;
  }

  private hexBytes(text: string, what: string): Uint8Array {
    const r = parseHex(text);
    if (!r.ok) throw new StepFailed(`${what}: ${r.error.message}`);
    return r.bytes;
  }

  /** send: text with escapes, hex:…, or @file (next to the scenario). */
  private sendBytes(text: string, encoding: TextEncodingName): Uint8Array {
    const t = this.sub(text);
    if (t.startsWith('hex:')) return this.hexBytes(t.slice(4), 'send');
    if (t.startsWith('@')) {
      const path = isAbsolute(t.slice(1)) ? t.slice(1) : join(this.loaded.dir, t.slice(1));
      try {
        return new Uint8Array(readFileSync(path));
      } catch (e) {
        throw new StepFailed(`send: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      }
    }
    return this.textBytes(t, encoding, 'send');
  }

  // ---- steps ----

  private async exec(s: AnyStep, r: StepResult, index: string, errorExpected: boolean): Promise<void> {
    switch (s.kind) {
      case 'connect':
        return this.connect(s.step, r, errorExpected);
      case 'listen':
        return this.listen(s.step, r);
      case 'accept':
        return this.accept(s.step, r);
      case 'send':
        return this.send(s.step, r, errorExpected);
      case 'expect':
        return this.expect(s.step, r);
      case 'expect-close':
        return this.expectClose(s.step, r);
      case 'expect-error':
        return this.expectError(s.step);
      case 'expect-silence':
        return this.expectSilence(s.step, r);
      case 'assert':
        return this.assert(s.step);
      case 'delay':
        return this.sleep(s.step.delay);
      case 'repeat':
        for (let n = 1; n <= s.step.repeat.times; n++) await this.runSteps(s.step.repeat.steps, `${index}.`, n);
        return;
      case 'set':
        for (const [k, x] of Object.entries(s.step.set)) this.vars.set(k, this.sub(String(x)));
        r.captured = Object.fromEntries(Object.keys(s.step.set).map((k) => [k, this.vars.get(k)!]));
        return;
      case 'shutdown': {
        const c = this.conn(s.step.on, 'shutdown');
        const how = ({ rd: 'SHUT_RD', wr: 'SHUT_WR', rdwr: 'SHUT_RDWR' } as const)[s.step.shutdown];
        r.session = c.id;
        if (how !== 'SHUT_RD') c.weShutWrite = true;
        await this.deps.call('socket.shutdown', { id: c.id, how });
        return;
      }
      case 'close': {
        const c = this.conn(typeof s.step.close === 'string' ? s.step.close : undefined, 'close');
        r.session = c.id;
        c.weClosed = true;
        await this.deps.call('socket.close', { id: c.id });
        return;
      }
      case 'starttls': {
        // A connection we made upgrades as the client; one we accepted, as the server (the workspace's certificate).
        const c = this.conn(s.step.on, 'starttls');
        r.session = c.id;
        if (c.role !== 'stream') throw new StepFailed(`starttls upgrades a connection; "${c.name}" is a ${c.role}`);
        try {
          const after = c.wasAccepted
            ? await this.deps.call('socket.starttls', { id: c.id, role: 'server', tls: {} })
            : await this.deps.call('socket.starttls', { id: c.id, role: 'client', tls: this.clientTls(s.step.starttls ?? undefined) });
          c.state = after.state;
        } catch (e) {
          throw new StepFailed(`starttls failed: ${errnoOf(e).message}`);
        }
        return;
      }
    }
  }

  /** A scenario's tls: { insecure, servername, alpn } as the engine's client options (variables filled in). */
  private clientTls(t: { insecure?: boolean | undefined; servername?: string | undefined; alpn?: string[] | undefined } = {}): TlsClientOptions {
    return {
      ...(t.insecure ? { verify: false } : {}),
      ...(t.servername !== undefined ? { servername: this.sub(t.servername) } : {}),
      ...(t.alpn ? { alpn: t.alpn.map((a) => this.sub(a)) } : {}),
    };
  }

  private protocolOf(endpoint: string): { protocol: ScenarioProtocol; address: string } {
    const e = splitEndpoint(this.sub(endpoint));
    if (!e) throw new StepFailed(`expected PROTOCOL ADDRESS, got "${endpoint}"`);
    return { protocol: e.protocol as ScenarioProtocol, address: e.address };
  }

  private async connect(step: StepOf<'connect'>, r: StepResult, errorExpected: boolean): Promise<void> {
    const { protocol, address } = this.protocolOf(step.connect);
    const target = await resolveSocketTarget(address, protocol).catch((e: unknown) => {
      throw new StepFailed(`connect: ${errnoOf(e).message}`);
    });
    if (target.family !== 'AF_UNIX' && target.port === 0) throw new StepFailed(`connect needs a port between 1 and 65535 (${address})`);
    const s = await this.deps.call('socket.create', { family: target.family, type: SOCK_TYPES[protocol]! });
    const c = this.track('', s.id, protocol, datagramProtocol(protocol) ? 'datagram' : 'stream', s.state);
    this.name(c, step.as);
    r.session = s.id;
    if (step.bind !== undefined) {
      const b = await resolveSocketTarget(this.sub(step.bind), protocol).catch((e: unknown) => {
        throw new StepFailed(`bind: ${errnoOf(e).message}`);
      });
      await this.deps.call('socket.bind', { id: s.id, address: b.address, port: b.port });
    } else if (protocol === 'unix-dgram') {
      // An unbound AF_UNIX datagram socket is unnamed: nobody could answer it.
      await this.deps.call('socket.bind', { id: s.id, address: replyAddress(), port: 0 });
    }
    try {
      // tls: a host name in the address is the default SNI, as in `sockbench connect tls`.
      const tls = protocol === 'tls' ? this.clientTls({ ...(target.host ? { servername: target.host } : {}), ...step.tls }) : undefined;
      const after = await this.deps.call('socket.connect', { id: s.id, address: target.address, port: target.port, timeoutMs: step.timeout ?? CONNECT_TIMEOUT, ...(tls ? { tls } : {}) });
      c.state = after.state;
      this.lastError = null;
    } catch (e) {
      this.lastError = { ...errnoOf(e), call: 'connect' };
      if (!errorExpected) throw new StepFailed(`connect to ${formatHostPort(target.address, target.port, target.family)} failed: ${this.lastError.message}`);
    }
  }

  private async listen(step: StepOf<'listen'>, r: StepResult): Promise<void> {
    const { protocol, address } = this.protocolOf(step.listen);
    const target = await resolveSocketTarget(address, protocol).catch((e: unknown) => {
      throw new StepFailed(`listen: ${errnoOf(e).message}`);
    });
    const s = await this.deps.call('socket.create', { family: target.family, type: SOCK_TYPES[protocol]! });
    const datagram = datagramProtocol(protocol);
    const c = this.track('', s.id, protocol, datagram ? 'datagram' : 'listener', s.state);
    this.name(c, step.as);
    r.session = s.id;
    try {
      const bound = await this.deps.call('socket.bind', { id: s.id, address: target.address, port: target.port });
      if (!datagram) await this.deps.call('socket.listen', { id: s.id, backlog: step.backlog ?? 128, ...(protocol === 'tls' ? { tls: {} } : {}) });
      if (bound.local) r.captured = { [`${c.name}.port`]: String(bound.local.port) };
      if (bound.local) this.vars.set(`${c.name}.port`, String(bound.local.port));
    } catch (e) {
      throw new StepFailed(`listen on ${address} failed: ${errnoOf(e).message}`);
    }
  }

  private async accept(step: StepOf<'accept'>, r: StepResult): Promise<void> {
    const l = this.conn(step.on, 'accept');
    if (l.role !== 'listener') throw new StepFailed(`accept needs a listener; "${l.name}" is a ${l.role === 'datagram' ? 'datagram socket (it has no connections: expect reads its datagrams)' : 'connection'}`);
    const timeout = step.accept?.timeout ?? this.defaultTimeout;
    if (!(await this.waitUntil(() => l.accepted.length > 0, performance.now() + timeout))) {
      throw new StepFailed(`no connection arrived within ${timeout} ms`);
    }
    const c = this.byId.get(l.accepted.shift()!)!;
    this.name(c, step.as);
    r.session = c.id;
    // A TLS connection is usable once its handshake is done (connecting until then).
    if (c.protocol === 'tls' && !(await this.waitUntil(() => c.state !== 'connecting', performance.now() + timeout))) {
      throw new StepFailed(`the TLS handshake of the accepted connection did not finish within ${timeout} ms`);
    }
    if (c.state === 'error') throw new StepFailed(`the accepted connection's TLS handshake failed: ${c.error ?? 'error'}`);
  }

  private async send(step: StepOf<'send'>, r: StepResult, errorExpected: boolean): Promise<void> {
    const encoding = step.encoding ?? this.encoding;
    if (typeof step.send === 'object') {
      const p = this.deps.packet(step.send.packet);
      if (!p) throw new StepFailed(`no saved packet is named "${step.send.packet}"`);
      const into = this.current ?? (step.on !== undefined ? this.conn(step.on, 'send') : undefined);
      const data = savedPacketBytes(p);
      if (data.ok) r.bytes = data.bytes;
      try {
        const sent = await sendSaved(this.deps.call, p, into?.id);
        if (!into && sent.session) {
          const c = this.track('', sent.session.id, p.protocol as ScenarioProtocol, datagramProtocol(p.protocol as ScenarioProtocol) ? 'datagram' : 'stream', sent.session.state);
          this.name(c, undefined);
        }
        r.session = sent.session?.id ?? into?.id;
        this.lastError = null;
      } catch (e) {
        this.lastError = { ...errnoOf(e), call: 'send' };
        if (!errorExpected) throw new StepFailed(`sending "${p.name}" failed: ${this.lastError.message}`);
      }
      return;
    }
    const c = this.conn(step.on, 'send');
    let bytes = this.sendBytes(step.send, encoding);
    if (step.append !== undefined) bytes = withAppendix(bytes, step.append);
    r.bytes = bytes;
    r.session = c.id;
    try {
      if (c.role === 'listener') throw new StepFailed(`"${c.name}" is a listener: accept a connection first`);
      if (c.role === 'stream') await this.deps.call('socket.sendall', { id: c.id, data: bytes });
      else if (step.to !== undefined) {
        const to = await resolveSocketTarget(this.sub(step.to), c.protocol);
        await this.deps.call('socket.sendto', { id: c.id, data: bytes, address: to.address, port: to.port });
      } else if (c.state === 'connected') await this.deps.call('socket.send', { id: c.id, data: bytes });
      else throw new StepFailed(`"${c.name}" is not connected: say where the datagram goes with to: (e.g. to: "\${from}")`);
      this.lastError = null;
    } catch (e) {
      if (e instanceof StepFailed) throw e;
      this.lastError = { ...errnoOf(e), call: 'send' };
      if (!errorExpected) throw new StepFailed(`send failed: ${this.lastError.message}`);
    }
  }

  private async expect(step: StepOf<'expect'>, r: StepResult): Promise<void> {
    const c = this.conn(step.on, 'expect');
    r.session = c.id;
    if (c.role === 'listener') throw new StepFailed(`"${c.name}" is a listener: accept a connection first`);
    const m = step.expect;
    const encoding = m.encoding ?? this.encoding;
    const timeout = m.timeout ?? this.defaultTimeout;
    const matcher = this.matcher(m, encoding);
    const deadline = performance.now() + timeout;
    if (c.role === 'datagram') {
      if (!(await this.waitUntil(() => c.datagrams.length > 0 || this.ended(c), deadline))) {
        throw new StepFailed(`no datagram arrived within ${timeout} ms (waiting for ${matcher.what})`, { expected: matcher.shownExpected });
      }
      if (c.datagrams.length === 0) throw new StepFailed(`${this.endedWhy(c)} before a datagram arrived (waiting for ${matcher.what})`, { expected: matcher.shownExpected });
      const d = c.datagrams.shift()!;
      if (d.from) this.vars.set('from', formatHostPort(d.from.address, d.from.port, d.from.family));
      r.bytes = d.bytes;
      const v = matcher.test(d.bytes, true);
      if (v.kind !== 'match') throw new StepFailed(`the datagram does not match: ${matcher.what}`, { expected: matcher.shownExpected, received: d.bytes, ...where(v) });
      this.capture(m.capture, v.groups, r, d.from);
      return;
    }
    let verdict: Verdict = { kind: 'more' };
    await this.waitUntil(() => {
      verdict = matcher.test(c.unread.view(), false);
      return verdict.kind !== 'more' || this.ended(c);
    }, deadline);
    const v = verdict as Verdict;
    if (v.kind === 'match') {
      r.bytes = c.unread.take(v.consumed);
      this.capture(m.capture, v.groups, r);
      return;
    }
    const received = c.unread.view().slice();
    if (v.kind === 'mismatch') throw new StepFailed(`received bytes differ from ${matcher.what}`, { expected: matcher.shownExpected, received, ...where(v) });
    const why = this.ended(c) ? `${this.endedWhy(c)} before ${matcher.what} arrived` : `timed out after ${timeout} ms waiting for ${matcher.what}`;
    throw new StepFailed(`${why}; ${received.length} bytes arrived unread`, { expected: matcher.shownExpected, received, ...where(v) });
  }

  private capture(names: string[] | undefined, groups: string[], r: StepResult, from?: SockAddr): void {
    const got: Record<string, string> = {};
    (names ?? []).forEach((name, i) => {
      got[name] = groups[i + 1] ?? '';
      this.vars.set(name, got[name]);
    });
    if (from) got.from = this.vars.get('from')!;
    if (Object.keys(got).length) r.captured = got;
  }

  /** The peer closed, reset, or we closed: no more data will come. */
  private ended(c: Conn): boolean {
    if (c.error || c.weClosed) return true;
    if (c.state === 'closed') return true;
    return c.state === 'half-closed' && !c.weShutWrite;
  }

  private endedWhy(c: Conn): string {
    if (c.error) return `the connection failed (${c.error})`;
    if (c.weClosed) return 'the connection was closed by this scenario';
    return 'the peer closed the connection';
  }

  private matcher(m: StepOf<'expect'>['expect'], encoding: TextEncodingName): Matcher {
    if (m.regex !== undefined) {
      const source = this.sub(m.regex);
      let re: RegExp;
      try {
        re = new RegExp(source, m.flags ?? '');
      } catch (e) {
        throw new StepFailed(`regex does not compile: ${(e as Error).message}`);
      }
      return {
        what: `regex /${oneLine(source)}/${m.flags ?? ''}`,
        shownExpected: `/${oneLine(source)}/${m.flags ?? ''}`,
        test: (bytes, whole): Verdict => {
          const d = whole ? { text: decode(bytes, encoding), bytesFor: (n: number) => n } : decodeWithOffsets(bytes, encoding);
          const x = re.exec(d.text);
          if (!x) return { kind: whole ? 'mismatch' : 'more' };
          return { kind: 'match', consumed: whole ? bytes.length : d.bytesFor(x.index + x[0].length), groups: Array.from({ length: 10 }, (_, k) => x[k] ?? '') };
        },
      };
    }
    if (m.length !== undefined) {
      const n = m.length;
      return {
        what: `${n} bytes`,
        shownExpected: `${n} bytes`,
        test: (bytes, whole) => (whole ? (bytes.length === n ? { kind: 'match', consumed: n, groups: [] } : { kind: 'mismatch' }) : bytes.length >= n ? { kind: 'match', consumed: n, groups: [] } : { kind: 'more' }),
      };
    }
    if (m.contains !== undefined) {
      const needle = this.textBytes(this.sub(m.contains), encoding, 'contains');
      return {
        what: `bytes containing "${oneLine(m.contains)}"`,
        shownExpected: needle,
        test: (bytes, whole) => {
          const at = indexOf(bytes, needle);
          if (at >= 0) return { kind: 'match', consumed: whole ? bytes.length : at + needle.length, groups: [] };
          const p = partial(bytes, needle);
          return { kind: whole ? 'mismatch' : 'more', diffAt: p.end, expectedAt: p.length };
        },
      };
    }
    const exact = m.hex !== undefined ? this.hexBytes(this.sub(m.hex), 'hex') : this.textBytes(this.sub(m.equals!), encoding, 'equals');
    return {
      what: m.hex !== undefined ? `hex ${m.hex}` : `"${oneLine(m.equals!)}"`,
      shownExpected: exact,
      test: (bytes, whole) => {
        const n = Math.min(bytes.length, exact.length);
        for (let i = 0; i < n; i++) if (bytes[i] !== exact[i]) return { kind: 'mismatch', diffAt: i };
        if (whole) return bytes.length === exact.length ? { kind: 'match', consumed: bytes.length, groups: [] } : { kind: 'mismatch', diffAt: n };
        return bytes.length >= exact.length ? { kind: 'match', consumed: exact.length, groups: [] } : { kind: 'more', diffAt: bytes.length };
      },
    };
  }

  private async expectClose(step: StepOf<'expect-close'>, r: StepResult): Promise<void> {
    const c = this.conn(step.on, 'expect-close');
    r.session = c.id;
    const timeout = step['expect-close']?.timeout ?? this.defaultTimeout;
    if (!(await this.waitUntil(() => this.ended(c) && !c.weClosed, performance.now() + timeout))) {
      throw new StepFailed(c.weClosed ? 'this scenario closed the connection itself' : `the peer did not close within ${timeout} ms`, { received: c.unread.view().slice() });
    }
    if (c.error) throw new StepFailed(`the connection failed instead of closing: ${c.error}`);
  }

  private expectError(step: StepOf<'expect-error'>): void {
    const want = step['expect-error'];
    const last = this.lastError;
    if (last === undefined) throw new StepFailed(`expected ${want}, but nothing was connected or sent before this step`);
    if (last === null) throw new StepFailed(`expected ${want}, but the last connect or send succeeded`, { expected: want });
    if (last.errno !== want) throw new StepFailed(`expected ${want}, but the last ${last.call} failed with ${last.errno ?? 'no errno'}: ${last.message}`, { expected: want });
    this.lastError = undefined;
  }

  private async expectSilence(step: StepOf<'expect-silence'>, r: StepResult): Promise<void> {
    const c = this.conn(step.on, 'expect-silence');
    r.session = c.id;
    const quiet = (): boolean => c.unread.length === 0 && c.datagrams.length === 0;
    const broken = await this.waitUntil(() => !quiet(), performance.now() + step['expect-silence'].for);
    if (broken) {
      // What arrived within the window, shown as it was when it came.
      await this.sleep(0);
      const received = c.role === 'stream' ? c.unread.view().slice() : c.datagrams[0]!.bytes;
      throw new StepFailed(`expected silence for ${step['expect-silence'].for} ms, but ${received.length} bytes arrived`, { received });
    }
  }

  private assert(step: StepOf<'assert'>): void {
    const a = step.assert;
    const op = (Object.keys(a) as (keyof typeof a)[]).find((k) => a[k] !== undefined)!;
    const [x, y] = a[op]!.map((v) => this.sub(String(v))) as [string, string];
    const num = (s: string): number => {
      const n = Number(s);
      if (s.trim() === '' || Number.isNaN(n)) throw new StepFailed(`${op}: "${s}" is not a number`);
      return n;
    };
    let ok: boolean;
    switch (op) {
      case 'equals':
        ok = x === y;
        break;
      case 'notEquals':
        ok = x !== y;
        break;
      case 'contains':
        ok = x.includes(y);
        break;
      case 'matches':
        try {
          ok = new RegExp(y).test(x);
        } catch (e) {
          throw new StepFailed(`matches: regex does not compile: ${(e as Error).message}`);
        }
        break;
      case 'lessThan':
        ok = num(x) < num(y);
        break;
      case 'greaterThan':
        ok = num(x) > num(y);
        break;
    }
    if (!ok) throw new StepFailed(`assert ${op} failed: "${x}" ${ASSERT_WORDS[op]} "${y}"`, { expected: `${op} ${JSON.stringify(y)}`, received: encode(x, 'utf-8') });
  }
}

const ASSERT_WORDS = { equals: 'is not', notEquals: 'is', contains: 'does not contain', matches: 'does not match', lessThan: 'is not less than', greaterThan: 'is not greater than' } as const;

type Verdict = { kind: 'match'; consumed: number; groups: string[] } | { kind: 'mismatch' | 'more'; diffAt?: number; expectedAt?: number };

interface Matcher {
  what: string;
  shownExpected: Uint8Array | string;
  /** whole: the bytes are one datagram (match it all); else the unread stream so far. */
  test(bytes: Uint8Array, whole: boolean): Verdict;
}

/** Where what arrived departs from what was expected, as a failure's detail. */
function where(v: Verdict): { diffAt?: number; expectedAt?: number } {
  if (v.kind === 'match' || v.diffAt === undefined) return {};
  return { diffAt: v.diffAt, ...(v.expectedAt !== undefined ? { expectedAt: v.expectedAt } : {}) };
}

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  return Buffer.from(hay.buffer, hay.byteOffset, hay.byteLength).indexOf(Buffer.from(needle.buffer, needle.byteOffset, needle.byteLength));
}

/** The longest start of `needle` found in `hay`: how long, and where in `hay` it ends (where what arrived departs from it). */
function partial(hay: Uint8Array, needle: Uint8Array): { length: number; end: number } {
  let length = 0;
  let end = 0;
  for (let i = 0; i < hay.length && length < needle.length; i++) {
    let n = 0;
    while (n < needle.length && i + n < hay.length && hay[i + n] === needle[n]) n++;
    if (n > length) {
      length = n;
      end = i + n;
    }
  }
  return { length, end };
}

/** One line saying what a step does, for the view and the reports. */
export function title(s: AnyStep): string {
  const q = (x: string): string => `"${oneLine(x.length > 60 ? `${x.slice(0, 59)}…` : x)}"`;
  const on = 'on' in s.step && s.step.on ? ` on ${s.step.on}` : '';
  switch (s.kind) {
    case 'connect':
      return `connect ${s.step.connect}${s.step.as ? ` as ${s.step.as}` : ''}`;
    case 'listen':
      return `listen ${s.step.listen}${s.step.as ? ` as ${s.step.as}` : ''}`;
    case 'accept':
      return `accept${on}${s.step.as ? ` as ${s.step.as}` : ''}`;
    case 'send':
      return `send ${typeof s.step.send === 'string' ? q(s.step.send) : `packet "${s.step.send.packet}"`}${s.step.to ? ` to ${s.step.to}` : ''}${on}`;
    case 'expect': {
      const m = s.step.expect;
      const what = m.regex !== undefined ? `regex /${oneLine(m.regex)}/` : m.contains !== undefined ? `contains ${q(m.contains)}` : m.equals !== undefined ? `equals ${q(m.equals)}` : m.hex !== undefined ? `hex ${m.hex}` : `length ${m.length}`;
      return `expect ${what}${m.capture ? ` → ${m.capture.join(', ')}` : ''}${on}`;
    }
    case 'expect-close':
      return `expect-close${on}`;
    case 'expect-error':
      return `expect-error ${s.step['expect-error']}`;
    case 'expect-silence':
      return `expect-silence for ${s.step['expect-silence'].for} ms${on}`;
    case 'assert': {
      const [op, pair] = Object.entries(s.step.assert).find(([, x]) => x !== undefined)!;
      return `assert ${op} ${(pair as unknown[]).map((x) => JSON.stringify(x)).join(', ')}`;
    }
    case 'delay':
      return `delay ${s.step.delay} ms`;
    case 'repeat':
      return `repeat ${s.step.repeat.times} times`;
    case 'set':
      return `set ${Object.keys(s.step.set).join(', ')}`;
    case 'shutdown':
      return `shutdown ${s.step.shutdown}${on}`;
    case 'close':
      return `close${typeof s.step.close === 'string' ? ` ${s.step.close}` : ''}`;
    case 'starttls':
      return `starttls${on}`;
  }
}
