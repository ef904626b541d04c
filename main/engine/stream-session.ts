// SOCK_STREAM sessions (TCP over AF_INET/AF_INET6, and AF_UNIX streams) over
// Node's net module. The descriptor is created, bound and put in the listening
// state by the native addon, so bind shows the ephemeral port before listen or
// connect, and a listener keeps its own descriptor: the accept queue is the
// kernel's. The listener accepts itself, with accept4 on readiness: as they
// arrive (auto accept), or when accept() is called (manual: connections wait
// in the kernel). Out of descriptors (EMFILE), auto accept stops and says so:
// connections wait in the kernel's queue until one is free, never accepted
// and closed unseen as libuv's own accept loop would.
// Connected sockets are handed to Node, which does the reading and writing;
// send() itself is one non-blocking send(2) on the descriptor, so a partial
// write is the kernel's own answer.
// TLS (main/engine/tls) sits on the connected net.Socket: connect then a
// client handshake, a TLS listener's accepted connections handshake as
// servers, and STARTTLS upgrades a plain connection in place; afterwards the
// session reads and writes through the TLSSocket (plain text in its log).
import net from 'node:net';
import type { Family, SessionInfo, SockAddr } from '../../shared/contract/index.js';
import type { TlsInfo } from '../../shared/contract/tls.js';
import { nowUs } from '../core/clock.js';
import { bindErrorField, EngineError, errnoName, fromSystemError, withField } from '../core/errors.js';
import { fromNativeAddr, toNativeAddr } from './addr.js';
import { native, type Watcher } from './native.js';
import { handleFd, Session, type SessionHost } from './session.js';
import { fdReadiness, waitFor, WaitLine } from './wait.js';
import { clientHandshake, describeTls, TlsFailure, tlsStreamError, type Handshake, type TlsServerSide } from './tls/handshake.js';
import type { ClientMaterial } from './tls/material.js';

/** How often a manual listener looks at its accept queue, and a starved one (EMFILE) tries again. */
const QUEUE_POLL_MS = 250;
/** Connections accepted per readiness event, so one busy listener cannot starve the rest. */
const ACCEPT_BATCH = 64;
/** accept(2) errors that mean "no descriptor for the connection now": it stays in the kernel's queue. */
const STARVED = new Set(['EMFILE', 'ENFILE', 'ENOBUFS', 'ENOMEM']);
/** Offset of tcpi_unacked in struct tcp_info: on a listener, the connections waiting in the accept queue. */
const TCPI_UNACKED = 24;

export class StreamSession extends Session {
  /** The descriptor while we own it: before connect, and for the whole life of a listener. */
  private fd: number | undefined;
  private sock: net.Socket | undefined;
  private acceptMode: 'auto' | 'manual' = 'auto';
  private pending: number | null = 0;
  private queueTimer: NodeJS.Timeout | undefined;
  /** Auto accept: the listener's readiness. */
  private acceptWatcher: Watcher | undefined;
  /** Auto accept found no free descriptor (EMFILE …): connections wait in the kernel until a retry succeeds. */
  private starved = false;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Manual accept: the accept() calls waiting, first come first served. */
  private acceptLine: WaitLine | undefined;
  /** send() calls waiting for room in the send buffer. */
  private sendLine: WaitLine | undefined;
  /** Manual read mode: a reset from the peer while Node is not reading (see watchHangup). */
  private hangup: { watcher: Watcher; fd: number } | undefined;
  private readShut = false;
  private writeShut = false;
  private peerEnded = false;
  /** Bytes that arrived after shutdown(SHUT_RD): Linux still queues and delivers them. */
  private afterShutRd = 0;
  /** Removes the listeners adopt() put on the connected socket (STARTTLS hands it to TLS). */
  private unadopt: (() => void) | undefined;
  /** TLS: the handshake and certificates (a session), or what a TLS listener presents. */
  private tlsInfo: TlsInfo | undefined;
  /** A TLS listener: runs each accepted connection's handshake. */
  private tlsServer: TlsServerSide | undefined;
  /** A handshake is running on a connected session (STARTTLS): nothing is sent or read meanwhile. */
  private upgrading = false;
  private readonly onData = (chunk: Buffer): void => {
    if (this.readShut) this.noteAfterShutRd(chunk.byteLength);
    this.noteData('in', chunk);
    const answer = this.answerFor(chunk);
    if (answer && this.sock && !this.writeShut) {
      this.sock.write(answer);
      this.noteData('out', answer);
    }
    this.respond(chunk);
  };

