// What every session shares: identity, lifecycle state, the per-call trace
// (strace for one socket), counters and a bounded ring of the bytes seen.
import type {
  AnyEvent, DataEntry, Family, SessionInfo, SessionState, SockAddr, SockType, TraceEntry,
} from '../../shared/contract/index.js';
import { formatHostPort, ipFamily, unixPathProblem } from '../../shared/net/address.js';
import { nowUs } from '../core/clock.js';
import { EngineError, formatErrno, fromSystemError } from '../core/errors.js';
import { gaiError, resolveName } from '../core/resolve.js';
import { Ring } from '../../shared/ring.js';
import { Capture, CAPTURE_LIMIT } from './capture.js';
import type { Responder, ResponderSource } from './responder.js';

/** get/setsockopt on a socket whose descriptor is not in this process. Failures are shaped like the addon's (code, errno, syscall). */
export interface SockoptTarget {
  setsockopt(level: number, optname: number, value: Uint8Array): Promise<void>;
  getsockopt(level: number, optname: number, maxLen: number): Promise<Uint8Array>;
}

/** How a session talks to its engine. */
export interface SessionHost {
  emit(event: AnyEvent): void;
  /** Registers a new session (an accepted connection) and returns its id. */
  adopt(make: (id: number) => Session): Session;
}

const TRACE_MAX = 5_000;
const RING_ENTRIES = 4_000;
const RING_BYTES = 4 * 1024 * 1024;

export abstract class Session {
  state: SessionState = 'created';
  readMode: 'auto' | 'manual' = 'auto';
  timeoutMs: number | null = null;
  local?: SockAddr;
  peer?: SockAddr;
  parent?: number;
  backlog?: number;
  lastError?: EngineError;
  /** Echo / reply-with: what this session answers to each message it receives. */
  serve: { mode: 'none' | 'echo' | 'reply'; reply: Uint8Array } = { mode: 'none', reply: new Uint8Array(0) };
  readonly createdUs = nowUs();
  readonly counters: SessionInfo['counters'] = { bytesIn: 0, bytesOut: 0, chunksIn: 0, chunksOut: 0 };
  private readonly traceLog: TraceEntry[] = [];
  private traceSeq = 0;
  /** A session.updated for the counters is due at the end of this turn (countersChanged). */
  private updateSoon = false;
  readonly data = new Ring<DataEntry>(RING_ENTRIES, RING_BYTES, (e) => e.bytes.byteLength);
  /** The time of the last data entry (see noteData). */
  private lastDataUs = -Infinity;
  /** "Save received stream to a file": every received byte, kept while on. */
  readonly capture = new Capture();
  /** Auto-reply rules: where responders come from (a listener hands it to each connection), and this session's own. */
  private rulesSource: ResponderSource | undefined;
  private responder: Responder | undefined;
  /** Replies go out one after another, each after its delay. */
  private replyChain: Promise<void> = Promise.resolve();
  /** The listener that accepted this connection (its rule counts add this connection's). */
  private acceptedBy: Session | undefined;

  constructor(
    readonly id: number,
    readonly family: Family,
    readonly type: SockType,
    protected readonly host: SessionHost,
  ) {}

  info(): SessionInfo {
    const info: SessionInfo = {
      id: this.id, family: this.family, type: this.type, state: this.state, readMode: this.readMode,
      timeoutMs: this.timeoutMs, counters: { ...this.counters, ...(this.counters.appDropped ? { appDropped: { ...this.counters.appDropped } } : {}) }, createdUs: this.createdUs,
    };
    if (this.local) info.local = this.local;
    if (this.peer) info.peer = this.peer;
    if (this.parent !== undefined) info.parent = this.parent;
    if (this.backlog !== undefined) info.backlog = this.backlog;
    const fd = this.state === 'closed' ? undefined : this.fileno();
    if (fd !== undefined) info.fd = fd;
    if (this.capture.on || this.capture.bytes > 0) {
      info.capture = { on: this.capture.on, bytes: this.capture.bytes, overflow: this.capture.overflow, limit: CAPTURE_LIMIT };
    }
    if (this.serve.mode !== 'none') info.serve = { mode: this.serve.mode, replyBytes: this.serve.reply.byteLength };
    if (this.responder) info.rules = this.state === 'listening' ? this.rulesSource!.status() : this.responder.status();
    this.listenerInfo(info);
    if (this.lastError) {
      info.lastError = { code: this.lastError.code, message: this.lastError.message };
      if (this.lastError.errno) info.lastError.errno = this.lastError.errno;
    }
    return info;
  }

