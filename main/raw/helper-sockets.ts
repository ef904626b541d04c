// The helper's raw sockets (raw-socket 1.8.1): open, send with per-send
// TTL/TOS/DF, close, ICMP type filters, and every received packet with a
// timestamp taken first thing in the receive callback. Imported only by the
// helper process; uses only node:* and raw-socket.
import { constants as osConstants, endianness } from 'node:os';
import type { EventEmitter } from 'node:events';
import { getSystemErrorMap } from 'node:util';
import raw, { type Socket } from 'raw-socket';
import { isIPv4, isIPv6 } from '../../shared/net/address.js';
import { Flood, type FloodSinks, type FloodSocket } from './flood.js';
import { MAX_SOCKETS, type FloodArgs, type FloodResult, type FilterArgs, type Family, type OpenArgs, type OpenResult, type SendArgs, type SendResult, type CallFailure } from './helper-protocol.js';

/** Receive buffer asked for each raw socket (the kernel caps it at net.core.rmem_max). */
const RCVBUF = 4 * 1024 * 1024;

/** Microseconds on the helper's clock (fractional: hrtime has ns resolution). */
export type Clock = () => number;

export type PacketSink = (handle: number, bytes: Buffer, from: string, tUs: number, ipHeader: boolean) => void;
/** sockbench_stamp (main/native/stamp.c): the kernel's receive stamps for raw-socket's sockets. */
export interface KernelStamps {
  rawSocketFds(): number[];
  /** When the last packet read arrived, CLOCK_MONOTONIC ns (the kernel's stamp); −1 when there is none. */
  rxStampNs(fd: number): number;
  /** sendto(2) from C: [bytes sent or −errno, CLOCK_MONOTONIC ns read just before it]. */
  sendStamped?(fd: number, bytes: Uint8Array, address: string): [number, number];
  /** A flood's sends: see stamp.c. [sent, errno]; stampsNs gets CLOCK_MONOTONIC ns per packet. */
  floodSend?(fd: number, template: Uint8Array, address: string, family: 4 | 6, firstSeq: number, n: number, stampsNs: Float64Array): [number, number];
  /** A flood's reads: see stamp.c. [matched, errno, others?: (packet, source, stamp ns) …]; records get (sequence, stamp ns, TTL). many: packets per recvmmsg (> 1 only with floodStamps on). */
  floodRecv?(fd: number, template: Uint8Array, address: string, family: 4 | 6, records: Float64Array, many?: number): [number, number, unknown[]?];
  /** SO_TIMESTAMPNS on or off: each packet read carries its stamp, and rxStampNs has none meanwhile. errno, 0 when done. */
  floodStamps?(fd: number, on: boolean): number;
  /** A paced flood's sends from a thread (see paced.c): its job, or the errno that kept it from starting; onSent gets CLOCK_MONOTONIC ns. */
  pacedSend?(
    fd: number, template: Uint8Array, address: string, family: 4 | 6, firstSeq: number, count: number, intervalNs: number, spinNs: number,
    onSent: (first: number, stampsNs: Float64Array, errno: number, ended: boolean) => void,
  ): object | number;
  pacedStop?(job: object): void;
}

/** A send's errno as the app is told it; null for 0. */
function sendFailure(errno: number): CallFailure | null {
  return errno === 0 ? null : toWire(fromRawError(new Error(getSystemErrorMap().get(-errno)?.[1] ?? `errno ${errno}`), 'sendto'));
}

export type ErrorSink = (handle: number, error: CallFailure, closed: boolean) => void;

/** Sends per turn of the event loop, so receiving keeps up (each echo on loopback brings two packets back). */
const SEND_BURST = 64;
/** Packets read per readiness event. */
const READ_BURST = 256;
/** Packets per recvmmsg(2) in a flood whose stamps come with the packets (stamp.c's most). */
const RECV_MANY = 64;

// raw-socket 1.8.1 sends one queued packet per writable event and reads one
// packet per readable event; a turn of the event loop each caps a flood near
// 8k/s here. Its own queue and one-shot read, driven in bounded bursts, do
// better; without them (another version) the plain path still works.
interface Burst {
  requests: unknown[];
  onSendReady(): void;
  onRecvReady(): void;
}
function burstOf(sock: Socket): Burst | undefined {
  const b = sock as unknown as Partial<Burst>;
  return Array.isArray(b.requests) && typeof b.onSendReady === 'function' && typeof b.onRecvReady === 'function' ? (b as Burst) : undefined;
}