  static create(id: number, family: Family, host: SessionHost): StreamSession {
    const s = new StreamSession(id, family, 'SOCK_STREAM', host);
    s.fd = native().socket(family, 'SOCK_STREAM');
    s.record({ tUs: s.createdUs, call: 'socket', args: { family, type: 'SOCK_STREAM' }, ok: true, result: `fd ${s.fd}` });
    return s;
  }

  private static accepted(id: number, listener: StreamSession, sock: net.Socket): StreamSession {
    const s = new StreamSession(id, listener.family, 'SOCK_STREAM', listener.host);
    s.parent = listener.id;
    s.inheritServing(listener);
    if (listener.tlsServer) {
      // Connected, but usable once the TLS handshake is done: connecting until then.
      s.sock = sock;
      s.names(handleFd(sock));
      s.state = 'connecting';
    } else {
      s.adopt(sock);
      s.state = 'connected';
    }
    s.record({ tUs: s.createdUs, call: 'accept', args: {}, ok: true, result: `${Session.describe(s.local)} ← ${Session.describe(s.peer)} (from listener #${listener.id})` });
    const side = listener.tlsServer;
    if (side) void s.secure(sock, 'server', 'accept', { clientCert: side.material.clientCert }, () => side.handshake(sock, 'accept')).then(() => s.setState('connected'), () => undefined);
    return s;
  }

  override fileno(): number | undefined {
    return this.fd ?? handleFd(this.sock);
  }

  /** An automatic reply: queued through Node; done once the kernel took it (a close after it loses nothing). */
  protected override sendReply(bytes: Uint8Array, _to: SockAddr | undefined, rule: string | undefined): Promise<void> {
    const sock = this.sock;
    if (!sock || this.writeShut || (this.state !== 'connected' && this.state !== 'half-closed')) return Promise.resolve();
    this.noteData('out', bytes, undefined, rule);
    return new Promise((resolve, reject) => sock.write(bytes, (err) => (err ? reject(err) : resolve())));
  }

  override info(): SessionInfo {
    const info = super.info();
    if (this.tlsInfo) info.tls = this.tlsInfo;
    return info;
  }

  protected override listenerInfo(info: SessionInfo): void {
    if (this.state !== 'listening') return;
    info.acceptMode = this.acceptMode;
    info.pending = this.pending;
  }

  /** Local and peer addresses straight from the kernel (Node knows none for AF_UNIX). */
  private names(fd: number | undefined): void {
    if (fd === undefined) return;
    try {
      this.local = fromNativeAddr(native().getsockname(fd));
      this.peer = fromNativeAddr(native().getpeername(fd));
    } catch {
      // Not connected (yet): keep what we have.
    }
  }

  private adopt(sock: net.Socket): void {
    this.sock = sock;
    this.names(handleFd(sock));
    if (this.family !== 'AF_UNIX') sock.setNoDelay(true);
    if (this.readMode === 'auto') sock.on('data', this.onData);
    else {
      sock.pause();
      this.watchHangup();
    }
    const onEnd = (): void => {
      this.peerEnded = true;
      if (this.state === 'error') return; // (a TLS alert came first: it said why)
      this.recordEvent('recv', this.tlsInfo ? '0 bytes: the peer closed its side (TLS close_notify and FIN: no more data will arrive)' : '0 bytes: the peer sent FIN (no more data will arrive)');
      this.setState(this.writeShut ? 'closed' : 'half-closed');
    };
    const onError = (e: Error): void => {
      const alert = this.tlsInfo && tlsStreamError(e);
      const err = alert || fromSystemError(e, 'recv');
      this.recordEvent('recv', '', err);
      this.fail(err);
      if (alert) sock.destroy(); // a fatal alert ends the connection; Node leaves the socket open
    };
    const onClose = (): void => {
      this.stopConnectedWaits();
      if (this.state !== 'error' && this.state !== 'closed') {
        this.recordEvent('close', 'connection closed (both directions finished)');
        this.setState('closed');
      }
    };
    sock.on('end', onEnd);
    sock.on('error', onError);
    sock.on('close', onClose);
    this.unadopt = () => {
      sock.off('data', this.onData);
      sock.off('end', onEnd);
      sock.off('error', onError);
      sock.off('close', onClose);
    };
  }

