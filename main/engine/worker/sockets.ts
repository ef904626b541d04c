// The worker's sockets: handles → non-blocking descriptors, one uv_poll
// watcher each (libuv allows no more per fd), armed for exactly what is
// waiting: a connect, recv/accept calls, sendall jobs, auto-read or accept.
import { constants as osConstants } from 'node:os';
import { getSystemErrorMap } from 'node:util';
import { isNativeError, native, type NativeAddr, type Received, type SocketFamily, type SocketType, type WatchEvents, type Watcher } from '../native.js';
import type { Args, Handle, OpName, Result, CallFailure, WorkerEvent } from './worker-protocol.js';

const n = native();
const C = n.constants;

/** Per wake-up, so one busy socket cannot starve the others or the IPC. */
const READ_BATCH = 64;
const READ_BYTES = 1024 * 1024;
const ACCEPT_BATCH = 64;
/** Auto-read/accept stops after this many failures in a row (a persistent error would spin). */
const MAX_ERROR_STREAK = 8;

const errnoNumbers = osConstants.errno as Record<string, number>;
// The addon's names where two share a number (EAGAIN, not EWOULDBLOCK).
const errnoNames = new Map<number, string>([[C.EAGAIN, 'EAGAIN'], [C.EOPNOTSUPP, 'EOPNOTSUPP']]);
for (const [name, num] of Object.entries(errnoNumbers)) if (!errnoNames.has(num)) errnoNames.set(num, name);

/** An Error shaped like Node's system errors (and the addon's). */
export function sysError(code: string, syscall: string, detail?: string): Error & CallFailure {
  const num = errnoNumbers[code] ?? 0;
  const e = new Error(`${code}: ${detail ?? getSystemErrorMap().get(-num)?.[1] ?? 'failed'}, ${syscall}`) as Error & CallFailure;
  Object.assign(e, { code, errno: -num, syscall });
  return e;
}

const fromErrno = (num: number, syscall: string) => sysError(errnoNames.get(num) ?? `E${num}`, syscall);

export function toWire(e: unknown): CallFailure {
  if (isNativeError(e)) return { code: e.code, errno: e.errno, message: e.message, syscall: e.syscall };
  const message = e instanceof Error ? e.message : String(e);
  return { code: 'EINVAL', errno: -osConstants.errno.EINVAL, message };
}

interface Waiter<T> {
  resolve(v: T): void;
  reject(e: unknown): void;
  timer?: NodeJS.Timeout;
}
interface RecvWait extends Waiter<Received> {
  bufsize: number;
  flags: number;
}
interface SendJob extends Waiter<number> {
  data: Uint8Array;
  off: number;
}
interface PollWait extends Waiter<number> {
  events: number;
}

class Sock {
  watcher: Watcher | undefined;
  armed: WatchEvents | '' = '';
  listening = false;
  autoRead = false;
  readSize = 65536;
  autoAccept = false;
  wantPending = false;
  eof = false;
  /** POLLERR with no socket error: stop polling rather than spin. */
  broken = false;
  errorStreak = 0;
  connecting: Waiter<null> | undefined;
  recvs: RecvWait[] = [];
  accepts: Waiter<{ handle: Handle; peer: NativeAddr }>[] = [];
  sends: SendJob[] = [];
  /** Calls waiting for readiness itself (the main process's blocking send waits here, then tries). */
  polls: PollWait[] = [];
  constructor(
    readonly id: Handle,
    readonly fd: number,
    readonly type: SocketType,
  ) {}
}

export interface Sink {
  post(ev: WorkerEvent, size?: number): void;
  congested(): boolean;
}

export class Sockets {
  private readonly socks = new Map<Handle, Sock>();
  private next: number;

  /** Handles are generation·2³² + n, so a restarted worker never reuses one. */
  constructor(
    private readonly out: Sink,
    generation: number,
  ) {
    this.next = generation * 2 ** 32 + 1;
  }

  /** The IPC channel drained: arm the readers that paused. */
  resume(): void {
    for (const s of this.socks.values()) this.arm(s);
  }

  run<O extends OpName>(op: O, args: Args<O>): Result<O> | Promise<Result<O>> {
    const a = args as unknown[];
    if (op === 'socket') return this.add(n.socket(a[0] as SocketFamily, a[1] as SocketType, (a[2] as number | undefined) ?? 0, true), a[1] as SocketType) as Result<O>;
    const s = this.get(a[0] as Handle, op);
    const run = this.ops[op as Exclude<OpName, 'socket'>] as unknown as (s: Sock, ...rest: unknown[]) => Result<O> | Promise<Result<O>>;
    return run(s, ...a.slice(1));
  }