/**
 * Puts `take` in front of raw-socket's reads: its native wrap emits
 * 'recvReady' when the socket is readable, and raw-socket then reads one
 * packet with recvfrom(2). When `take` returns true it has read the socket
 * itself and raw-socket does not. False when this raw-socket has no such wrap.
 */
function readFirst(sock: Socket, take: () => boolean): boolean {
  const wrap = (sock as unknown as { wrap?: Partial<Pick<EventEmitter, 'listeners' | 'removeAllListeners' | 'on'>> }).wrap;
  if (typeof wrap?.listeners !== 'function' || typeof wrap.removeAllListeners !== 'function' || typeof wrap.on !== 'function') return false;
  const theirs = wrap.listeners('recvReady') as (() => void)[];
  if (theirs.length === 0) return false;
  wrap.removeAllListeners('recvReady');
  wrap.on('recvReady', () => {
    if (!take()) for (const read of theirs) read();
  });
  return true;
}

const IPPROTO_ICMP = 1;
const IPPROTO_ICMPV6 = 58;
const IPPROTO_RAW = 255;
const { SocketLevel: L, SocketOption: O } = raw;

/** Options raw-socket does not name, per platform; missing: not supported there. */
const PLATFORM: Partial<Record<NodeJS.Platform, { df4?: [number, number, number]; df6?: [number, number, number]; tclass?: number; hdrincl6?: number; filter4?: [number, number]; filter6?: [number, number] }>> = {
  // df: [option, value for DF, value for no DF]
  linux: { df4: [10, 2, 0], df6: [62, 1, 0], tclass: 67, hdrincl6: 36, filter4: [255, 1], filter6: [IPPROTO_ICMPV6, 1] },
  darwin: { df4: [28, 1, 0], df6: [62, 1, 0], tclass: 36 },
};
const plat = PLATFORM[process.platform] ?? {};

export class RawSocketError extends Error implements CallFailure {
  override name = 'RawSocketError';
  readonly errno: number;
  constructor(
    readonly code: string,
    readonly syscall: string,
    detail: string,
  ) {
    super(`${code}: ${detail}, ${syscall}`);
    this.errno = -((osConstants.errno as Record<string, number>)[code] ?? 0);
  }
}

// raw-socket throws Error(strerror(errno)): the message is all we get.
// glibc's texts where they differ from libuv's (which the map below holds).
const GLIBC: Record<string, string> = {
  'cannot assign requested address': 'EADDRNOTAVAIL',
  'address family not supported by protocol': 'EAFNOSUPPORT',
  'no route to host': 'EHOSTUNREACH',
  'cannot allocate memory': 'ENOMEM',
  'operation not supported': 'EOPNOTSUPP',
  'too many open files in system': 'ENFILE',
  'bad address': 'EFAULT',
};
const byMessage = new Map<string, string>(Object.entries(GLIBC));
for (const [, [name, text]] of getSystemErrorMap()) if (!byMessage.has(text.toLowerCase()) && /^E[A-Z0-9]+$/.test(name)) byMessage.set(text.toLowerCase(), name);

export function fromRawError(e: unknown, syscall: string): RawSocketError {
  if (e instanceof RawSocketError) return e;
  const text = e instanceof Error ? e.message : String(e);
  const code = byMessage.get(text.toLowerCase()) ?? 'EIO';
  // Opening a raw socket needs the capability; a send the kernel refuses with EACCES is a
  // broadcast destination on a socket without SO_BROADCAST, whoever runs the helper.
  const hint = code === 'EACCES' && syscall.startsWith('sendto')
    ? ' (the destination is a broadcast address and this raw socket does not have SO_BROADCAST set; it is not about privileges: the helper has CAP_NET_RAW)'
    : code === 'EPERM' || code === 'EACCES' ? ' (raw sockets need CAP_NET_RAW or root)' : '';
  return new RawSocketError(code, syscall, `${text.toLowerCase()}${hint}`);
}

export function toWire(e: unknown): CallFailure {
  const r = e instanceof RawSocketError ? e : fromRawError(e, 'call');
  return { code: r.code, errno: r.errno, message: r.message.slice(0, 1000), syscall: r.syscall };
}