  /**
   * Runs a TLS handshake over the connected `raw` socket (nothing of ours
   * reads it), traced as one call with its duration; the session then reads
   * and writes through the TLSSocket. A failure (a certificate that does not
   * verify included) leaves the session in error, its chain still shown.
   */
  private async secure(raw: net.Socket, role: 'client' | 'server', via: 'connect' | 'accept' | 'starttls', args: Record<string, unknown>, run: () => Promise<Handshake>): Promise<void> {
    this.tlsInfo = { role, via, state: 'handshaking' };
    if (via !== 'accept') this.changed(); // (an accepted session is not announced yet)
    let done: Handshake;
    try {
      done = await this.traced(via === 'starttls' ? 'starttls' : 'tls handshake', { role, ...args }, run, (h) => (via === 'starttls' ? `upgraded in place: ${describeTls(h.info)}` : describeTls(h.info)));
    } catch (e) {
      this.tlsInfo = e instanceof TlsFailure ? e.info : { ...this.tlsInfo, state: 'failed' };
      raw.destroy();
      if (this.state !== 'closed') this.fail(e as EngineError);
      else this.changed();
      throw e;
    }
    this.tlsInfo = done.info;
    if (this.state === 'closed') {
      done.sock.destroy();
      return;
    }
    this.adopt(done.sock);
  }

  /** A stream session, or EOPNOTSUPP naming the call (TLS needs a stream; there is no DTLS). */
  static of(s: Session, call: string): StreamSession {
    if (s instanceof StreamSession) return s;
    throw EngineError.os('EOPNOTSUPP', call, `session #${s.id} is ${s.family} ${s.type}: TLS runs over stream sockets (SOCK_STREAM); DTLS is not supported`);
  }

  /**
   * STARTTLS: the connected plain session becomes a TLS one in place. Our
   * reading stops first, so what the peer sends next (its hello) waits for
   * TLS; as the server, `send` (e.g. "220 Ready to start TLS") goes out in
   * the clear just before. The log keeps what came before.
   */
  async starttls(how: { role: 'client'; material: ClientMaterial } | { role: 'server'; side: TlsServerSide; send?: Uint8Array | undefined }, timeoutMs: number | null | undefined): Promise<void> {
    const timeout = timeoutMs === undefined ? this.timeoutMs : timeoutMs;
    const args = how.role === 'client' ? clientArgs(how.material) : { clientCert: how.side.material.clientCert, ...(how.send ? { sentBefore: `${how.send.byteLength} bytes` } : {}) };
    const raw = this.sock;
    const refuse = (errno: string, why: string): Promise<void> => this.traced('starttls', { role: how.role, ...args }, () => {
      throw EngineError.state(errno, 'starttls', why);
    }, () => '');
    this.requireNotClosed('starttls');
    if (this.tlsInfo) return refuse('EISCONN', 'the session already speaks TLS');
    if (!raw || this.state !== 'connected') return refuse('ENOTCONN', this.state === 'half-closed' ? 'the connection is half-closed: TLS needs both directions' : 'STARTTLS upgrades a connected session: connect first');
    if (this.family === 'AF_UNIX' && how.role === 'client' && !this.peer?.address) return refuse('EINVAL', 'no peer address to check the certificate against');
    this.unadopt?.();
    this.unadopt = undefined;
    raw.pause(); // what arrives now stays buffered: TLS reads it
    if (how.role === 'server' && how.send && how.send.byteLength > 0) {
      raw.write(how.send);
      this.noteData('out', how.send);
    }
    this.upgrading = true;
    try {
      await this.secure(raw, how.role, 'starttls', args, () =>
        how.role === 'client'
          ? clientHandshake(raw, how.material, { address: this.peer?.address ?? '', port: this.peer?.port ?? 0 }, 'starttls', timeout)
          : how.side.handshake(raw, 'starttls', timeout));
    } finally {
      this.upgrading = false;
    }
  }

  async bind(address: string, port: number): Promise<void> {
    this.requireNotClosed('bind');
    this.checkFamily(address, 'bind');
    try {
      await this.traced('bind', this.addrArgs(address, port), () => {
        if (this.fd === undefined || this.state !== 'created') {
          throw EngineError.state('EINVAL', 'bind', 'the socket is already bound');
        }
        native().bind(this.fd, toNativeAddr(this.family, address, port));
        this.local = fromNativeAddr(native().getsockname(this.fd));
      }, () => Session.describe(this.local));
    } catch (e) {
      throw withField(e, bindErrorField);
    }
    this.setState('bound');
  }

