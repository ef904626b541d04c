// Sessions whose socket lives in the socket worker (main/engine/worker): the
// types Node's net and dgram cannot make, AF_UNIX SOCK_DGRAM and
// SOCK_SEQPACKET (AF_UNIX, and AF_INET/AF_INET6 where the kernel has SCTP).
// The descriptor is in another process, so every call is one request to the
// worker, and what the kernel answers there (errno included) is what the
// session shows. Each message keeps its boundary: one data entry per datagram
// or packet, with the sender's address for datagrams.
// The engine's one worker and the routing of its events: worker-link.ts.
import type { Family, SessionInfo, SockAddr, SockType } from '../../shared/contract/index.js';
import { nowUs } from '../core/clock.js';
import { EngineError, errnoOf, fromSystemError, withField } from '../core/errors.js';
import { fromNativeAddr, toNativeAddr } from './addr.js';
import { native, type NativeAddr, type Received } from './native.js';
import { Session, type SessionHost, type SockoptTarget } from './session.js';
import { SocketWorkerError, WorkerDiedError, type SocketWorker } from './worker/socket-worker.js';
import type { Handle } from './worker/worker-protocol.js';
import { waitFor, WaitLine, type Readiness } from './wait.js';
import type { WorkerLink, WorkerSocketEvents } from './worker-link.js';

/** Auto-read buffer: a whole AF_UNIX datagram at Linux's default wmem_max (212992) fits. */
const AUTO_READ_SIZE = 256 * 1024;
/** Manual recv learns a truncated message's full length by peeking this much. */
const PEEK_MAX = 16 * 1024 * 1024;
/** What an errno means for an AF_UNIX address (the generic sentences speak of TCP). */
const unixMeaning: Record<string, string> = {
  ENOENT: 'no socket exists at that path',
  ECONNREFUSED: 'a socket file is there but nothing listens on it (a stale file, or a socket that never called listen)',
  EPROTOTYPE: 'the socket at that address is of another type (SOCK_STREAM, SOCK_DGRAM and SOCK_SEQPACKET do not mix)',
  EADDRINUSE: 'that path or abstract name is already taken (a stale socket file stays until it is removed)',
  EACCES: 'permission denied on the path or its directory',
  EPERM: 'the receiving socket is connected to another peer and takes datagrams only from it',
  ENOTDIR: 'a part of the path is not a directory',
  EROFS: 'the path is on a read-only file system',
  ENAMETOOLONG: 'a Unix socket path is at most 107 bytes',
};

/** Errnos that mean "not legal in this state" rather than "the kernel failed". */
const STATE_ERRNOS = new Set(['EISCONN', 'ENOTCONN', 'EALREADY']);

/** A worker failure as the session's error: the kernel's errno and a sentence, or the worker's own message. */
export function workerError(e: unknown, call: string, detail?: (name: string) => string | undefined): EngineError {
  if (e instanceof EngineError) return e;
  if (e instanceof SocketWorkerError) {
    const known = errnoOf(e.code);
    const errno = known.number ? known : { name: e.code, number: -e.errno };
    const why = detail?.(e.code);
    if (!known.number) return new EngineError('OS_ERROR', `${call}: ${errno.name} (${errno.number}): ${why ?? e.message}`, errno);
    const os = EngineError.os(e.code, call, why);
    const state = STATE_ERRNOS.has(e.code) || (e.code === 'EINVAL' && (call === 'bind' || call === 'listen' || call === 'accept'));
    return state ? new EngineError('INVALID_STATE', os.message, os.errno) : os;
  }
  if (e instanceof WorkerDiedError) return new EngineError('INTERNAL', e.message);
  return fromSystemError(e, call);
}

/** Readiness of a worker socket: the worker's own watcher tells (its poll with a timeout). */
function workerReadiness(w: SocketWorker, h: Handle, events: number): Readiness {
  return {
    wait: (remainingMs) => ({
      // The worker gives up at the same deadline; the line's own timer says ETIMEDOUT.
      ready: w.poll(h, events, remainingMs).then(() => undefined, (e: unknown) => {
        if (e instanceof SocketWorkerError && e.code === 'ETIMEDOUT') return new Promise<void>(() => undefined);
        throw e;
      }),
      cancel: () => undefined,
    }),
  };
}