/** Kernel values: IP_TTL / IPV6_UNICAST_HOPS, IP_TOS / IPV6_TCLASS, and the platform's DF option. */
interface Opts {
  ttl: number;
  tos: number;
  df: number;
}
type OptName = keyof Opts;

interface Entry {
  sock: Socket;
  family: Family;
  protocol: number;
  hdrincl: boolean;
  defaults: Partial<Opts>;
  current: Partial<Opts>;
  /** Sends queued in raw-socket, failed if the socket closes first. */
  pending: Set<(e: RawSocketError) => void>;
  burst: Burst | undefined;
  draining: boolean;
  /** Closed (by us or by raw-socket): its wrap would silently open a new socket if used again. */
  closed: boolean;
  /** raw-socket's descriptor, for the kernel's receive stamps; −1: unknown (stamps taken here). */
  fd: number;
  flood: Flood | undefined;
  /** The flood reads the socket in C at each readable event (see readFirst), many packets per call. */
  canReadFirst: boolean;
  /** SO_TIMESTAMPNS is on (floodStamps): only floodRecv can tell the stamps. */
  stampsInline: boolean;
}

export class RawSockets {
  private readonly socks = new Map<number, Entry>();
  /** Packets sent by sendStamped in this turn of the event loop. */
  private sentThisTurn = 0;
  private nextHandle = 1;
  /** floodRecv's output: (sequence, stamp, TTL) per reply. */
  private readonly records = new Float64Array(3 * READ_BURST);

  constructor(
    private readonly now: Clock,
    private readonly onPacket: PacketSink,
    private readonly onError: ErrorSink,
    private readonly stamps: KernelStamps | null = null,
    /** CLOCK_MONOTONIC ns → the helper's clock (µs); needed for sendStamped's stamps. */
    private readonly fromMonotonicNs: ((ns: number) => number) | null = null,
  ) {}

  open(a: OpenArgs): OpenResult {
    if (this.socks.size >= MAX_SOCKETS) throw new RawSocketError('EMFILE', 'socket', `at most ${MAX_SOCKETS} raw sockets are open at once`);
    const protocol = a.protocol === 'icmp' ? IPPROTO_ICMP : a.protocol === 'icmpv6' ? IPPROTO_ICMPV6 : a.protocol;
    const v6 = a.family === 6;
    const hdrincl = a.hdrincl === true || (!v6 && protocol === IPPROTO_RAW);
    if (a.hdrincl && v6 && plat.hdrincl6 === undefined) throw new RawSocketError('ENOPROTOOPT', 'setsockopt', `IPV6_HDRINCL is not available on ${process.platform}`);
    let sock: Socket;
    const before = this.stamps?.rawSocketFds();
    try {
      sock = raw.createSocket({ protocol, addressFamily: v6 ? raw.AddressFamily.IPv6 : raw.AddressFamily.IPv4, bufferSize: 65536 });
    } catch (e) {
      throw fromRawError(e, `socket(${v6 ? 'AF_INET6' : 'AF_INET'}, SOCK_RAW, ${protocol})`);
    }
    const handle = this.nextHandle++;
    const ipHeader = !v6;
    const entry: Entry = { sock, family: a.family, protocol, hdrincl, defaults: {}, current: {}, pending: new Set(), burst: burstOf(sock), draining: false, closed: false, fd: this.descriptorOf(before), flood: undefined, canReadFirst: false, stampsInline: false };
    try {
      if (a.hdrincl) {
        if (v6) sock.setOption(L.IPPROTO_IPV6, plat.hdrincl6!, 1);
        else sock.setOption(L.IPPROTO_IP, O.IP_HDRINCL!, 1);
      }
      // A raw ICMP socket receives every ICMP packet on the host: a default receive
      // buffer (~200 KiB) overflows during someone else's flood and our replies are lost.
      sock.setOption(raw.SocketLevel.SOL_SOCKET, raw.SocketOption.SO_RCVBUF!, RCVBUF);
      if (!hdrincl) for (const name of ['ttl', 'tos', 'df'] as const) entry.defaults[name] = this.read(entry, name);
    } catch (e) {
      sock.close();
      throw fromRawError(e, 'setsockopt');
    }
    entry.current = { ...entry.defaults };
    let reading = false;
    let got = 0;
    sock.on('message', (bytes, from) => {
      const tUs = this.receivedAt(entry); // first thing
      got++;
      if (!entry.flood || !this.toFlood(entry, bytes, from, tUs)) this.onPacket(handle, bytes, from, tUs, ipHeader);
      if (reading) return;
      if (entry.flood && this.floodReads(handle, entry)) return;
      if (!entry.burst) return;
      // Read what else is queued now (an empty queue ends in EAGAIN, ignored below).
      reading = true;
      for (let i = 0; i < READ_BURST && !entry.closed; i++) {
        const before = got;
        entry.burst.onRecvReady();
        if (got === before) break;
      }
      reading = false;
    });
    sock.on('error', (e) => {
      // A bare number is a poll failure, after which raw-socket closes the
      // socket itself; anything else is a recvfrom() error (e.g. a pending ICMP error).
      const closed = /^-?\d+$/.test(e.message);
      const err = closed ? new RawSocketError('EIO', 'poll', `poll failed (${e.message}); the socket was closed`) : fromRawError(e, 'recvfrom');
      if (err.code === 'EAGAIN') return;
      if (closed) this.forget(handle, err);
      this.onError(handle, toWire(err), closed);
    });
    if (entry.fd >= 0 && this.stamps?.floodRecv && this.stamps.floodStamps) {
      entry.canReadFirst = readFirst(sock, () => entry.stampsInline && this.floodReads(handle, entry));
    }
    this.socks.set(handle, entry);
    return { handle, protocol, family: a.family, ipHeader, kernelStamps: entry.fd >= 0 };
  }