  /** With `tls`, each accepted connection runs a TLS server handshake. */
  async listen(backlog: number, acceptMode: 'auto' | 'manual' = 'auto', tls?: TlsServerSide): Promise<void> {
    this.requireNotClosed('listen');
    await this.traced('listen', { backlog, ...(tls ? { tls: tls.material.own.cert.subject } : {}) }, () => {
      if (this.fd === undefined || (this.state !== 'created' && this.state !== 'bound')) {
        throw EngineError.state('EINVAL', 'listen', `cannot listen on a socket that is ${this.state}`);
      }
      native().listen(this.fd, backlog);
      // accept() is tried without blocking: a wait happens in the event loop, never in the syscall.
      native().setNonBlocking(this.fd, true);
      this.backlog = backlog;
      this.local = fromNativeAddr(native().getsockname(this.fd));
      if (tls) {
        this.tlsServer = tls;
        const m = tls.material;
        this.tlsInfo = { role: 'server', via: 'listen', state: 'listening', own: m.own, clientCert: m.clientCert, ...(m.alpn ? { alpnOffered: m.alpn } : {}) };
      }
    }, () => `listening on ${Session.describe(this.local)}, backlog ${backlog}${tls ? `, TLS as ${tls.material.own.cert.subject} (SHA-256 ${tls.material.own.cert.fingerprint256})` : ''}`);
    this.state = 'listening';
    await this.setAcceptMode(acceptMode, true);
  }

  override async setAcceptMode(mode: 'auto' | 'manual', initial = false): Promise<void> {
    const fd = this.listeningDescriptor(this.fd);
    if (!initial && mode === this.acceptMode) return;
    this.acceptMode = mode;
    if (mode === 'auto') {
      clearInterval(this.queueTimer);
      this.queueTimer = undefined;
      this.acceptLine?.close(EngineError.state('EINVAL', 'accept', 'the listener was switched to auto accept: connections are accepted as they arrive'));
      this.acceptLine = undefined;
      this.pending = 0;
      this.acceptWatcher = native().watch(fd, 'r', (err) => this.acceptReady(fd, err));
    } else {
      this.stopAutoAccept();
      this.watchQueue();
    }
    if (!initial) this.recordAcceptMode(mode);
    this.changed();
  }

  private stopAutoAccept(): void {
    this.acceptWatcher?.stop();
    this.acceptWatcher = undefined;
    clearTimeout(this.retryTimer);
    this.starved = false;
  }

  /** Auto accept: takes what the kernel queued (a batch per readiness event), each a session of its own. */
  private acceptReady(fd: number, err: number): void {
    if (this.state !== 'listening' || this.acceptMode !== 'auto') return;
    if (err) {
      // (libuv paused the watcher; a listener that keeps failing is tried again only now and then)
      this.recordEvent('accept', '', fromSystemError({ code: errnoName(err) }, 'accept'));
      return this.retryLater();
    }
    for (let i = 0, failures = 0; i < ACCEPT_BATCH; i++) {
      let got: { fd: number } | null;
      try {
        got = native().accept(fd);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? '';
        if (STARVED.has(code)) return this.starve(fd, e);
        // ECONNABORTED and the like: that connection is gone (the kernel says which); the rest wait.
        this.recordEvent('accept', '', fromSystemError(e, 'accept'));
        if (++failures >= 8) return this.starve(fd, e);
        continue;
      }
      if (!got) break;
      if (this.starved) this.unstarve();
      const sock = new net.Socket({ fd: got.fd, allowHalfOpen: true, readable: true, writable: true });
      const child = this.host.adopt((id) => StreamSession.accepted(id, this, sock));
      this.recordEvent('accept', `session #${child.id} ← ${Session.describe(child.peer)}`);
    }
  }

  /**
   * No descriptor for the next connection: it stays in the kernel's accept
   * queue (the peer's connect is complete, its data waits there) and so do
   * the ones behind it, up to the backlog; the trace says so once, `pending`
   * shows how many wait, and accepting resumes when a descriptor is free.
   */
  private starve(fd: number, e: unknown): void {
    this.retryLater();
    if (!this.starved) {
      this.starved = true;
      const code = (e as NodeJS.ErrnoException).code ?? 'EMFILE';
      const why = code === 'EMFILE' ? 'this process has no free file descriptor (its open-files limit, ulimit -n, is reached)'
        : code === 'ENFILE' ? 'the system has no free file descriptor' : 'the kernel could not take the connection now';
      this.recordEvent('accept', '', EngineError.os(code, 'accept', `${why}: connections wait in the kernel's accept queue (up to the backlog of ${this.backlog}) and are accepted once a descriptor is free; beyond the backlog the kernel refuses them`));
    }
    this.pending = this.queueLength(fd);
    this.changed();
  }