  /** Listeners add their accept mode and queue length. */
  protected listenerInfo(_info: SessionInfo): void {}

  /** The kernel's descriptor for this socket (the seed's fileno()), while there is one. */
  fileno(): number | undefined {
    return undefined;
  }

  /** setsockopt / getsockopt on this socket (main/engine/sockopt.ts), traced like every other call. */
  sockopt<T>(call: 'setsockopt' | 'getsockopt', args: Record<string, unknown>, run: () => T | Promise<T>, summarize: (r: T) => string): Promise<T> {
    return this.traced(call, args, run, summarize);
  }

  /** Where socket options go when the descriptor lives in another process (the socket worker); undefined: on fileno() here. */
  sockoptTarget(): SockoptTarget | undefined {
    return undefined;
  }

  get trace(): readonly TraceEntry[] {
    return this.traceLog;
  }

  protected changed(): void {
    this.updateSoon = false;
    this.host.emit({ name: 'session.updated', payload: this.info() });
  }

  /**
   * Only the counters moved (data came or went): one session.updated at the
   * end of this turn of the event loop carries them all. A flood moves them
   * per chunk, and building the session's info for each was most of the
   * engine's work per datagram; any other change tells at once (and carries
   * the counters with it).
   */
  protected countersChanged(): void {
    if (this.updateSoon) return;
    this.updateSoon = true;
    setImmediate(() => {
      if (this.updateSoon) this.changed();
    });
  }

  protected setState(state: SessionState): void {
    if (this.state === state) return;
    this.state = state;
    this.changed();
  }

  /** Records one entry in the trace and tells the renderer. */
  protected record(entry: Omit<TraceEntry, 'seq'>): void {
    const full: TraceEntry = { seq: ++this.traceSeq, ...entry };
    this.traceLog.push(full);
    if (this.traceLog.length > TRACE_MAX) this.traceLog.splice(0, this.traceLog.length - TRACE_MAX);
    this.host.emit({ name: 'session.trace', payload: { id: this.id, entry: full } });
  }

  /** Something the kernel told us without a call (peer FIN, reset, accept). */
  protected recordEvent(call: string, result: string, err?: EngineError): void {
    const entry: Omit<TraceEntry, 'seq'> = { tUs: nowUs(), call, args: {}, ok: !err };
    if (err) {
      if (err.errno) entry.errno = err.errno;
      entry.message = err.message;
    } else entry.result = result;
    this.record(entry);
  }

  /** Runs one socket call, timing it and recording its result or errno in the trace. */
  protected async traced<T>(
    call: string,
    args: Record<string, unknown>,
    run: () => Promise<T> | T,
    summarize: (r: T) => string,
  ): Promise<T> {
    const tUs = nowUs();
    try {
      const r = await run();
      this.record({ tUs, call, args, ok: true, result: summarize(r), durUs: nowUs() - tUs });
      return r;
    } catch (e) {
      const err = fromSystemError(e, call);
      const entry: Omit<TraceEntry, 'seq'> = { tUs, call, args, ok: false, message: err.message, durUs: nowUs() - tUs };
      if (err.errno) entry.errno = err.errno;
      this.record(entry);
      throw err;
    }
  }

  /** Bytes moved: counted exactly, kept in the ring, forwarded to the renderer; `rule` marks an automatic reply. */
  /**
   * `ageUs`: how long ago the kernel received the chunk (a datagram read in a
   * batch); its time is then the kernel's, never before the entry logged last
   * (the page and history merging rely on a session's times only growing).
   */
  protected noteData(dir: 'in' | 'out', chunk: Uint8Array, addr?: SockAddr, rule?: string, ageUs = 0): void {
    // A plain Uint8Array view: Buffers would serialise through toJSON.
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (dir === 'in') {
      this.counters.bytesIn += bytes.byteLength;
      this.counters.chunksIn++;
      this.capture.add(bytes);
    } else {
      this.counters.bytesOut += bytes.byteLength;
      this.counters.chunksOut++;
    }
    const now = nowUs();
    const tUs = ageUs > 0 ? Math.min(now, Math.max(now - ageUs, this.lastDataUs + 1)) : now;
    this.lastDataUs = tUs;
    const entry: DataEntry = { id: this.id, dir, tUs, bytes };
    if (addr) entry.addr = addr;
    if (rule !== undefined) entry.rule = rule;
    this.data.push(entry);
    this.host.emit({ name: 'session.data', payload: entry });
    this.countersChanged();
  }