  /**
   * The descriptor raw-socket just opened (the one raw socket that was not
   * there before), with the kernel's receive stamps turned on; −1 when it
   * cannot be told (no stamps addon, another platform).
   */
  private descriptorOf(before: number[] | undefined): number {
    if (!this.stamps || !before) return -1;
    const known = new Set(before);
    const fresh = this.stamps.rawSocketFds().filter((fd) => !known.has(fd));
    if (fresh.length !== 1) return -1;
    this.stamps.rxStampNs(fresh[0]!); // the first ask turns stamping on
    return fresh[0]!;
  }

  /**
   * During a flood, what else is queued is read in C (floodRecv): the flood's
   * echo replies come back as records, anything else as a packet to pass on.
   * False when the addon cannot (the packets are then read one by one).
   */
  private floodReads(handle: number, s: Entry): boolean {
    const flood = s.flood!;
    const recv = this.stamps?.floodRecv;
    if (!recv || s.fd < 0 || !this.fromMonotonicNs) return false;
    const many = s.stampsInline ? RECV_MANY : 1;
    for (let i = 0; i < READ_BURST && !s.closed && s.flood === flood; i++) {
      const [n, errno, others] = recv(s.fd, flood.template, flood.address, s.family, this.records, many);
      for (let k = 0; k < n; k++) flood.addReply(this.records[3 * k]!, this.stampUs(this.records[3 * k + 1]!), this.records[3 * k + 2]!);
      for (let k = 0; others && k + 2 < others.length; k += 3) this.onPacket(handle, others[k] as Buffer, others[k + 1] as string, this.stampUs(others[k + 2] as number), s.family === 4);
      if (errno !== 0) break; // emptied (EAGAIN), or the read failed: this readable event is done
    }
    return true;
  }

  /** A kernel stamp (CLOCK_MONOTONIC ns) on the helper's clock, or now when it is missing or implausible. */
  private stampUs(ns: number): number {
    const now = this.now();
    const t = ns > 0 && this.fromMonotonicNs ? this.fromMonotonicNs(ns) : now;
    return t <= now && now - t < 1e6 ? t : now;
  }

  /** When the packet just read reached the host: the kernel's stamp (as ping uses) on the helper's clock, else now. */
  private receivedAt(s: Entry): number {
    return this.stampUs(s.fd >= 0 && this.fromMonotonicNs ? this.stamps!.rxStampNs(s.fd) : -1);
  }

  /** An echo reply for the running flood is summed up by it instead of forwarded. */
  private toFlood(s: Entry, bytes: Buffer, from: string, tUs: number): boolean {
    let at = 0;
    let ttl = -1;
    if (s.family === 4) {
      if (bytes.byteLength < 20 || bytes[9] !== IPPROTO_ICMP) return false;
      at = (bytes[0]! & 0x0f) * 4;
      ttl = bytes[8]!;
    }
    if (bytes.byteLength < at + 8 || bytes[at] !== (s.family === 4 ? 0 : 129)) return false;
    return s.flood!.offerReply(bytes.subarray(at), ttl, from, tUs);
  }