export class WorkerSession extends Session implements WorkerSocketEvents {
  private handle: Handle | undefined;
  /** send / sendto calls waiting for room, first come first served. */
  private sendLine: WaitLine | undefined;
  /** Why there is no handle any more (the worker died). */
  private lost: string | undefined;
  private acceptMode: 'auto' | 'manual' = 'auto';
  private pending: number | null = 0;
  private readShut = false;
  private writeShut = false;
  private peerEnded = false;
  /** Manual recv calls run one after another (each peeks, then takes the same message). */
  private recvChain: Promise<unknown> = Promise.resolve();

  private constructor(
    id: number,
    family: Family,
    type: SockType,
    host: SessionHost,
    private readonly link: WorkerLink,
    handle: Handle,
  ) {
    super(id, family, type, host);
    this.handle = handle;
    link.register(handle, this);
  }

  static async create(id: number, family: Family, type: SockType, host: SessionHost, link: WorkerLink): Promise<WorkerSession> {
    const tUs = nowUs();
    let handle: Handle;
    try {
      handle = await link.worker.socket(family, type);
    } catch (e) {
      const sctp = family !== 'AF_UNIX' && type === 'SOCK_SEQPACKET';
      const err = workerError(e, 'socket', (n) => (sctp && (n === 'ESOCKTNOSUPPORT' || n === 'EPROTONOSUPPORT') ? `${family} × SOCK_SEQPACKET is SCTP, which this kernel does not offer (module sctp not loaded)` : undefined));
      throw withField(err, () => 'type');
    }
    const s = new WorkerSession(id, family, type, host, link, handle);
    s.record({ tUs, call: 'socket', args: { family, type }, ok: true, result: `created in the socket worker (pid ${link.worker.pid ?? '?'}); its descriptor lives there, so fileno() has none here`, durUs: nowUs() - tUs });
    // A datagram socket receives once it has an address; reading is armed from the start.
    if (type === 'SOCK_DGRAM') s.startReading();
    return s;
  }

  private static accepted(id: number, listener: WorkerSession, handle: Handle, peer: NativeAddr): WorkerSession {
    const s = new WorkerSession(id, listener.family, listener.type, listener.host, listener.link, handle);
    s.parent = listener.id;
    s.inheritServing(listener);
    s.state = 'connected';
    s.local = listener.local;
    s.peer = fromNativeAddr(peer);
    s.record({ tUs: s.createdUs, call: 'accept', args: {}, ok: true, result: `${Session.describe(s.local)} ← ${Session.describe(s.peer)} (from listener #${listener.id})` });
    return s;
  }

  private get w(): SocketWorker {
    return this.link.worker;
  }

  /** The worker's handle, or the errno a call on a gone socket gets. */
  private h(call: string): Handle {
    this.requireNotClosed(call);
    if (this.handle === undefined) throw EngineError.state('EBADF', call, this.lost ?? 'the socket has no descriptor any more');
    return this.handle;
  }

  override sockoptTarget(): SockoptTarget | undefined {
    const shaped = (e: unknown, call: string): unknown => {
      if (!(e instanceof SocketWorkerError)) return e instanceof WorkerDiedError ? workerError(e, call) : e;
      return Object.assign(new Error(e.message), { code: e.code, errno: e.errno, syscall: e.syscall ?? call });
    };
    return {
      setsockopt: async (level, optname, value) => {
        const h = this.h('setsockopt');
        try {
          await this.w.setsockopt(h, level, optname, value);
        } catch (e) {
          throw shaped(e, 'setsockopt');
        }
      },
      getsockopt: async (level, optname, maxLen) => {
        const h = this.h('getsockopt');
        try {
          return await this.w.getsockopt(h, level, optname, maxLen);
        } catch (e) {
          throw shaped(e, 'getsockopt');
        }
      },
    };
  }