  /** A repeated send, once it is over: one log entry for `times` identical datagrams (counted as they went). */
  protected noteRepeated(data: Uint8Array, times: number, addr?: SockAddr): void {
    const entry: DataEntry = { id: this.id, dir: 'out', tUs: (this.lastDataUs = nowUs()), bytes: new Uint8Array(data), repeat: times };
    if (addr) entry.addr = addr;
    this.data.push(entry);
    this.host.emit({ name: 'session.data', payload: entry });
    this.changed();
  }

  /** What the app itself let go (a read buffer too small for a message): counted, so nothing goes unseen. */
  protected noteAppDropped(chunks: number, bytes: number): void {
    const d = (this.counters.appDropped ??= { chunks: 0, bytes: 0 });
    d.chunks += chunks;
    d.bytes += bytes;
    this.changed();
  }

  protected fail(err: EngineError): void {
    this.lastError = err;
    this.setState('error');
  }

  protected requireNotClosed(call: string): void {
    if (this.state === 'closed') throw EngineError.state('EBADF', call, 'the socket is closed');
  }

  /**
   * The address a bind, connect or sendto uses: an IP literal or a Unix path
   * as given; a host name resolved (getaddrinfo, traced with every address it
   * offered and the one used: the first of the socket's family, in the
   * resolver's order, as a client that created its socket for that family would).
   */
  async resolve(address: string, port: number): Promise<string> {
    if (ipFamily(address) !== null) return address;
    if (this.family === 'AF_UNIX') {
      if (unixPathProblem(address) === null) return address;
      throw EngineError.os('EAFNOSUPPORT', 'getaddrinfo', `${address} is a host name but the socket is AF_UNIX: give a path like /tmp/x.sock or @name`, 'address');
    }
    const want = this.family === 'AF_INET6' ? 6 : 4;
    const tUs = nowUs();
    const args = { host: address, port, family: this.family };
    try {
      const { addresses, durUs } = await resolveName(address);
      const offered = addresses.map((a) => `${a.family === 6 ? 'AF_INET6' : 'AF_INET'} ${a.address}`).join(', ');
      const used = addresses.find((a) => a.family === want);
      if (!used) {
        const other = want === 6 ? 'AF_INET' : 'AF_INET6';
        throw gaiError('EAI_ADDRFAMILY', address, `"${address}" has no ${this.family} address (it resolves to ${offered}): create an ${other} socket, or give an address`);
      }
      this.record({ tUs, call: 'getaddrinfo', args, ok: true, result: `${address} → ${offered}; using ${used.address}`, durUs });
      return used.address;
    } catch (e) {
      const err = e instanceof EngineError ? e : fromSystemError(e, 'getaddrinfo');
      const entry: Omit<TraceEntry, 'seq'> = { tUs, call: 'getaddrinfo', args, ok: false, message: err.message, durUs: nowUs() - tUs };
      if (err.errno) entry.errno = err.errno;
      this.record(entry);
      throw err;
    }
  }

  protected checkFamily(address: string, call: string): void {
    const kind = ipFamily(address);
    const given = kind === 4 ? 'an IPv4 address' : kind === 6 ? 'an IPv6 address' : 'a Unix socket path';
    const fits = this.family === 'AF_UNIX' ? kind === null : kind === (this.family === 'AF_INET6' ? 6 : 4);
    if (!fits) {
      const wanted = this.family === 'AF_UNIX' ? 'a path like /tmp/x.sock or @name' : this.family === 'AF_INET6' ? 'an IPv6 address' : 'an IPv4 address';
      throw EngineError.os('EAFNOSUPPORT', call, `${address} is ${given} but the socket is ${this.family}: give ${wanted}`, 'address');
    }
  }

  protected addr(address: string, port: number): SockAddr {
    return { family: this.family, address, port };
  }

  /** An address as the trace shows a call's arguments: a path for Unix sockets, address and port otherwise. */
  protected addrArgs(address: string, port: number): Record<string, unknown> {
    return this.family === 'AF_UNIX' ? { path: address } : { address, port };
  }