  send(a: SendArgs): Promise<SendResult> {
    let s: Entry;
    let given: Partial<Opts>;
    try {
      s = this.get(a.handle, 'sendto');
      if (s.flood) throw new RawSocketError('EBUSY', 'sendto', 'a flood is running on this socket; stop it first');
      given = this.sendOptions(s, a);
      if (this.canSendNow(s)) {
        this.apply(s, given);
        const r = this.sendNow(s, a.bytes, a.address);
        if (r) return Promise.resolve(r);
      }
    } catch (e) {
      return Promise.reject(e);
    }
    const buf = Buffer.from(a.bytes.buffer, a.bytes.byteOffset, a.bytes.byteLength);
    return new Promise<SendResult>((resolve, reject) => {
      let tUs = 0;
      let failed: RawSocketError | undefined;
      const cancel = (e: RawSocketError) => reject(e);
      s.pending.add(cancel);
      s.sock.send(buf, 0, buf.byteLength, a.address, () => {
        try {
          this.apply(s, given);
        } catch (e) {
          failed = e as RawSocketError;
          throw failed;
        }
        tUs = this.now();
      }, (error, sent) => {
        s.pending.delete(cancel);
        if (error) reject(failed ?? fromRawError(error, 'sendto'));
        else resolve({ sent, tUs });
      });
      this.drain(s);
    });
  }

  /** Starts a flood (see ./flood.ts); `end` gets its result. The socket takes no other sends meanwhile. */
  flood(a: FloodArgs, sinks: Omit<FloodSinks, 'now'>, end: (r: FloodResult) => void): void {
    const s = this.get(a.handle, 'sendto');
    if (s.flood) throw new RawSocketError('EBUSY', 'sendto', 'a flood is already running on this socket');
    const echo = s.family === 4 ? 8 : 128;
    if (s.hdrincl || s.protocol !== (s.family === 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6) || a.bytes[0] !== echo) {
      throw new RawSocketError('EINVAL', 'sendto', `a flood sends ${s.family === 4 ? 'ICMP' : 'ICMPv6'} echo requests (type ${echo}) on an ${s.family === 4 ? 'ICMP' : 'ICMPv6'} socket without hdrincl`);
    }
    this.apply(s, this.sendOptions(s, a));
    const sock: FloodSocket = {
      family: s.family,
      send: (b, stamp, done) => {
        let now: SendResult | null;
        try {
          now = this.canSendNow(s) ? this.sendNow(s, b, a.address) : null;
        } catch (e) {
          return done(toWire(e));
        }
        if (now) {
          stamp(now.tUs);
          return done(null);
        }
        s.sock.send(b, 0, b.byteLength, a.address, () => stamp(), (error) => done(error ? toWire(fromRawError(error, 'sendto')) : null));
        s.burst?.onSendReady(); // now, not on the next writable event
      },
    };
    const floodSend = this.stamps?.floodSend;
    if (floodSend && s.fd >= 0 && this.fromMonotonicNs && s.burst) {
      sock.sendMany = (template, firstSeq, n, stampsUs) => {
        if (s.burst!.requests.length > 0 || s.pending.size > 0) return { sent: 0, error: null, again: true }; // raw-socket's queue goes first
        const [sent, errno] = floodSend(s.fd, template, a.address, s.family, firstSeq, n, stampsUs);
        this.toHelperClock(stampsUs, sent);
        return { sent, error: errno !== osConstants.errno.EAGAIN ? sendFailure(errno) : null, again: errno === osConstants.errno.EAGAIN };
      };
    }
    const { pacedSend, pacedStop } = this.stamps ?? {};
    if (pacedSend && pacedStop && s.fd >= 0 && this.fromMonotonicNs) {
      sock.sendPaced = (template, firstSeq, count, intervalUs, spinUs, sink) => {
        const job = pacedSend(s.fd, template, a.address, s.family, firstSeq, count, intervalUs * 1000, spinUs * 1000, (first, stamps, errno, ended) => {
          this.toHelperClock(stamps, stamps.length);
          sink(first, stamps, sendFailure(errno), ended);
        });
        return typeof job === 'number' ? sendFailure(job)! : { stop: () => pacedStop(job) };
      };
    }
    s.flood = new Flood(sock, a, { now: this.now, ...sinks }, (r) => {
      s.flood = undefined;
      this.setStampsInline(s, false);
      end(r);
    });
    // The flood's replies are read many per recvmmsg, each with its stamp: a
    // recvfrom and an SIOCGSTAMPNS per reply held the flood near 0.8× hping3.
    if (s.canReadFirst) this.setStampsInline(s, true);
    s.flood.start();
  }