  protected override listenerInfo(info: SessionInfo): void {
    if (this.state !== 'closed') info.inWorker = true;
    if (this.state !== 'listening') return;
    info.acceptMode = this.acceptMode;
    info.pending = this.pending;
  }

  private explain = (name: string): string | undefined => (this.family === 'AF_UNIX' ? unixMeaning[name] : undefined);

  private fromAddr(a: NativeAddr | null): SockAddr {
    return a ? fromNativeAddr(a) : this.peer ?? this.addr(this.family === 'AF_UNIX' ? '' : '0.0.0.0', 0);
  }

  // ---- events from the worker ----

  /** Auto-read on: one data event per message. Errors land in the trace. */
  startReading(): void {
    const h = this.handle;
    if (h === undefined || this.readMode !== 'auto' || this.readShut) return;
    this.w.autoRead(h, true, AUTO_READ_SIZE).catch((e: unknown) => this.recordEvent('recv', '', workerError(e, 'recv')));
  }

  onData(data: Uint8Array, from: NativeAddr | null, truncated: boolean, length?: number): void {
    if (this.readShut || this.state === 'closed') return;
    const sender = this.fromAddr(from);
    this.noteData('in', data, this.type === 'SOCK_DGRAM' ? sender : undefined);
    if (truncated) {
      // The app's read buffer let the rest go: counted as the app's drop, and said.
      const lost = length !== undefined && length > data.byteLength ? length - data.byteLength : 0;
      this.noteAppDropped(0, lost);
      this.recordEvent('recv', `${data.byteLength}${length !== undefined ? ` of ${length}` : ''} bytes: the ${this.unit()} was longer than the ${AUTO_READ_SIZE}-byte read buffer; the rest${lost ? ` (${lost} bytes)` : ''} was discarded (MSG_TRUNC), counted in appDropped`);
    }
    const answer = this.answerFor(data);
    if (answer) void this.answer(answer, sender);
    else this.respond(data, sender);
  }

  /** Echo / reply (and rules): one message back per message received; a failure is traced. */
  private answer(reply: Uint8Array, to: SockAddr, rule?: string): Promise<void> {
    const h = this.handle;
    if (h === undefined || this.writeShut) return Promise.resolve();
    const failed = (call: string) => (e: unknown) => this.recordEvent(call, '', workerError(e, call, this.explain));
    if (this.type !== 'SOCK_DGRAM') {
      // sendall keeps the answers in order and waits for room instead of dropping one.
      return this.w.sendall(h, reply).then(() => this.noteData('out', reply, undefined, rule), failed('send'));
    } else if (this.peer) {
      return this.w.send(h, reply).then(() => this.noteData('out', reply, this.peer, rule), failed('send'));
    } else if (to.address === '' && this.family === 'AF_UNIX') {
      this.recordEvent('sendto', '', EngineError.os('EDESTADDRREQ', 'sendto', 'the datagram came from an unnamed (unbound) socket: there is no address to answer to'));
      return Promise.resolve();
    }
    return this.w.sendto(h, reply, toNativeAddr(this.family, to.address, to.port)).then(() => this.noteData('out', reply, to, rule), failed('sendto'));
  }

  protected override sendReply(bytes: Uint8Array, to: SockAddr | undefined, rule: string | undefined): Promise<void> {
    return this.answer(bytes, to ?? this.fromAddr(null), rule);
  }

  onEof(): void {
    if (this.state === 'closed' || this.readShut || this.peerEnded) return;
    this.peerEnded = true;
    this.recordEvent('recv', '0 bytes: the peer shut down writing or closed (no more messages will arrive)');
    this.afterShutdown();
  }

  onSocketError(error: SocketWorkerError): void {
    const call = this.state === 'listening' ? 'accept' : 'recv';
    const err = workerError(error, call);
    this.recordEvent(call, '', err);
    if (this.type !== 'SOCK_DGRAM' && (this.state === 'connected' || this.state === 'half-closed') && ['ECONNRESET', 'EPIPE', 'ENOTCONN'].includes(error.code)) {
      this.fail(err);
    }
  }