  /** How long a stream connect waits (its own timeout, else the socket's; null: forever), and its trace arguments (seconds, as Python shows them). */
  protected connectArgs(address: string, port: number, timeoutMs: number | null | undefined): { timeout: number | null; args: Record<string, unknown> } {
    const timeout = timeoutMs === undefined ? this.timeoutMs : timeoutMs;
    return { timeout, args: { ...this.addrArgs(address, port), timeout: timeout === null ? 'None' : timeout / 1000 } };
  }

  static describe(a: SockAddr | undefined): string {
    return a ? formatHostPort(a.address, a.port, a.family) : '-';
  }

  abstract bind(address: string, port: number): Promise<void>;
  abstract listen(backlog: number, acceptMode: 'auto' | 'manual'): Promise<void>;
  /**
   * timeoutMs undefined: the socket's own timeout (settimeout). `call` names the trace entry:
   * connect, or connect_ex (same syscall, errno returned instead of raised).
   */
  abstract connect(address: string, port: number, timeoutMs: number | null | undefined, call?: 'connect' | 'connect_ex'): Promise<void>;
  /** One send(): returns how many bytes the kernel took, which may be fewer than given. */
  abstract send(data: Uint8Array): Promise<number>;
  /** sendall(): every byte queued, or an error. */
  abstract sendall(data: Uint8Array): Promise<number>;
  abstract sendto(data: Uint8Array, address: string, port: number): Promise<number>;
  abstract recv(bufsize: number): Promise<Uint8Array>;
  abstract recvfrom(bufsize: number): Promise<{ data: Uint8Array; from: SockAddr }>;
  abstract setReadMode(mode: 'auto' | 'manual'): void;
  abstract shutdown(how: 'SHUT_RD' | 'SHUT_WR' | 'SHUT_RDWR'): Promise<void>;
  abstract close(): Promise<void>;
  abstract getsockname(): SockAddr | Promise<SockAddr>;
  abstract getpeername(): SockAddr | Promise<SockAddr>;

  settimeout(timeoutMs: number | null, call: 'settimeout' | 'setblocking' = 'settimeout'): void {
    this.requireNotClosed(call);
    this.timeoutMs = timeoutMs;
    const args = call === 'setblocking' ? { flag: timeoutMs === null ? 'True' : 'False' } : { timeout: showTimeout(timeoutMs) };
    const meaning = timeoutMs === null ? 'blocking: calls wait as long as it takes' : timeoutMs === 0 ? 'non-blocking: calls that would wait fail with EAGAIN' : `calls wait at most ${timeoutMs / 1000} s`;
    this.record({ tUs: nowUs(), call, args, ok: true, result: `None (${meaning})` });
    this.changed();
  }

  gettimeout(): number | null {
    this.requireNotClosed('gettimeout');
    this.record({ tUs: nowUs(), call: 'gettimeout', args: {}, ok: true, result: showTimeout(this.timeoutMs) });
    return this.timeoutMs;
  }

  setCapture(on: boolean): void {
    this.requireNotClosed('capture');
    if (on) this.capture.start();
    else this.capture.stop();
    this.changed();
  }

  /** Manual accept; only listening stream sockets have a queue. */
  accept(): Promise<Session> {
    return this.traced('accept', {}, () => {
      this.requireNotClosed('accept');
      throw EngineError.state(this.type === 'SOCK_DGRAM' ? 'EOPNOTSUPP' : 'EINVAL', 'accept', 'only a listening stream socket has connections to accept');
    }, () => '');
  }

  setAcceptMode(_mode: 'auto' | 'manual'): Promise<void> | void {
    throw EngineError.state('EINVAL', 'setAcceptMode', 'only a listening stream socket accepts connections');
  }

  /** A stream session's setAcceptMode needs a listening socket; returns its descriptor (an fd or a worker handle). */
  protected listeningDescriptor<D>(descriptor: D | undefined): D {
    if (this.state !== 'listening' || descriptor === undefined) {
      throw EngineError.state('EINVAL', 'setAcceptMode', 'only a listening socket accepts connections: call listen first');
    }
    return descriptor;
  }