  /** SO_TIMESTAMPNS on or off for the socket (see floodStamps); stays off when the kernel refuses. */
  private setStampsInline(s: Entry, on: boolean): void {
    if (s.stampsInline === on || s.closed) return;
    s.stampsInline = this.stamps!.floodStamps!(s.fd, on) === 0 ? on : false;
  }

  /** The first n CLOCK_MONOTONIC ns stamps (NaN stays NaN) onto the helper's clock, in place. */
  private toHelperClock(stamps: Float64Array, n: number): void {
    for (let k = 0; k < n; k++) if (!Number.isNaN(stamps[k])) stamps[k] = this.fromMonotonicNs!(stamps[k]!);
  }

  floodStop(handle: number): null {
    this.get(handle, 'sendto').flood?.stop();
    return null;
  }

  close(handle: number): null {
    const s = this.get(handle, 'close');
    this.forget(handle, new RawSocketError('EBADF', 'sendto', 'the socket was closed before this send went out'));
    s.sock.close();
    return null;
  }

  closeAll(): void {
    for (const h of [...this.socks.keys()]) this.close(h);
  }

  setFilter(a: FilterArgs): null {
    const s = this.get(a.handle, 'setsockopt');
    const v6 = s.family === 6;
    if (s.protocol !== (v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP)) throw new RawSocketError('EINVAL', 'setsockopt', 'type filters are for ICMP and ICMPv6 sockets');
    const where = v6 ? plat.filter6 : plat.filter4;
    if (!where) throw new RawSocketError('ENOPROTOOPT', 'setsockopt', `ICMP type filters are not available on ${process.platform}`);
    // Linux: a set bit blocks that type; the v4 filter covers types 0..31 only.
    const words = new Uint32Array(v6 ? 8 : 1);
    if (a.icmpTypes) {
      words.fill(0xffffffff);
      for (const t of a.icmpTypes) if (t < words.length * 32) words[t >> 5]! &= ~(1 << (t & 31));
    }
    try {
      if (v6) {
        const buf = Buffer.alloc(32);
        words.forEach((w, i) => (endianness() === 'LE' ? buf.writeUInt32LE(w, i * 4) : buf.writeUInt32BE(w, i * 4)));
        s.sock.setOption(where[0], where[1], buf, 32);
      } else s.sock.setOption(where[0], where[1], words[0]!);
    } catch (e) {
      throw fromRawError(e, 'setsockopt(ICMP_FILTER)');
    }
    return null;
  }

  /**
   * sendStamped can go now: the addon has it, raw-socket holds nothing queued
   * that it would overtake, and this turn of the event loop has not sent
   * SEND_BURST packets yet (beyond that, raw-socket's queue takes them, so
   * receiving gets its turns: a burst of sends on loopback brings as many
   * packets back).
   */
  private canSendNow(s: Entry): boolean {
    return s.fd >= 0 && !!this.stamps?.sendStamped && !!this.fromMonotonicNs && !!s.burst && s.burst.requests.length === 0 && s.pending.size === 0 &&
      this.sentThisTurn < SEND_BURST;
  }

  /**
   * One sendto(2) from C, stamped in C right before it (as ping stamps), so
   * no garbage collection lands between stamp and send; null when the
   * kernel's buffer is full (EAGAIN): then raw-socket queues it.
   */
  private sendNow(s: Entry, bytes: Uint8Array, address: string): SendResult | null {
    if (this.sentThisTurn++ === 0) setImmediate(() => (this.sentThisTurn = 0));
    const [rc, tNs] = this.stamps!.sendStamped!(s.fd, bytes, address);
    if (rc === -osConstants.errno.EAGAIN) return null;
    if (rc < 0) throw fromRawError(new Error(getSystemErrorMap().get(rc)?.[1] ?? `errno ${-rc}`), 'sendto');
    return { sent: rc, tUs: this.fromMonotonicNs!(tNs) };
  }