  onPending(): void {
    if (this.state !== 'listening' || this.acceptMode !== 'manual') return;
    this.pending = null; // AF_UNIX does not count its queue: "some are waiting"
    this.changed();
  }

  onAccepted(child: Handle, peer: NativeAddr): void {
    const s = this.host.adopt((id) => WorkerSession.accepted(id, this, child, peer)) as WorkerSession;
    this.recordEvent('accept', `session #${s.id} ← ${Session.describe(s.peer)}`);
    s.startReading();
  }

  /** The worker died: this socket is gone with it. */
  onLost(message: string): void {
    this.handle = undefined;
    this.lost = message;
    this.sendLine?.close(new EngineError('INTERNAL', message)); // a send waiting for room hears why
    this.sendLine = undefined;
    if (this.state === 'closed') return;
    const err = new EngineError('INTERNAL', message);
    this.recordEvent('socket worker', '', err);
    this.fail(err);
  }

  private unit(): string {
    return this.type === 'SOCK_DGRAM' ? 'datagram' : 'message';
  }

  // ---- calls ----

  async bind(address: string, port: number): Promise<void> {
    this.requireNotClosed('bind');
    this.checkFamily(address, 'bind');
    try {
      await this.traced('bind', this.addrArgs(address, port), async () => {
        const h = this.h('bind');
        try {
          await this.w.bind(h, toNativeAddr(this.family, address, port));
          this.local = fromNativeAddr(await this.w.getsockname(h));
        } catch (e) {
          throw workerError(e, 'bind', (n) => (n === 'EINVAL' ? 'the socket is already bound' : this.explain(n)));
        }
      }, () => Session.describe(this.local));
    } catch (e) {
      throw withField(e, (n) => (n === 'EADDRINUSE' || n === 'EACCES' ? (this.family === 'AF_UNIX' ? 'address' : 'port') : ['EADDRNOTAVAIL', 'EAFNOSUPPORT', 'ENOENT', 'EROFS', 'ENOTDIR', 'ENAMETOOLONG'].includes(n) ? 'address' : undefined));
    }
    if (this.state === 'created') this.setState('bound');
    else this.changed();
  }

  async listen(backlog: number, acceptMode: 'auto' | 'manual' = 'auto'): Promise<void> {
    await this.traced('listen', { backlog }, async () => {
      const h = this.h('listen');
      try {
        await this.w.listen(h, backlog);
        this.local = fromNativeAddr(await this.w.getsockname(h));
      } catch (e) {
        throw workerError(e, 'listen', (n) =>
          n === 'EOPNOTSUPP' ? `listen is for connection sockets; a ${this.type} socket receives once bound`
            : n === 'EINVAL' ? (this.state === 'created' ? 'bind the socket to an address first' : `cannot listen on a socket that is ${this.state}`) : undefined);
      }
    }, () => `listening on ${Session.describe(this.local)}, backlog ${backlog}`);
    this.backlog = backlog;
    this.state = 'listening';
    await this.setAcceptMode(acceptMode, true);
  }

  override async setAcceptMode(mode: 'auto' | 'manual', initial = false): Promise<void> {
    const h = this.listeningDescriptor(this.handle);
    if (!initial && mode === this.acceptMode) return;
    this.acceptMode = mode;
    try {
      await this.w.autoAccept(h, mode === 'auto');
    } catch (e) {
      throw workerError(e, 'setAcceptMode');
    }
    if (mode === 'manual') await this.lookAtQueue(h);
    else this.pending = 0;
    if (!initial) this.recordAcceptMode(mode);
    this.changed();
  }

  /** Whether connections wait (AF_UNIX says only whether, not how many: null). */
  private async lookAtQueue(h: Handle): Promise<void> {
    try {
      const C = native().constants;
      const now = (await this.w.poll(h, C.POLLIN)) & C.POLLIN ? null : 0;
      // An empty queue: ask the worker again for a `pending` event when the next connection arrives
      // (after an accept() that waited, it may already have spent its one notice).
      if (now === 0 && this.acceptMode === 'manual') await this.w.autoAccept(h, false);
      if (now !== this.pending) {
        this.pending = now;
        this.changed();
      }
    } catch {
      // The socket went away meanwhile: its state says so.
    }
  }