  private readonly ops: { [O in Exclude<OpName, 'socket'>]: (s: Sock, ...rest: never[]) => unknown } = {
    bind: (s, addr: NativeAddr) => (n.bind(s.fd, addr), null),
    listen: (s, backlog: number) => {
      n.listen(s.fd, backlog);
      s.listening = true;
      s.wantPending = !s.autoAccept;
      this.arm(s);
      return null;
    },
    connect: (s, addr: NativeAddr) => this.connect(s, addr),
    accept: (s, timeoutMs?: number | null) => this.accept(s, timeoutMs),
    getsockname: (s) => n.getsockname(s.fd),
    getpeername: (s) => n.getpeername(s.fd),
    send: (s, data: Uint8Array, flags?: number) => this.sendOnce(s, 'send', () => n.send(s.fd, data, flags ?? 0)),
    sendto: (s, data: Uint8Array, addr: NativeAddr | null, flags?: number) => this.sendOnce(s, 'sendto', () => n.sendto(s.fd, data, addr, flags ?? 0)),
    sendall: (s, data: Uint8Array) => this.sendall(s, data),
    recv: (s, bufsize: number, timeoutMs: number | null, flags?: number) => this.recv(s, bufsize, timeoutMs, flags ?? 0),
    shutdown: (s, how: 0 | 1 | 2) => (n.shutdown(s.fd, how), null),
    close: (s) => this.close(s),
    setsockopt: (s, level: number, name: number, value: Uint8Array) => (n.setsockopt(s.fd, level, name, value), null),
    getsockopt: (s, level: number, name: number, maxLen: number) => n.getsockopt(s.fd, level, name, maxLen),
    poll: (s, events: number, timeoutMs?: number | null) => {
      const now = n.poll(s.fd, events, 0);
      if (now || timeoutMs === undefined) return now;
      if (timeoutMs === 0) throw sysError('EAGAIN', 'poll', 'not ready');
      return this.wait(s, s.polls, { events }, timeoutMs, 'poll');
    },
    autoRead: (s, on: boolean, bufsize?: number) => {
      if (s.listening) throw sysError('EINVAL', 'autoRead', 'the socket is listening: use autoAccept');
      Object.assign(s, { autoRead: on, readSize: bufsize ?? s.readSize, errorStreak: 0 });
      this.arm(s);
      return null;
    },
    autoAccept: (s, on: boolean) => {
      if (!s.listening) throw sysError('EINVAL', 'autoAccept', 'the socket is not listening');
      Object.assign(s, { autoAccept: on, wantPending: !on, errorStreak: 0 });
      this.arm(s);
      return null;
    },
  };

  private add(fd: number, type: SocketType): Handle {
    const id = this.next++;
    this.socks.set(id, new Sock(id, fd, type));
    return id;
  }

  private get(h: Handle, op: string): Sock {
    const s = this.socks.get(h);
    if (!s) throw sysError('EBADF', op, `no socket with handle ${h} in this worker`);
    return s;
  }

  private connect(s: Sock, addr: NativeAddr): null | Promise<null> {
    if (s.connecting) throw sysError('EALREADY', 'connect', 'a connect is already in progress');
    if (n.connect(s.fd, addr)) return null;
    return new Promise((resolve, reject) => {
      s.connecting = { resolve, reject };
      this.arm(s);
    });
  }

  private accept(s: Sock, timeoutMs: number | null | undefined) {
    const now = s.accepts.length ? null : this.acceptOne(s);
    if (now || timeoutMs === undefined) return now;
    if (timeoutMs === 0) throw sysError('EAGAIN', 'accept', 'no connection is waiting');
    return this.wait(s, s.accepts, {}, timeoutMs, 'accept');
  }

  private acceptOne(s: Sock): { handle: Handle; peer: NativeAddr } | null {
    s.wantPending = !s.autoAccept; // the user took one: tell them about the next
    const got = n.accept(s.fd);
    if (!got) return null;
    return { handle: this.add(got.fd, s.type), peer: got.peer };
  }

  private recv(s: Sock, bufsize: number, timeoutMs: number | null, flags: number) {
    const now = s.recvs.length ? null : this.recvOne(s, bufsize, flags);
    if (now) return now;
    if (timeoutMs === 0) throw sysError('EAGAIN', 'recv', 'no data available right now');
    return this.wait(s, s.recvs, { bufsize, flags }, timeoutMs, 'recv');
  }