  /** The trace line of a user's switch of accept mode, the same for every stream session (listen() sets the first mode without one). */
  protected recordAcceptMode(mode: 'auto' | 'manual'): void {
    this.record({ tUs: nowUs(), call: 'accept mode', args: { mode }, ok: true, result: mode === 'auto' ? 'connections are accepted as they arrive' : 'connections wait in the kernel queue for accept()' });
  }

  setServeMode(mode: 'none' | 'echo' | 'reply', reply: Uint8Array = new Uint8Array(0)): void {
    this.requireNotClosed('serve');
    if (mode === 'reply' && reply.byteLength === 0) {
      throw new EngineError('BAD_REQUEST', 'reply mode needs the bytes to reply with', undefined, 'reply');
    }
    this.serve = { mode, reply: mode === 'reply' ? reply : new Uint8Array(0) };
    if (mode !== 'none' && this.rulesSource) this.setRules(null);
    this.changed();
  }

  /**
   * Answers what arrives with rules (null: stop). A listener hands the
   * source to each connection it accepts from now on, and each opens its own
   * responder (own framing buffer, counter and counts). Echo / reply mode
   * is turned off.
   */
  setRules(source: ResponderSource | null): void {
    this.requireNotClosed('rules');
    this.rulesSource = source ?? undefined;
    this.responder = source?.open({ datagrams: this.type !== 'SOCK_STREAM' });
    if (source) this.serve = { mode: 'none', reply: new Uint8Array(0) };
    const scope = this.state === 'listening' ? 'each connection accepted from now on answers' : 'what arrives is answered';
    this.record({ tUs: nowUs(), call: 'rules', args: { ruleSet: source?.name ?? null }, ok: true, result: source ? `${scope} with rule set "${source.name}"` : 'no automatic replies' });
    this.changed();
  }

  /** An accepted connection answers as its listener does (echo, reply, or its own responder of the listener's rules). */
  protected inheritServing(listener: Session): void {
    this.serve = { ...listener.serve };
    this.acceptedBy = listener;
    if (listener.rulesSource) {
      this.rulesSource = listener.rulesSource;
      this.responder = listener.rulesSource.open({ datagrams: this.type !== 'SOCK_STREAM' });
    }
  }

  /**
   * Rules: what this chunk (a read, or a datagram from `from`) calls for.
   * Replies leave in order, each after its delay, through sendReply; a
   * reply with close closes the connection once its bytes were taken.
   */
  protected respond(chunk: Uint8Array, from?: SockAddr): void {
    const responder = this.responder;
    if (!responder || this.serve.mode !== 'none') return;
    const { replies, notes } = responder.receive(chunk, from);
    for (const note of notes) this.recordEvent('rules', note);
    if (replies.length === 0) return;
    this.changed();
    this.acceptedBy?.changed();
    for (const reply of replies) {
      this.replyChain = this.replyChain
        .then(async () => {
          if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
          if (this.ended()) return;
          if (reply.bytes.byteLength > 0) await this.sendReply(reply.bytes, from, reply.rule);
          if (reply.close && !this.ended()) await this.close();
        })
        .catch((e: unknown) => {
          if (!(e instanceof EngineError && e.errno?.name === 'EBADF')) this.recordEvent('rules', '', fromSystemError(e, 'send'));
        });
    }
  }

  private ended(): boolean {
    return this.state === 'closed' || this.state === 'error';
  }

  /** Sends one automatic reply (to `to` for an unconnected datagram socket), noted with its rule. */
  protected sendReply(_bytes: Uint8Array, _to: SockAddr | undefined, _rule: string | undefined): Promise<void> {
    return Promise.reject(EngineError.state('EOPNOTSUPP', 'send', 'this session cannot answer automatically'));
  }

  /** What to send back for a received message in echo / reply mode, or null. */
  protected answerFor(message: Uint8Array): Uint8Array | null {
    if (this.serve.mode === 'echo') return message;
    if (this.serve.mode === 'reply') return this.serve.reply;
    return null;
  }
}

/** "None", "0.0" or seconds, as Python shows a socket timeout. */
function showTimeout(ms: number | null): string {
  return ms === null ? 'None' : ms === 0 ? '0.0' : String(ms / 1000);
}

/** The descriptor under a Node net/dgram handle (libuv exposes it on Unix). */
export function handleFd(owner: unknown): number | undefined {
  const fd = (owner as { _handle?: { fd?: unknown } } | undefined)?._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

export { formatErrno };