  /** Auto accept pauses, and looks at the listener again after a while. */
  private retryLater(): void {
    this.acceptWatcher?.update('');
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (this.state === 'listening' && this.acceptMode === 'auto') this.acceptWatcher?.update('r');
    }, QUEUE_POLL_MS);
    this.retryTimer.unref();
  }

  private unstarve(): void {
    this.starved = false;
    this.recordEvent('accept', 'descriptors are free again: the connections that waited in the kernel queue are accepted');
    this.pending = 0;
    this.changed();
  }

  /** Manual accept: how many connections the kernel holds for us (TCP says exactly; AF_UNIX only whether any). */
  private queueLength(fd: number): number | null {
    const n = native();
    if (this.family !== 'AF_UNIX') {
      const info = n.getsockopt(fd, n.constants.IPPROTO_TCP, n.constants.TCP_INFO, 104);
      if (info.byteLength >= TCPI_UNACKED + 4) return info.readUInt32LE(TCPI_UNACKED);
    }
    return n.poll(fd, n.constants.POLLIN, 0) & n.constants.POLLIN ? null : 0;
  }

  private watchQueue(): void {
    const look = (): void => {
      if (this.fd === undefined || this.state !== 'listening') return;
      const now = this.queueLength(this.fd);
      if (now !== this.pending) {
        this.pending = now;
        this.changed();
      }
    };
    look();
    this.queueTimer = setInterval(look, QUEUE_POLL_MS);
    this.queueTimer.unref();
  }

  override async accept(): Promise<Session> {
    return this.traced('accept', {}, async () => {
      this.requireNotClosed('accept');
      if (this.state !== 'listening' || this.fd === undefined) {
        throw EngineError.state('EINVAL', 'accept', 'accept needs a listening socket: call listen first');
      }
      if (this.acceptMode === 'auto') {
        throw EngineError.state('EINVAL', 'accept', 'auto-accept is on: connections are accepted as they arrive; switch to manual accept to take them one by one');
      }
      const fd = this.fd;
      const got = await waitFor(() => native().accept(fd), {
        timeoutMs: this.timeoutMs, call: 'accept',
        idle: 'no connection is waiting',
        stillValid: () => this.state === 'listening',
        line: (this.acceptLine ??= new WaitLine(fdReadiness(fd, 'r', false))),
      });
      const sock = new net.Socket({ fd: got.fd, allowHalfOpen: true, readable: true, writable: true });
      const child = this.host.adopt((id) => StreamSession.accepted(id, this, sock));
      this.pending = this.queueLength(fd);
      this.changed();
      return child;
    }, (child) => `session #${child.id} ← ${Session.describe(child.peer)}`);
  }

  async connect(address: string, port: number, timeoutMs: number | null | undefined, call: 'connect' | 'connect_ex' = 'connect', tls?: ClientMaterial): Promise<void> {
    this.requireNotClosed(call);
    this.checkFamily(address, call);
    const { timeout, args } = this.connectArgs(address, port, timeoutMs);
    try {
      await this.traced(call, args, () => {
        if (this.state === 'connected' || this.state === 'half-closed' || this.state === 'listening') {
          throw EngineError.state('EISCONN', call, 'the socket is already connected or listening');
        }
        if (this.state === 'connecting') throw EngineError.state('EALREADY', call, 'a connect is already in progress');
        if (this.fd === undefined) throw EngineError.state('EBADF', call, 'the socket was closed by a failed connect; create a new one');
        if (this.family === 'AF_UNIX') return this.connectUnix(this.fd, address, timeout, call);
        const sock = new net.Socket({ fd: this.fd, allowHalfOpen: true, readable: true, writable: true });
        this.fd = undefined;
        this.sock = sock;
        this.setState('connecting');
        return new Promise<void>((resolve, reject) => {
          const timer = timeout === null ? undefined : setTimeout(() => {
            sock.destroy();
            reject(EngineError.os('ETIMEDOUT', call, `no answer from ${Session.describe(this.addr(address, port))} within ${timeout} ms`));
          }, timeout);
          sock.once('error', (e) => {
            clearTimeout(timer);
            reject(e);
          });
          sock.once('connect', () => {
            clearTimeout(timer);
            sock.removeAllListeners('error');
            if (tls) this.names(handleFd(sock)); // TLS reads it next
            else this.adopt(sock);
            resolve();
          });
          sock.connect({ port, host: address });
        });
      }, () => `${Session.describe(this.local)} → ${Session.describe(this.peer)}`);
    } catch (e) {
      if (this.state === 'connecting') this.fail(e as EngineError);
      throw withField(e, (n) => (n === 'ENOENT' || n === 'ECONNREFUSED' && this.family === 'AF_UNIX' ? 'address' : undefined));
    }
    const raw = this.sock;
    if (tls && raw) await this.secure(raw, 'client', 'connect', clientArgs(tls), () => clientHandshake(raw, tls, { address, port }, 'connect', timeout));
    this.setState('connected');
  }

  /**
   * AF_UNIX connects in the kernel at once, or says EAGAIN while the listener's
   * queue is full; the call itself is made here (Node cannot name abstract
   * sockets), and Node gets the connected descriptor.
   */
  private async connectUnix(fd: number, path: string, timeout: number | null, call: string): Promise<void> {
    native().setNonBlocking(fd, true);
    this.setState('connecting');
    await waitFor(() => {
      try {
        return native().connect(fd, { family: 'AF_UNIX', path }) ? true : null;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return null;
        throw e;
      }
    }, {
      timeoutMs: timeout, call,
      idle: 'the listener’s accept queue is full',
      stillValid: () => this.state === 'connecting',
    });
    this.fd = undefined;
    this.adopt(new net.Socket({ fd, allowHalfOpen: true, readable: true, writable: true }));
  }

  private connectedSocket(call: string, unconnectedErrno: string): net.Socket {
    this.requireNotClosed(call);
    if (!this.sock || (this.state !== 'connected' && this.state !== 'half-closed')) {
      throw EngineError.state(unconnectedErrno, call, this.tlsInfo?.state === 'handshaking' ? 'the TLS handshake is not done yet' : 'the socket is not connected');
    }
    if (this.upgrading) throw EngineError.state('EAGAIN', call, 'the TLS upgrade (STARTTLS) is in progress: try again once it is done');
    if (call.startsWith('send') && this.writeShut) throw EngineError.os('EPIPE', call, 'this side was shut down for writing (SHUT_WR)');
    return this.sock;
  }

  /** One send(2). Node's own queue must be empty, or our bytes would overtake its. */
  async send(data: Uint8Array): Promise<number> {
    const sent = await this.traced('send', { bytes: data.byteLength }, async () => {
      const sock = this.connectedSocket('send', 'EPIPE');
      const fd = handleFd(sock);
      const queued = sock.writableLength + ((sock as unknown as { _handle?: { writeQueueSize?: number } })._handle?.writeQueueSize ?? 0);
      // TLS: one write of a record through the TLSSocket (a partial send(2) of ciphertext means nothing to the peer).
      if (fd === undefined || queued > 0 || this.tlsInfo) return { n: await this.writeAll(sock, data, 'send'), counted: true };
      const n = await waitFor(() => native().send(fd, data), {
        timeoutMs: this.timeoutMs, call: 'send',
        idle: 'the send buffer is full, nothing was sent',
        stillValid: () => this.state === 'connected' || this.state === 'half-closed',
        // Node polls this descriptor itself: readiness is watched on a duplicate.
        line: (this.sendLine ??= new WaitLine(fdReadiness(fd, 'w', true))),
      });
      return { n, counted: false };
    }, ({ n }) => (n < data.byteLength ? `${n} of ${data.byteLength} bytes: the send buffer took only part; send the rest again or use sendall` : `${n} bytes`));
    if (sent.n > 0 && !sent.counted) this.noteData('out', data.subarray(0, sent.n));
    return sent.n;
  }

  async sendall(data: Uint8Array): Promise<number> {
    return this.traced('sendall', { bytes: data.byteLength }, () => this.writeAll(this.connectedSocket('sendall', 'EPIPE'), data, 'sendall'), () => 'None (every byte queued)');
  }

  /**
   * Queues everything through Node and waits until the kernel has taken it
   * (bounded by the timeout). The bytes count as sent once queued: after a
   * timeout Node still delivers them, and the counters must agree with the peer.
   */
  private writeAll(sock: net.Socket, data: Uint8Array, call: string): Promise<number> {
    this.noteData('out', data);
    return new Promise<number>((resolve, reject) => {
      const timer = this.timeoutMs === null ? undefined : setTimeout(() => {
        reject(EngineError.os('ETIMEDOUT', call, `not every byte was taken within ${this.timeoutMs} ms (the peer is not reading); the rest stays queued`));
      }, Math.max(this.timeoutMs, 1));
      sock.write(data, (err) => {
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(data.byteLength);
      });
    });
  }

  async sendto(data: Uint8Array): Promise<number> {
    // A stream socket ignores the address of sendto, as Linux does; an unconnected one gives EPIPE.
    return this.send(data);
  }

  async recv(bufsize: number): Promise<Uint8Array> {
    return this.traced('recv', { bufsize }, async () => {
      const sock = this.connectedSocket('recv', 'ENOTCONN');
      if (this.readMode === 'auto') {
        throw EngineError.state('EINVAL', 'recv', 'auto-read is on: data is read as it arrives; switch to manual read mode to call recv');
      }
      const chunk = await this.readSome(sock, bufsize);
      if (chunk.byteLength > 0 && this.readShut) this.noteAfterShutRd(chunk.byteLength);
      if (chunk.byteLength > 0) this.noteData('in', chunk);
      return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }, (d) => (d.byteLength === 0 ? '0 bytes (end of stream)' : `${d.byteLength} bytes`));
  }

  /** At most bufsize bytes; waits up to the session timeout (None = forever, 0 = non-blocking). */
  private readSome(sock: net.Socket, bufsize: number): Promise<Buffer> {
    const take = (): Buffer | null => {
      const chunk = sock.read() as Buffer | null;
      if (chunk === null) return null;
      if (chunk.byteLength > bufsize) {
        sock.unshift(chunk.subarray(bufsize));
        return chunk.subarray(0, bufsize);
      }
      return chunk;
    };
    const now = take();
    if (now) return Promise.resolve(now);
    if (this.peerEnded || sock.readableEnded) return Promise.resolve(Buffer.alloc(0));
    // After SHUT_RD, 0 at once unless the kernel still holds data (Node fetches it on its next read).
    if (this.readShut && !this.kernelHasData(sock)) return Promise.resolve(Buffer.alloc(0));
    if (this.timeoutMs === 0) return Promise.reject(EngineError.os('EAGAIN', 'recv', 'no data available right now (non-blocking socket)'));
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        sock.off('readable', onReadable);
        sock.off('end', onEnd);
        sock.off('close', onEnd);
      };
      const onReadable = (): void => {
        const got = take();
        if (got) {
          done();
          resolve(got);
        }
      };
      const onEnd = (): void => {
        done();
        resolve(Buffer.alloc(0));
      };
      const timer = this.timeoutMs === null ? undefined : setTimeout(() => {
        done();
        reject(EngineError.os('ETIMEDOUT', 'recv', `timed out: no data within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      sock.on('readable', onReadable);
      sock.once('end', onEnd);
      sock.once('close', onEnd);
    });
  }

  private kernelHasData(sock: net.Socket): boolean {
    const fd = handleFd(sock);
    const C = native().constants;
    return fd !== undefined && (native().poll(fd, C.POLLIN, 0) & C.POLLIN) !== 0;
  }

  async recvfrom(bufsize: number): Promise<{ data: Uint8Array; from: SockAddr }> {
    const data = await this.recv(bufsize);
    return { data, from: this.getpeername() };
  }

  setReadMode(mode: 'auto' | 'manual'): void {
    this.requireNotClosed('setReadMode');
    if (mode === this.readMode) return;
    this.readMode = mode;
    if (this.sock) {
      if (mode === 'auto') {
        this.stopHangup();
        this.sock.on('data', this.onData);
        this.sock.resume();
      } else {
        this.sock.off('data', this.onData);
        this.sock.pause();
        this.watchHangup();
      }
    }
    this.record({ tUs: nowUs(), call: 'read mode', args: { mode }, ok: true, result: mode === 'auto' ? 'auto-read: data shown as it arrives' : 'manual: call recv to read' });
    this.changed();
  }

  /**
   * SHUT_RD as Linux does it for TCP: reads return what is queued and then 0
   * instead of waiting, and data the peer still sends is queued and readable
   * (Linux neither refuses nor drops it). So it is still read and counted:
   * shown as it arrives in auto-read mode, returned by recv in manual mode.
   */
  async shutdown(how: 'SHUT_RD' | 'SHUT_WR' | 'SHUT_RDWR'): Promise<void> {
    await this.traced('shutdown', { how }, () => {
      const sock = this.connectedSocket('shutdown', 'ENOTCONN');
      if (how !== 'SHUT_WR') this.readShut = true;
      if (how !== 'SHUT_RD' && !this.writeShut) {
        this.writeShut = true;
        sock.end();
      }
    }, () => (how === 'SHUT_RD' ? 'recv now returns 0 once nothing is queued (data the peer still sends is queued and readable, as Linux keeps it)' : 'FIN sent'));
    this.setState(this.readShut && this.writeShut ? 'closed' : 'half-closed');
  }

  /** Data after SHUT_RD: said once in the trace, then counted as any other. */
  private noteAfterShutRd(bytes: number): void {
    if (this.afterShutRd === 0) this.recordEvent('recv', `${bytes} bytes arrived after shutdown(SHUT_RD): Linux still queues and delivers them, so they are read and counted like any other`);
    this.afterShutRd += bytes;
  }

  async close(): Promise<void> {
    await this.traced('close', {}, () => {
      this.requireNotClosed('close');
      this.state = 'closed'; // before destroy, so the socket's own 'close' event is not traced twice
      clearInterval(this.queueTimer);
      this.stopAutoAccept();
      this.acceptLine?.close();
      this.stopConnectedWaits();
      this.sock?.destroy();
      if (this.fd !== undefined) native().close(this.fd);
      this.fd = undefined;
    }, () => 'closed');
    this.changed();
  }

  /** The connected socket is gone: calls waiting on it wake (EBADF), the reset watcher goes. */
  private stopConnectedWaits(): void {
    this.sendLine?.close();
    this.sendLine = undefined;
    this.stopHangup();
  }

  /**
   * Manual read mode: Node reads ahead only so far (16 KiB), then leaves the
   * rest in the kernel and stops looking, so a reset from the peer would show
   * only at the next recv. A watcher for the peer's hang-up (POLLRDHUP, and
   * the error a reset leaves) on a duplicate descriptor shows it when it
   * happens. A plain FIN is not shown early: the data before it must be read first.
   */
  private watchHangup(): void {
    const fd = handleFd(this.sock);
    if (fd === undefined || this.hangup || this.readMode !== 'manual') return;
    let dup: number;
    try {
      dup = native().dup(fd);
    } catch {
      return; // no descriptor to spare: the reset shows at the next recv, as before
    }
    const watcher = native().watch(dup, 'h', (err) => {
      this.stopHangup();
      if (!err || this.state === 'error' || this.state === 'closed') return;
      const e = fromSystemError({ code: errnoName(err) }, 'recv');
      this.recordEvent('recv', '', e);
      this.fail(e);
    });
    this.hangup = { watcher, fd: dup };
  }

  private stopHangup(): void {
    if (!this.hangup) return;
    this.hangup.watcher.stop();
    native().close(this.hangup.fd);
    this.hangup = undefined;
  }

  getsockname(): SockAddr {
    this.requireNotClosed('getsockname');
    const fd = this.fileno();
    if (fd !== undefined) return fromNativeAddr(native().getsockname(fd));
    if (this.local) return this.local;
    throw EngineError.state('EINVAL', 'getsockname', 'the socket has no local address yet');
  }

  getpeername(): SockAddr {
    this.requireNotClosed('getpeername');
    if (!this.peer || (this.state !== 'connected' && this.state !== 'half-closed')) {
      throw EngineError.state('ENOTCONN', 'getpeername', 'the socket is not connected');
    }
    return this.peer;
  }
}


/** A client handshake's arguments as the trace shows them. */
function clientArgs(m: ClientMaterial): Record<string, unknown> {
  return {
    ...(m.servername ? { servername: m.servername } : {}),
    ...(m.alpn ? { alpn: m.alpn.join(',') } : {}),
    verify: m.verify,
    ...(m.own ? { cert: m.own.cert.subject } : {}),
    ...(m.minVersion ? { minVersion: m.minVersion } : {}),
    ...(m.maxVersion ? { maxVersion: m.maxVersion } : {}),
  };
}