  private recvOne(s: Sock, bufsize: number, flags: number): Received | null {
    const got = n.recv(s.fd, bufsize, flags);
    if (got && this.isEof(s, got)) s.eof = true;
    return got;
  }

  /** Zero bytes is EOF on a stream; on SOCK_SEQPACKET only once the peer hung up
   * (a zero-length message is data). Datagram sockets have no EOF. */
  private isEof(s: Sock, got: Received): boolean {
    if (got.data.length > 0 || s.type === 'SOCK_DGRAM') return false;
    if (s.type === 'SOCK_STREAM') return true;
    return (n.poll(s.fd, C.POLLIN | C.POLLRDHUP, 0) & (C.POLLRDHUP | C.POLLHUP)) !== 0;
  }

  private wait<T, W extends Waiter<T>>(s: Sock, queue: W[], extra: Omit<W, keyof Waiter<T>>, timeoutMs: number | null, call: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const w = { ...extra, resolve, reject } as W;
      if (timeoutMs !== null) {
        w.timer = setTimeout(() => {
          queue.splice(queue.indexOf(w), 1);
          reject(sysError('ETIMEDOUT', call, `timed out after ${timeoutMs} ms`));
          this.arm(s);
        }, timeoutMs);
      }
      queue.push(w);
      this.arm(s);
    });
  }

  private sendOnce(s: Sock, call: string, attempt: () => number | null): number {
    if (s.sends.length) throw sysError('EAGAIN', call, 'a sendall is still queueing bytes on this socket');
    const sent = attempt();
    if (sent === null) throw sysError('EAGAIN', call, 'the send buffer is full');
    return sent;
  }

  private sendall(s: Sock, data: Uint8Array): Promise<number> {
    return new Promise((resolve, reject) => {
      s.sends.push({ data, off: 0, resolve, reject });
      this.pumpSends(s);
      this.arm(s);
    });
  }

  private pumpSends(s: Sock): void {
    while (s.sends.length) {
      const job = s.sends[0]!;
      let k: number | null;
      try {
        k = n.send(s.fd, job.off ? job.data.subarray(job.off) : job.data);
      } catch (e) {
        this.settle(s.sends.splice(0), (w) => w.reject(e)); // the stream is broken for every queued job
        return;
      }
      if (k === null) return;
      job.off += k;
      if (job.off >= job.data.length) {
        s.sends.shift();
        job.resolve(job.data.length);
      }
    }
  }

  private close(s: Sock): null {
    this.socks.delete(s.id);
    s.watcher?.stop();
    this.failWaiters(s, sysError('EBADF', 'close', 'the socket was closed while the call waited'));
    n.close(s.fd);
    return null;
  }

  private settle<W extends Waiter<never>>(ws: W[], f: (w: W) => void): void {
    for (const w of ws) {
      clearTimeout(w.timer);
      f(w);
    }
  }

  /** Rejects everything waiting on the socket; false when nothing was. */
  private failWaiters(s: Sock, e: Error): boolean {
    const all: Waiter<never>[] = [...s.recvs, ...s.accepts, ...s.sends, ...s.polls];
    if (s.connecting) all.push(s.connecting);
    s.connecting = undefined;
    s.recvs = [];
    s.accepts = [];
    s.sends = [];
    s.polls = [];
    this.settle(all, (w) => w.reject(e));
    return all.length > 0;
  }

  private interest(s: Sock): WatchEvents | '' {
    if (s.broken) return '';
    const flowing = !this.out.congested();
    let r = s.recvs.length > 0 || s.accepts.length > 0 || s.polls.some((p) => p.events & C.POLLIN);
    if (s.listening) r ||= s.autoAccept ? flowing : s.wantPending;
    else r ||= s.autoRead && flowing && !s.eof;
    const w = s.connecting !== undefined || s.sends.length > 0 || s.polls.some((p) => p.events & C.POLLOUT);
    return r && w ? 'rw' : r ? 'r' : w ? 'w' : '';
  }

  private arm(s: Sock): void {
    if (!this.socks.has(s.id)) return;
    const want = this.interest(s);
    if (want === s.armed) return;
    if (s.watcher) s.watcher.update(want);
    else if (want) s.watcher = n.watch(s.fd, want, (err, r, w) => this.ready(s, err, r, w));
    s.armed = want;
  }

  private ready(s: Sock, err: number, readable: boolean, writable: boolean): void {
    if (!this.socks.has(s.id)) return;
    try {
      if (err) this.failed(s, err);
      if (readable || writable) this.pollReady(s, (readable ? C.POLLIN : 0) | (writable ? C.POLLOUT : 0));
      if (readable) (s.listening ? this.acceptReady : this.readReady).call(this, s);
      if (writable) this.writeReady(s);
      this.arm(s);
    } catch (e) {
      // A bug here must cost this socket's events, not the worker.
      s.broken = true;
      this.failWaiters(s, e instanceof Error ? e : new Error(String(e)));
      this.out.post({ event: 'error', handle: s.id, error: toWire(e) });
      s.watcher?.update('');
      s.armed = '';
    }
  }

  /** Readiness waiters whose events came, in order. */
  private pollReady(s: Sock, revents: number): void {
    const ready = s.polls.filter((p) => p.events & revents);
    for (const p of ready) s.polls.splice(s.polls.indexOf(p), 1); // in place: a waiter's timer holds this array
    this.settle(ready, (p) => p.resolve(p.events & revents));
  }

  private failed(s: Sock, err: number): void {
    s.armed = ''; // libuv paused the handle
    if (err === -C.EBADF) s.broken = true;
    const e = fromErrno(-err, 'poll');
    if (!this.failWaiters(s, e)) this.out.post({ event: 'error', handle: s.id, error: toWire(e) });
  }

  private readReady(s: Sock): void {
    while (s.recvs.length) {
      const w = s.recvs[0]!;
      let got: Received | null;
      try {
        got = this.recvOne(s, w.bufsize, w.flags);
      } catch (e) {
        s.recvs.shift();
        this.settle([w], () => w.reject(e));
        continue;
      }
      if (!got) return;
      s.recvs.shift();
      this.settle([w], () => w.resolve(got));
    }
    for (let i = 0, bytes = 0; s.autoRead && !s.eof && i < READ_BATCH && bytes < READ_BYTES && !this.out.congested(); i++) {
      let got: Received | null;
      try {
        // Messages: MSG_TRUNC makes the kernel say a longer one's whole length (what the read buffer let go).
        got = this.recvOne(s, s.readSize, s.type === 'SOCK_STREAM' ? 0 : C.MSG_TRUNC);
      } catch (e) {
        this.streakError(s, e, 'autoRead');
        return;
      }
      if (!got) return;
      s.errorStreak = 0;
      if (s.eof) this.out.post({ event: 'eof', handle: s.id });
      else this.out.post({ event: 'data', handle: s.id, data: got.data, from: got.from, truncated: got.truncated, ...(got.truncated && got.length !== undefined ? { length: got.length } : {}) }, got.data.length);
      bytes += got.data.length;
    }
  }

  private acceptReady(s: Sock): void {
    while (s.accepts.length) {
      const w = s.accepts[0]!;
      let got: { handle: Handle; peer: NativeAddr } | null;
      try {
        got = this.acceptOne(s);
      } catch (e) {
        s.accepts.shift();
        this.settle([w], () => w.reject(e));
        continue;
      }
      if (!got) return;
      s.accepts.shift();
      this.settle([w], () => w.resolve(got));
    }
    if (!s.autoAccept) {
      // Waiting accept() calls above may have taken every connection: say "pending" only for one that is there.
      if (s.wantPending && (n.poll(s.fd, C.POLLIN, 0) & C.POLLIN) !== 0) {
        this.out.post({ event: 'pending', handle: s.id });
        s.wantPending = false;
      }
      return;
    }
    for (let i = 0; s.autoAccept && i < ACCEPT_BATCH && !this.out.congested(); i++) {
      let got: { fd: number; peer: NativeAddr } | null;
      try {
        got = n.accept(s.fd);
      } catch (e) {
        this.streakError(s, e, 'autoAccept');
        return;
      }
      if (!got) return;
      s.errorStreak = 0;
      this.out.post({ event: 'accepted', handle: s.id, child: this.add(got.fd, s.type), peer: got.peer });
    }
  }

  private streakError(s: Sock, e: unknown, what: 'autoRead' | 'autoAccept'): void {
    this.out.post({ event: 'error', handle: s.id, error: toWire(e) });
    if (++s.errorStreak < MAX_ERROR_STREAK) return;
    s[what] = false;
    this.out.post({ event: 'error', handle: s.id, error: toWire(sysError(toWire(e).code, what, `${what} stopped after ${MAX_ERROR_STREAK} failures in a row`)) });
  }

  private writeReady(s: Sock): void {
    const c = s.connecting;
    if (c) {
      s.connecting = undefined;
      const soErr = n.getsockopt(s.fd, C.SOL_SOCKET, C.SO_ERROR, 4).readInt32LE(0);
      if (soErr) c.reject(fromErrno(soErr, 'connect'));
      else c.resolve(null);
    }
    this.pumpSends(s);
  }
}