  override async accept(): Promise<Session> {
    return this.traced('accept', {}, async () => {
      const h = this.h('accept');
      if (this.state === 'listening' && this.acceptMode === 'auto') {
        throw EngineError.state('EINVAL', 'accept', 'auto-accept is on: connections are accepted as they arrive; switch to manual accept to take them one by one');
      }
      let got: { handle: Handle; peer: NativeAddr } | null;
      try {
        // The worker honours the timeout: None waits, 0 gives EAGAIN at once, seconds give ETIMEDOUT.
        got = await this.w.accept(h, this.timeoutMs);
      } catch (e) {
        throw workerError(e, 'accept', (n) =>
          n === 'EAGAIN' ? 'no connection is waiting (non-blocking socket)'
            : n === 'ETIMEDOUT' ? `timed out: no connection within ${this.timeoutMs} ms`
              : n === 'EINVAL' ? 'accept needs a listening socket: call listen first'
                : n === 'EOPNOTSUPP' ? `a ${this.type} socket has no connections to accept` : undefined);
      }
      if (!got) throw EngineError.os('EAGAIN', 'accept', 'no connection is waiting');
      const { handle, peer } = got;
      const child = this.host.adopt((id) => WorkerSession.accepted(id, this, handle, peer)) as WorkerSession;
      child.startReading();
      await this.lookAtQueue(h);
      return child;
    }, (child) => `session #${child.id} ← ${Session.describe(child.peer)}`);
  }

  async connect(address: string, port: number, timeoutMs: number | null | undefined, call: 'connect' | 'connect_ex' = 'connect'): Promise<void> {
    this.requireNotClosed(call);
    this.checkFamily(address, call);
    const { timeout, args } = this.connectArgs(address, port, timeoutMs);
    const before = this.state;
    const dgram = this.type === 'SOCK_DGRAM';
    // A listening or connected socket keeps its state: the kernel's refusal (EINVAL, EISCONN) is the answer.
    const fresh = before === 'created' || before === 'bound' || before === 'error';
    try {
      await this.traced(call, args, async () => {
        const h = this.h(call);
        if (this.state === 'connecting') throw EngineError.state('EALREADY', call, 'a connect is already in progress');
        if (!dgram && fresh) this.setState('connecting');
        await this.connectWithin(h, toNativeAddr(this.family, address, port), timeout, call);
        this.local = fromNativeAddr(await this.w.getsockname(h));
        this.peer = fromNativeAddr(await this.w.getpeername(h));
      }, () => (dgram ? `default peer ${Session.describe(this.peer)}` : `${Session.describe(this.local)} → ${Session.describe(this.peer)}`));
    } catch (e) {
      if (this.state === 'connecting') {
        // As a refused TCP connect does: the session shows the failure (the socket itself may be tried again).
        if (e instanceof EngineError && e.errno) this.fail(e);
        else this.setState(before);
      }
      // connect_ex returns what the kernel said; only connect points at the address field.
      throw call === 'connect_ex' ? e : withField(e, (n) => (n === 'ENOENT' || n === 'ECONNREFUSED' || n === 'EPROTOTYPE' ? 'address' : undefined));
    }
    if (!dgram && !fresh) return this.changed();
    this.lastError = undefined;
    this.setState('connected');
    if (!dgram) this.startReading();
  }

  /**
   * AF_UNIX connects at once, or says EAGAIN while the listener's queue is
   * full: then it is tried again until the timeout. SCTP answers later, and
   * the timeout bounds the wait.
   */
  private async connectWithin(h: Handle, addr: NativeAddr, timeout: number | null, call: string): Promise<void> {
    const deadline = timeout === null ? Infinity : Date.now() + timeout;
    const timedOut = () => EngineError.os('ETIMEDOUT', call, `no answer from ${Session.describe(fromNativeAddr(addr))} within ${timeout} ms`);
    await waitFor(() => this.unlessEagain(this.bounded(this.w.connect(h, addr).then(() => true), deadline, timedOut), call), {
      timeoutMs: timeout, call, idle: 'the listener’s accept queue is full',
      stillValid: () => this.handle === h && this.state !== 'closed',
    });
  }