  /** The kernel option values a send asks for; throws when they cannot be had. */
  private sendOptions(s: Entry, a: SendArgs): Partial<Opts> {
    const fits = s.family === 4 ? isIPv4(a.address) : isIPv6(a.address);
    if (!fits) throw new RawSocketError('EAFNOSUPPORT', 'sendto', `${a.address} is not an IPv${s.family} address (the socket is IPv${s.family})`);
    const dfValues = s.family === 4 ? plat.df4 : plat.df6;
    if (s.hdrincl && (a.ttl !== undefined || a.tos !== undefined || a.df !== undefined)) {
      throw new RawSocketError('EINVAL', 'setsockopt', 'with hdrincl, TTL, TOS and DF are fields of the IP header you build');
    }
    if (a.tos !== undefined && s.family === 6 && plat.tclass === undefined) throw new RawSocketError('ENOPROTOOPT', 'setsockopt', `IPV6_TCLASS is not available on ${process.platform}`);
    if (a.df !== undefined && !dfValues) throw new RawSocketError('ENOPROTOOPT', 'setsockopt', `DF is not available on ${process.platform}`);
    return { ttl: a.ttl, tos: a.tos, df: a.df === undefined ? undefined : dfValues?.[a.df ? 1 : 2] };
  }

  /** Sets what was asked, else the socket's default, where the kernel has something else. */
  private apply(s: Entry, given: Partial<Opts>): void {
    if (s.hdrincl) return;
    for (const name of ['ttl', 'tos', 'df'] as const) {
      const want = given[name] ?? s.defaults[name];
      if (want === undefined || want === s.current[name]) continue;
      try {
        this.write(s, name, want);
      } catch (e) {
        throw fromRawError(e, `setsockopt(${name})`);
      }
      s.current[name] = want;
    }
  }

  /** Sends what raw-socket has queued, SEND_BURST per turn of the event loop. */
  private drain(s: Entry): void {
    if (s.draining || !s.burst) return;
    s.draining = true;
    setImmediate(() => {
      s.draining = false;
      for (let i = 0; i < SEND_BURST && !s.closed && s.burst!.requests.length > 0; i++) s.burst!.onSendReady();
      if (!s.closed && s.burst!.requests.length > 0) this.drain(s);
    });
  }

  private get(handle: number, syscall: string): Entry {
    const s = this.socks.get(handle);
    if (!s) throw new RawSocketError('EBADF', syscall, `no raw socket with handle ${handle}`);
    return s;
  }

  private forget(handle: number, why: RawSocketError): void {
    const s = this.socks.get(handle);
    if (!s) return;
    this.socks.delete(handle);
    s.closed = true;
    s.flood?.abort();
    for (const cancel of s.pending) cancel(why);
    s.pending.clear();
  }

  private where(s: Entry, name: OptName): [level: number, option: number] {
    const v6 = s.family === 6;
    if (name === 'ttl') return v6 ? [L.IPPROTO_IPV6, O.IPV6_UNICAST_HOPS!] : [L.IPPROTO_IP, O.IP_TTL!];
    if (name === 'tos') return v6 ? [L.IPPROTO_IPV6, plat.tclass ?? -1] : [L.IPPROTO_IP, O.IP_TOS!];
    const df = v6 ? plat.df6 : plat.df4;
    return [v6 ? L.IPPROTO_IPV6 : L.IPPROTO_IP, df?.[0] ?? -1];
  }

  /** The option's value as the kernel has it now (undefined: not available on this platform). */
  private read(s: Entry, name: OptName): number | undefined {
    const [level, option] = this.where(s, name);
    if (option < 0) return undefined;
    const buf = Buffer.alloc(4);
    s.sock.getOption(level, option, buf, 4);
    return endianness() === 'LE' ? buf.readInt32LE(0) : buf.readInt32BE(0);
  }

  /** As an int32 buffer, so -1 ("the kernel's default") can be written too. */
  private write(s: Entry, name: OptName, value: number): void {
    const [level, option] = this.where(s, name);
    const buf = Buffer.alloc(4);
    if (endianness() === 'LE') buf.writeInt32LE(value, 0);
    else buf.writeInt32BE(value, 0);
    s.sock.setOption(level, option, buf, 4);
  }
}