  /** A worker call's result, or null when the worker said EAGAIN (the call would block). */
  private async unlessEagain<T>(p: Promise<T>, call: string): Promise<T | null> {
    try {
      return await p;
    } catch (e) {
      if (e instanceof SocketWorkerError && e.code === 'EAGAIN') return null;
      throw workerError(e, call, this.explain);
    }
  }

  /** A worker call bounded by a deadline; a late result is dropped (its failure too). */
  private bounded<T>(p: Promise<T>, deadline: number, timedOut: () => EngineError): Promise<T> {
    if (deadline === Infinity) return p;
    p.catch(() => undefined);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(timedOut()), Math.max(0, deadline - Date.now()));
      p.then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (e: unknown) => {
          clearTimeout(timer);
          reject(e);
        },
      );
    });
  }

  /** A call that may say EAGAIN, tried until the session timeout as a blocking one would wait: on the socket's writability. */
  private untilTaken<T>(attempt: () => Promise<T>, call: string, idle: string): Promise<T> {
    const h = this.handle!;
    return waitFor(() => this.unlessEagain(attempt(), call), {
      timeoutMs: this.timeoutMs, call, idle,
      stillValid: () => this.handle === h && this.state !== 'closed',
      line: (this.sendLine ??= new WaitLine(workerReadiness(this.w, h, native().constants.POLLOUT))),
    });
  }

  async send(data: Uint8Array): Promise<number> {
    const n = await this.traced('send', { bytes: data.byteLength }, () => {
      const h = this.h('send');
      return this.untilTaken(() => this.w.send(h, data), 'send', `there is no room for the ${this.unit()} (the receiver’s queue is full), nothing was sent`);
    }, (k) => (k < data.byteLength ? `${k} of ${data.byteLength} bytes: the kernel took only part; send the rest again or use sendall` : `${k} bytes`));
    this.noteData('out', data.subarray(0, n), this.type === 'SOCK_DGRAM' ? this.peer : undefined);
    return n;
  }

  /**
   * A message goes whole or not at all, so sendall is a send that waits for
   * room as long as the timeout allows. After a timeout the worker still
   * sends it when there is room, and counts it then.
   */
  async sendall(data: Uint8Array): Promise<number> {
    return this.traced('sendall', { bytes: data.byteLength }, async () => {
      const h = this.h('sendall');
      const to = this.type === 'SOCK_DGRAM' ? this.peer : undefined;
      if (this.timeoutMs === 0) {
        const n = await this.untilTaken(() => this.w.send(h, data), 'sendall', `there is no room for the ${this.unit()}`);
        this.noteData('out', data.subarray(0, n), to);
        return n;
      }
      const job = this.w.sendall(h, data).then((n) => {
        this.noteData('out', data, to);
        return n;
      });
      const deadline = this.timeoutMs === null ? Infinity : Date.now() + this.timeoutMs;
      try {
        return await this.bounded(job, deadline, () => EngineError.os('ETIMEDOUT', 'sendall', `not taken within ${this.timeoutMs} ms (the peer is not reading); it stays queued and goes when there is room`));
      } catch (e) {
        throw workerError(e, 'sendall', this.explain);
      }
    }, () => 'None (every byte queued)');
  }

  async sendto(data: Uint8Array, address: string, port: number): Promise<number> {
    this.requireNotClosed('sendto');
    this.checkFamily(address, 'sendto');
    const to = this.addr(address, port);
    let n: number;
    try {
      n = await this.traced('sendto', { bytes: data.byteLength, ...this.addrArgs(address, port) }, () => {
        const h = this.h('sendto');
        return this.untilTaken(() => this.w.sendto(h, data, toNativeAddr(this.family, address, port)), 'sendto', `there is no room for the ${this.unit()} (the receiver’s queue is full), nothing was sent`);
      }, (k) => `${k} bytes → ${Session.describe(to)}`);
    } catch (e) {
      throw withField(e, (name) => (['ENOENT', 'ECONNREFUSED', 'EPROTOTYPE', 'EPERM', 'EACCES', 'ENOTDIR'].includes(name) ? 'address' : undefined));
    }
    this.noteData('out', data.subarray(0, n), this.type === 'SOCK_DGRAM' ? to : undefined);
    return n;
  }

  async recv(bufsize: number): Promise<Uint8Array> {
    return (await this.receive('recv', bufsize)).data;
  }

  async recvfrom(bufsize: number): Promise<{ data: Uint8Array; from: SockAddr }> {
    const r = await this.receive('recvfrom', bufsize);
    return { data: r.data, from: r.from };
  }

  private receive(call: 'recv' | 'recvfrom', bufsize: number) {
    const run = () => this.traced(call, { bufsize }, () => this.receiveOne(call, bufsize), (r) => {
      if (r.eof) return '0 bytes (end of stream: the peer shut down writing or closed)';
      const from = call === 'recvfrom' || this.type === 'SOCK_DGRAM' ? ` from ${Session.describe(r.from)}` : '';
      if (!r.truncated) return `${r.data.byteLength} bytes${from}`;
      const whole = r.full === undefined ? `more than ${PEEK_MAX}` : String(r.full);
      return `${r.data.byteLength} of ${whole} bytes${from} (the rest of the ${this.unit()} was discarded: MSG_TRUNC)`;
    });
    const next = this.recvChain.then(run, run);
    this.recvChain = next.catch(() => undefined);
    return next;
  }

  /** Peek (waiting up to the timeout), learn a truncated message's length, then take it: exactly one message. */
  private async receiveOne(call: string, bufsize: number): Promise<{ data: Uint8Array; from: SockAddr; truncated: boolean; full?: number; eof: boolean }> {
    const h = this.h(call);
    if (this.readMode === 'auto') {
      throw EngineError.state('EINVAL', call, `auto-read is on: ${this.unit()}s are shown as they arrive; switch to manual read mode to call ${call}`);
    }
    const C = native().constants;
    const why = (n: string) =>
      n === 'EAGAIN' ? `no ${this.unit()} waiting (non-blocking socket)`
        : n === 'ETIMEDOUT' ? `timed out: no ${this.unit()} within ${this.timeoutMs} ms`
          : this.explain(n);
    let got: Received;
    let full: number | undefined;
    try {
      const peek = await this.w.recv(h, bufsize, this.timeoutMs, C.MSG_PEEK);
      full = peek.data.byteLength;
      if (peek.truncated) {
        const whole = await this.w.recv(h, PEEK_MAX, 0, C.MSG_PEEK);
        full = whole.truncated ? undefined : whole.data.byteLength;
      }
      got = await this.w.recv(h, bufsize, 0);
    } catch (e) {
      throw workerError(e, call, why);
    }
    const data = new Uint8Array(got.data.buffer, got.data.byteOffset, got.data.byteLength);
    const from = this.fromAddr(got.from);
    if (data.byteLength === 0 && this.type !== 'SOCK_DGRAM' && (await this.peerGone(h))) {
      if (!this.peerEnded && !this.readShut) {
        this.peerEnded = true;
        queueMicrotask(() => this.afterShutdown());
      }
      return { data, from, truncated: false, eof: true };
    }
    this.noteData('in', data, this.type === 'SOCK_DGRAM' ? from : undefined);
    return { data, from, truncated: got.truncated, full, eof: false };
  }

  /** A zero-length read on SOCK_SEQPACKET is an empty message, unless the peer hung up. */
  private async peerGone(h: Handle): Promise<boolean> {
    const C = native().constants;
    const rdhup = C.POLLRDHUP ?? 0;
    try {
      return ((await this.w.poll(h, C.POLLIN | rdhup)) & (rdhup | C.POLLHUP)) !== 0;
    } catch {
      return true;
    }
  }

  setReadMode(mode: 'auto' | 'manual'): Promise<void> | void {
    this.requireNotClosed('setReadMode');
    if (mode === this.readMode) return;
    this.readMode = mode;
    const note = (): void => {
      this.record({ tUs: nowUs(), call: 'read mode', args: { mode }, ok: true, result: mode === 'auto' ? `auto-read: ${this.unit()}s shown as they arrive, one entry each` : `manual: call ${this.type === 'SOCK_DGRAM' ? 'recvfrom' : 'recv'} to read` });
      this.changed();
    };
    const reading = this.type === 'SOCK_DGRAM' || this.state === 'connected' || this.state === 'half-closed';
    const h = this.handle;
    if (h === undefined || !reading || this.readShut) return note();
    return this.w.autoRead(h, mode === 'auto', AUTO_READ_SIZE).then(note, (e: unknown) => {
      throw workerError(e, 'setReadMode');
    });
  }

  async shutdown(how: 'SHUT_RD' | 'SHUT_WR' | 'SHUT_RDWR'): Promise<void> {
    await this.traced('shutdown', { how }, async () => {
      const h = this.h('shutdown');
      try {
        await this.w.shutdown(h, how === 'SHUT_RD' ? 0 : how === 'SHUT_WR' ? 1 : 2);
      } catch (e) {
        throw workerError(e, 'shutdown');
      }
    }, () => (how === 'SHUT_RD' ? 'reads now return 0' : this.type === 'SOCK_DGRAM' ? 'sends now fail with EPIPE' : 'the peer reads end of stream (0 bytes) after the last message'));
    if (how !== 'SHUT_RD') this.writeShut = true;
    if (how !== 'SHUT_WR' && !this.readShut) {
      this.readShut = true;
      // Reads now return 0 at once: stop the worker reading, or it would spin on them.
      const h = this.handle;
      if (h !== undefined && this.state !== 'listening') this.w.autoRead(h, false).catch(() => undefined);
    }
    this.afterShutdown();
  }

  /** Connected states after a shutdown or the peer's end: half-closed, or closed once both directions are done. */
  private afterShutdown(): void {
    if (this.state !== 'connected' && this.state !== 'half-closed') return;
    const done = this.writeShut && (this.readShut || this.peerEnded);
    if (!done || this.type === 'SOCK_DGRAM') return this.setState('half-closed');
    // Nothing can move any more either way: release the socket, as the kernel does for a TCP connection.
    const h = this.handle;
    this.release();
    this.recordEvent('close', 'connection closed (both directions finished)');
    this.changed();
    if (h !== undefined) this.w.close(h).catch(() => undefined);
  }

  private release(): void {
    this.state = 'closed';
    this.sendLine?.close();
    this.sendLine = undefined;
    if (this.handle !== undefined) this.link.unregister(this.handle);
    this.handle = undefined;
  }

  async close(): Promise<void> {
    await this.traced('close', {}, async () => {
      this.requireNotClosed('close');
      const h = this.handle;
      this.release();
      if (h === undefined) return;
      try {
        await this.w.close(h);
      } catch (e) {
        // A worker that died (or was stopped) took the socket with it: closed all the same.
        if (!(e instanceof WorkerDiedError)) throw workerError(e, 'close');
      }
    }, () => 'closed');
    this.changed();
  }

  async getsockname(): Promise<SockAddr> {
    return this.traced('getsockname', {}, async () => {
      const h = this.h('getsockname');
      try {
        this.local = fromNativeAddr(await this.w.getsockname(h));
      } catch (e) {
        throw workerError(e, 'getsockname');
      }
      return this.local;
    }, (a) => Session.describe(a));
  }

  async getpeername(): Promise<SockAddr> {
    return this.traced('getpeername', {}, async () => {
      const h = this.h('getpeername');
      try {
        this.peer = fromNativeAddr(await this.w.getpeername(h));
      } catch (e) {
        throw workerError(e, 'getpeername', (n) => (n === 'ENOTCONN' ? (this.type === 'SOCK_DGRAM' ? 'the socket has no default peer (connect it first)' : 'the socket is not connected') : undefined));
      }
      return this.peer;
    }, (a) => Session.describe(a));
  }
}
