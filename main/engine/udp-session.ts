// SOCK_DGRAM sessions over Node's dgram module (sends, options, membership).
// Each datagram keeps its boundary and its source address. dgram never reads:
// in auto-read mode datagram-reader.ts reads them in batches as they come; in
// manual mode datagrams stay in the kernel's receive queue, oldest first,
// where its buffer size (SO_RCVBUF) and its drop count apply, until recvfrom
// takes one (a recvmsg of our own). The kernel's drops are read back (kernel-drops.ts) and
// travel in the session's counters.
import dgram from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import { endianness, networkInterfaces } from 'node:os';
import type { Family, SessionInfo, SockAddr } from '../../shared/contract/index.js';
import { ipFamily } from '../../shared/net/address.js';
import { nowUs } from '../core/clock.js';
import { bindErrorField, EngineError, errnoName, fromSystemError, withField } from '../core/errors.js';
import { fromNativeAddr, toNativeAddr } from './addr.js';
import { DatagramReader } from './datagram-reader.js';
import { socketInode, udpKernelDrops } from './kernel-drops.js';
import { native, type NativeAddr } from './native.js';
import { repeatSend, type RepeatResult } from './repeat.js';
import { Session, type SessionHost } from './session.js';
import { fdReadiness, waitFor, WaitLine } from './wait.js';

/** How often an open session looks at the kernel's drop count (it changes only while datagrams arrive). */
const DROPS_MS = 1000;
/**
 * The receive buffer a session asks for (Linux doubles it). Auto-read drains
 * the socket as fast as the process runs; this covers the moments it does
 * not run (a busy machine, a garbage collection). A 64-byte datagram takes
 * 832 bytes of buffer on loopback, so the default (208 KiB) holds ~250 of
 * them, 5 ms of a 50,000/s flood; 64 MiB holds ~80,000, 1.6 s of it.
 */
const RCVBUF = 32 * 1024 * 1024;

export class UdpSession extends Session {
  private readonly sock: dgram.Socket;
  /** Made by socket(2) at once, so options can be set and fileno() shown before bind, as in C. */
  private readonly fd: number;
  private readonly inode: number | undefined;
  /** Auto-read; undefined where dgram cannot be stopped (then dgram reads, one datagram per callback). */
  private readonly reader: DatagramReader | undefined;
  private bound = false;
  /** recvfrom calls waiting for a datagram (manual mode), first come first served. */
  private readLine: WaitLine | undefined;
  private kernelDropped: number | undefined;
  private dropsTimer: NodeJS.Timeout | undefined;

  static create(id: number, family: Family, host: SessionHost): UdpSession {
    const s = new UdpSession(id, family, 'SOCK_DGRAM', host);
    const sized = s.sizeReceiveBuffer();
    const stamped = s.reader?.kernelTimes ? '; SO_TIMESTAMPNS set by Sockbench: each datagram\'s time is when the kernel received it, not when it was read' : '';
    s.record({ tUs: s.createdUs, call: 'socket', args: { family, type: 'SOCK_DGRAM' }, ok: true, result: `fd ${s.fd}${sized ? `; ${sized}` : ''}${stamped}` });
    return s;
  }

  private constructor(id: number, family: Family, type: 'SOCK_DGRAM', host: SessionHost) {
    super(id, family, type, host);
    this.fd = native().socket(family, 'SOCK_DGRAM');
    this.inode = socketInode(this.fd);
    this.sock = dgram.createSocket({ type: family === 'AF_INET' ? 'udp4' : 'udp6' });
    // dgram adopts the (still unbound) descriptor synchronously; bind(2) is ours, later.
    this.sock.bind({ fd: this.fd });
    this.sock.on('message', (msg, rinfo) => this.onMessage(msg, this.addr(rinfo.address, rinfo.port)));
    this.sock.on('error', (e) => this.recvFailed((e as { code?: string }).code ?? 'EIO'));
    this.reader = this.batchReader();
  }

  /** dgram stops reading and a DatagramReader starts (auto-read is the default mode). */
  private batchReader(): DatagramReader | undefined {
    try {
      setReceiving(this.sock, false);
    } catch {
      return undefined;
    }
    const unknown = this.addr(this.family === 'AF_INET' ? '0.0.0.0' : '::', 0);
    // recvMany gives one object per run of datagrams from one source: converted once per run.
    let lastFrom: NativeAddr | null | undefined;
    let lastAddr = unknown;
    let reader: DatagramReader;
    try {
      reader = new DatagramReader(this.fd, {
        datagram: (data, from, ageUs) => {
          if (from !== lastFrom) lastAddr = from ? fromNativeAddr(from) : unknown;
          lastFrom = from;
          this.onMessage(data, lastAddr, ageUs);
        },
        failed: (code) => this.recvFailed(code),
      });
    } catch {
      setReceiving(this.sock, true); // no descriptor to spare (EMFILE): dgram reads, as before
      return undefined;
    }
    reader.start();
    return reader;
  }

  private recvFailed(code: string): void {
    this.recordEvent('recvfrom', '', EngineError.os(code, 'recvfrom'));
  }

  /**
   * Asks for RCVBUF: beyond net.core.rmem_max where the process may
   * (SO_RCVBUFFORCE, CAP_NET_ADMIN), else up to it. Says what the kernel
   * gave, for the socket's trace entry; the user's own setsockopt(SO_RCVBUF)
   * replaces it.
   */
  private sizeReceiveBuffer(): string | undefined {
    const n = native();
    const C = n.constants as Readonly<Record<string, number | undefined>>;
    const value = Buffer.alloc(4);
    if (endianness() === 'LE') value.writeInt32LE(RCVBUF);
    else value.writeInt32BE(RCVBUF);
    let forced = false;
    try {
      if (C.SO_RCVBUFFORCE === undefined) throw new Error('no SO_RCVBUFFORCE');
      n.setsockopt(this.fd, C.SOL_SOCKET!, C.SO_RCVBUFFORCE, value);
      forced = true;
    } catch {
      try {
        n.setsockopt(this.fd, C.SOL_SOCKET!, C.SO_RCVBUF!, value);
      } catch {
        return undefined; // the kernel's default stays
      }
    }
    const got = n.getsockopt(this.fd, C.SOL_SOCKET!, C.SO_RCVBUF!, 4);
    const bytes = endianness() === 'LE' ? got.readInt32LE(0) : got.readInt32BE(0);
    return `SO_RCVBUF set by Sockbench${forced ? ' (SO_RCVBUFFORCE, past net.core.rmem_max)' : ' (up to net.core.rmem_max)'}: the kernel holds up to ${bytes} bytes of queued datagrams, so a flood waits there while the app is busy instead of being dropped (set SO_RCVBUF to choose another size)`;
  }

  /** Auto-read: every datagram shown as it comes. */
  private onMessage(data: Uint8Array, from: SockAddr, ageUs = 0): void {
    if (this.state === 'closed') return;
    this.noteData('in', data, from, undefined, ageUs);
    if (this.readMode === 'auto') this.answer(data, from);
  }

  /** Echo / reply mode: one datagram back to where this one came from; or what the rules say. */
  private answer(data: Uint8Array, to: SockAddr): void {
    const reply = this.answerFor(data);
    if (reply) void this.sendBack(reply, to).catch(() => undefined);
    else this.respond(data, to);
  }

  /** One datagram back (to the connected peer, or to `to`); a failure is traced. */
  private sendBack(reply: Uint8Array, to: SockAddr | undefined, rule?: string): Promise<void> {
    const dest = this.peer ?? to;
    if (!dest) return Promise.resolve();
    this.noteData('out', reply, dest, rule);
    return new Promise((resolve, reject) => {
      const done = (err: Error | null): void => {
        if (!err) return resolve();
        this.recordEvent('sendto', '', fromSystemError(err, 'sendto'));
        reject(err);
      };
      if (this.peer) this.sock.send(reply, done);
      else this.sock.send(reply, dest.port, dest.address, done);
    });
  }

  protected override sendReply(bytes: Uint8Array, to: SockAddr | undefined, rule: string | undefined): Promise<void> {
    return this.sendBack(bytes, to, rule).catch(() => undefined);
  }

  override fileno(): number | undefined {
    return this.fd;
  }

  override info(): SessionInfo {
    const info = super.info();
    if (this.groups.length) info.groups = this.groups.map((m) => ({ ...m }));
    this.lookAtDrops();
    if (this.kernelDropped !== undefined) info.counters.kernelDropped = this.kernelDropped;
    return info;
  }

  /** The kernel's drop count, as of the last look (a socket drops nothing before it is bound). */
  private lookAtDrops(fresh = false): void {
    if (!this.bound || this.state === 'closed') return;
    const now = udpKernelDrops(this.inode, this.family === 'AF_INET6', fresh);
    if (now !== undefined) this.kernelDropped = now;
  }

  /** While bound: a changed drop count is told even when nothing else changes (manual mode, a full queue). */
  private watchDrops(): void {
    if (this.dropsTimer || udpKernelDrops(this.inode, this.family === 'AF_INET6', true) === undefined) return;
    // Compared with what this timer last told, not with this.kernelDropped: info() (a query) also
    // refreshes that, and a change it saw first would otherwise never reach the view.
    let told = this.kernelDropped;
    this.dropsTimer = setInterval(() => {
      this.lookAtDrops();
      if (this.kernelDropped === told) return;
      told = this.kernelDropped;
      this.changed();
    }, DROPS_MS);
    this.dropsTimer.unref();
  }

  private noteBound(): void {
    if (this.bound) return;
    this.bound = true;
    const a = this.sock.address();
    this.local = this.addr(a.address, a.port);
    this.kernelDropped = 0;
    this.watchDrops();
    if (this.state === 'created') this.setState('bound');
  }

  async bind(address: string, port: number): Promise<void> {
    this.requireNotClosed('bind');
    this.checkFamily(address, 'bind');
    try {
      await this.traced('bind', { address, port }, () => {
        if (this.bound) throw EngineError.state('EINVAL', 'bind', 'the socket is already bound');
        native().bind(this.fd, toNativeAddr(this.family, address, port));
      }, () => Session.describe(fromNativeAddr(native().getsockname(this.fd))));
    } catch (e) {
      throw withField(e, bindErrorField);
    }
    this.noteBound();
  }

  async listen(backlog: number): Promise<void> {
    await this.traced('listen', { backlog }, () => {
      this.requireNotClosed('listen');
      throw EngineError.os('EOPNOTSUPP', 'listen', 'listen is for stream sockets; a SOCK_DGRAM socket receives once bound');
    }, () => '');
  }

  async connect(address: string, port: number, _timeoutMs?: number | null, call: 'connect' | 'connect_ex' = 'connect'): Promise<void> {
    this.requireNotClosed(call);
    this.checkFamily(address, call);
    await this.traced(call, { address, port }, () => new Promise<void>((resolve, reject) => {
      if (this.peer) throw EngineError.state('EISCONN', call, 'the socket already has a default peer');
      this.sock.connect(port, address, (err?: Error) => (err ? reject(err) : resolve()));
    }), () => `default peer ${address} port ${port}`);
    this.noteBound();
    this.peer = this.addr(address, port);
    this.setState('connected');
  }

  /** A datagram goes whole or not at all: sendall is send. */
  async sendall(data: Uint8Array): Promise<number> {
    return this.send(data);
  }

  async send(data: Uint8Array): Promise<number> {
    return this.traced('send', { bytes: data.byteLength }, () => {
      this.requireNotClosed('send');
      if (!this.peer) throw EngineError.os('EDESTADDRREQ', 'send', 'a datagram socket needs connect() or sendto(address)');
      return this.transmit(data, undefined);
    }, (n) => `${n} bytes`);
  }

  async sendto(data: Uint8Array, address: string, port: number): Promise<number> {
    this.requireNotClosed('sendto');
    this.checkFamily(address, 'sendto');
    return this.traced('sendto', { bytes: data.byteLength, address, port }, () => {
      if (this.peer) throw EngineError.state('EISCONN', 'sendto', 'the socket is connected; use send');
      checkPort(port, 'sendto');
      return this.transmit(data, this.addr(address, port));
    }, (n) => `${n} bytes → ${Session.describe(this.addr(address, port))}`);
  }

  /** sendto (or send, when connected) `count` times; all are counted, and the log gets one entry saying ×N at the end. */
  async sendRepeat(data: Uint8Array, count: number, intervalUs: number, to: SockAddr | undefined): Promise<RepeatResult> {
    this.requireNotClosed('sendto');
    if (to) this.checkFamily(to.address, 'sendto');
    const call = to ? 'sendto' : 'send';
    const args = { bytes: data.byteLength, count, interval: intervalUs === 0 ? 'flood' : `${intervalUs} µs`, ...(to ? { address: to.address, port: to.port } : {}) };
    return this.traced(`${call} ×${count}`, args, async () => {
      if (to && this.peer) throw EngineError.state('EISCONN', 'sendto', 'the socket is connected; use send');
      if (!to && !this.peer) throw EngineError.os('EDESTADDRREQ', 'send', 'a datagram socket needs connect() or sendto(address)');
      if (to) checkPort(to.port, 'sendto');
      if (this.repeating) throw EngineError.state('EALREADY', call, 'a repeated send is already running on this session: stop it first');
      const target = to ? toNativeAddr(this.family, to.address, to.port) : null;
      let lastUpdate = 0;
      let sentSoFar = 0;
      this.repeating = { cancel: false };
      const run = this.repeating;
      try {
        return await repeatSend({
          count,
          intervalUs,
          sendOne: () => native().sendto(this.fd, data, target),
          progress: (sent, bytes) => {
            sentSoFar += sent;
            this.counters.chunksOut += sent;
            this.counters.bytesOut += bytes;
            this.noteBound();
            if (nowUs() - lastUpdate > 50_000) {
              lastUpdate = nowUs();
              this.changed();
            }
          },
          cancelled: () => run.cancel || this.state === 'closed',
        });
      } catch (e) {
        throw sendError(e as Error, call, to);
      } finally {
        this.repeating = undefined;
        // One row for the whole run, saying ×N, once N is known.
        if (sentSoFar > 0) this.noteRepeated(data, sentSoFar, to ?? this.peer);
        this.changed();
      }
    }, (r) => `${r.sent} datagrams in ${r.seconds.toFixed(3)} s (${Math.round(r.sent / Math.max(r.seconds, 1e-6))}/s)${r.stopped === 'cancelled' ? ', stopped' : ''}`);
  }

  stopRepeat(): void {
    if (this.repeating) this.repeating.cancel = true;
  }

  private repeating: { cancel: boolean } | undefined;

  private transmit(data: Uint8Array, to: SockAddr | undefined): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const done = (err: Error | null): void => {
        if (err) return reject(sendError(err, to ? 'sendto' : 'send', to));
        this.noteBound(); // the kernel binds an unbound socket on its first send
        this.noteData('out', data, to ?? this.peer);
        resolve(data.byteLength);
      };
      if (to) this.sock.send(data, to.port, to.address, done);
      else this.sock.send(data, done);
    });
  }

  async recv(bufsize: number): Promise<Uint8Array> {
    return (await this.recvfrom(bufsize)).data;
  }

  /**
   * Manual mode: the oldest datagram in the kernel's receive queue, as
   * recvfrom(2) gives it (one recvmsg of our own; MSG_TRUNC tells a longer
   * datagram's real length, the rest of it is discarded as the kernel does).
   * Calls that wait are served in order.
   */
  async recvfrom(bufsize: number): Promise<{ data: Uint8Array; from: SockAddr }> {
    let whole = 0;
    return this.traced('recvfrom', { bufsize }, async () => {
      this.requireNotClosed('recvfrom');
      if (this.readMode === 'auto') {
        throw EngineError.state('EINVAL', 'recvfrom', 'auto-read is on: datagrams are shown as they arrive; switch to manual read mode to call recvfrom');
      }
      if (!this.bound) throw EngineError.state('EINVAL', 'recvfrom', 'the socket is not bound: bind it (or send once) first');
      const got = await waitFor(() => native().recv(this.fd, bufsize, native().constants.MSG_TRUNC), {
        timeoutMs: this.timeoutMs, call: 'recvfrom', idle: 'no datagram waiting',
        stillValid: () => this.state !== 'closed' && this.readMode === 'manual',
        // dgram holds this descriptor: readiness is watched on a duplicate.
        line: (this.readLine ??= new WaitLine(fdReadiness(this.fd, 'r', true))),
      });
      whole = got.length ?? got.data.byteLength;
      const from = got.from ? fromNativeAddr(got.from) : this.addr(this.family === 'AF_INET' ? '0.0.0.0' : '::', 0);
      this.noteData('in', got.data, from);
      return { data: new Uint8Array(got.data.buffer, got.data.byteOffset, got.data.byteLength), from };
    }, (r) => (whole > r.data.byteLength
      ? `${r.data.byteLength} of ${whole} bytes from ${Session.describe(r.from)} (the datagram was longer than bufsize: the rest was discarded, MSG_TRUNC)`
      : `${r.data.byteLength} bytes from ${Session.describe(r.from)}`));
  }

  /** Auto: the reader reads every datagram. Manual: it stops, and datagrams wait in the kernel for recvfrom. */
  setReadMode(mode: 'auto' | 'manual'): void {
    this.requireNotClosed('setReadMode');
    if (mode !== this.readMode) {
      if (!this.reader) setReceiving(this.sock, mode === 'auto');
      else if (mode === 'auto') this.reader.start();
      else this.reader.pause();
      this.readMode = mode;
      if (mode === 'auto') {
        this.readLine?.close(EngineError.state('EINVAL', 'recvfrom', 'read mode was switched to auto: datagrams are shown as they arrive'));
        this.readLine = undefined;
      }
    }
    this.record({ tUs: nowUs(), call: 'setblocking', args: { readMode: mode }, ok: true, result: mode === 'auto' ? 'auto-read' : 'manual: datagrams wait in the kernel\'s receive queue; call recvfrom to read' });
    this.changed();
  }

  async shutdown(how: 'SHUT_RD' | 'SHUT_WR' | 'SHUT_RDWR'): Promise<void> {
    await this.traced('shutdown', { how }, () => {
      this.requireNotClosed('shutdown');
      throw EngineError.os('ENOTCONN', 'shutdown', 'shutdown applies to connections; close a datagram socket instead');
    }, () => '');
  }

  async close(): Promise<void> {
    await this.traced('close', {}, () => {
      this.requireNotClosed('close');
      this.lookAtDrops(true); // the final count, before the socket (and its row in /proc) goes
      this.state = 'closed';
      this.groups = []; // the kernel drops every membership with the socket
      clearInterval(this.dropsTimer);
      this.readLine?.close();
      this.reader?.close();
      this.sock.close();
    }, () => 'closed');
    this.changed();
  }

  getsockname(): SockAddr {
    this.requireNotClosed('getsockname');
    if (!this.local) return this.addr(this.family === 'AF_INET' ? '0.0.0.0' : '::', 0);
    return this.local;
  }

  getpeername(): SockAddr {
    this.requireNotClosed('getpeername');
    if (!this.peer) throw EngineError.state('ENOTCONN', 'getpeername', 'the socket has no default peer (connect it first)');
    return this.peer;
  }

  // ---- UDP extras: broadcast and multicast (setsockopt at IPPROTO_IP / IPPROTO_IPV6) ----

  /** Multicast groups joined, as the kernel holds them for this socket. */
  private groups: Membership[] = [];

  /** The session as a UDP one, or the errno a stream socket would give for these options. */
  static of(s: Session, call: string): UdpSession {
    if (s instanceof UdpSession) return s;
    throw EngineError.os('EOPNOTSUPP', call, `session #${s.id} is ${s.family} ${s.type}: broadcast and multicast are for SOCK_DGRAM sockets of AF_INET / AF_INET6`);
  }

  async setBroadcast(on: boolean): Promise<void> {
    await this.udpOpt('setsockopt(SO_BROADCAST)', { value: on ? 1 : 0 }, () => this.sock.setBroadcast(on), {}, on ? 'on' : 'off');
  }

  async joinGroup(group: string, iface: string | undefined): Promise<void> {
    await this.membership('join', group, iface);
  }

  async leaveGroup(group: string, iface: string | undefined): Promise<void> {
    await this.membership('leave', group, iface);
  }

  async setMulticastTTL(ttl: number): Promise<void> {
    const call = this.family === 'AF_INET6' ? 'setsockopt(IPV6_MULTICAST_HOPS)' : 'setsockopt(IP_MULTICAST_TTL)';
    await this.udpOpt(call, { value: ttl }, () => this.sock.setMulticastTTL(ttl), {}, String(ttl));
  }

  async setMulticastLoopback(on: boolean): Promise<void> {
    const call = this.family === 'AF_INET6' ? 'setsockopt(IPV6_MULTICAST_LOOP)' : 'setsockopt(IP_MULTICAST_LOOP)';
    await this.udpOpt(call, { value: on ? 1 : 0 }, () => this.sock.setMulticastLoopback(on), {}, on ? 'on' : 'off');
  }

  async setMulticastInterface(iface: string): Promise<void> {
    const v6 = this.family === 'AF_INET6';
    const call = v6 ? 'setsockopt(IPV6_MULTICAST_IF)' : 'setsockopt(IP_MULTICAST_IF)';
    this.checkIfaceForm(iface);
    let shown = iface;
    await this.udpOpt(call, { iface }, () => {
      if (v6) {
        const i = ifaceV6(iface, call);
        shown = i.shown;
        // Node takes the index only as the scope of an address; '::' (scope 0) lets the kernel choose again.
        this.sock.setMulticastInterface(i.name === undefined ? '::' : `::%${i.name}`);
      } else {
        const a = ifaceV4(iface, call);
        shown = a ?? 'INADDR_ANY';
        this.sock.setMulticastInterface(a ?? '0.0.0.0');
      }
    }, { EADDRNOTAVAIL: ['iface', `${iface} is not an address of this machine`], ENODEV: ['iface', `no interface ${iface}`] }, () => shown);
  }

  private async membership(op: 'join' | 'leave', rawGroup: string, iface: string | undefined): Promise<void> {
    const v6 = this.family === 'AF_INET6';
    const call = `setsockopt(${v6 ? (op === 'join' ? 'IPV6_JOIN_GROUP' : 'IPV6_LEAVE_GROUP') : op === 'join' ? 'IP_ADD_MEMBERSHIP' : 'IP_DROP_MEMBERSHIP'})`;
    if (ipFamily(rawGroup) !== (v6 ? 6 : 4)) {
      throw badRequest('group', `${rawGroup} is an ${v6 ? 'IPv4' : 'IPv6'} group but session #${this.id} is ${this.family}: give ${v6 ? 'an ff00::/8 group, e.g. ff05::1:3' : 'a 224.0.0.0/4 group, e.g. 239.1.2.3'}`);
    }
    if (iface !== undefined) this.checkIfaceForm(iface);
    const group = v6 ? canonicalV6(rawGroup) : rawGroup;
    let joinedOn: string | undefined;
    const explain: Explain = op === 'join'
      ? { EADDRINUSE: ['group', `already a member of ${group} on that interface`], ENODEV: ['iface', `no interface ${iface ?? ''} to join on (for AF_INET give one of this machine's addresses)`] }
      : { EADDRNOTAVAIL: ['group', `not a member of ${group} on that interface`], ENODEV: ['iface', `no interface ${iface ?? ''}`] };
    await this.udpOpt(call, { group, iface: iface ?? (v6 ? 0 : 'INADDR_ANY') }, () => {
      let nodeIface: string | undefined;
      if (v6) {
        // IPv6 names the interface by index (ipv6mr_interface). Node/libuv accept it only as the
        // scope of an address and resolve it with if_nametoindex(): addMembership(group, '::%lo')
        // works on Linux, while '::%1' or an unknown name silently become index 0 (any
        // interface, chosen by route), and a plain address ('::1') is ignored likewise. So the
        // name is checked and an index mapped to its name here (Linux: /sys/class/net).
        const i = iface === undefined ? { name: undefined } : ifaceV6(iface, call);
        joinedOn = i.name;
        if (i.name !== undefined) nodeIface = `::%${i.name}`;
      } else {
        // IPv4 names the interface by one of its addresses (ip_mreq.imr_interface).
        nodeIface = iface === undefined ? undefined : ifaceV4(iface, call);
        joinedOn = nodeIface;
      }
      if (op === 'join') this.sock.addMembership(group, nodeIface);
      else this.sock.dropMembership(group, nodeIface);
    }, explain, () => (joinedOn === undefined ? `${group} (interface chosen by the kernel)` : `${group} on ${joinedOn}`));
    if (op === 'join') this.groups.push(joinedOn === undefined ? { group } : { group, iface: joinedOn });
    else {
      let at = this.groups.findIndex((m) => m.group === group && m.iface === joinedOn);
      if (at < 0 && joinedOn === undefined) at = this.groups.findIndex((m) => m.group === group);
      if (at >= 0) this.groups.splice(at, 1);
    }
    this.changed();
  }

  /** One setsockopt: traced, and the kernel's errno pointed at the field it is about. */
  private async udpOpt(call: string, args: Record<string, unknown>, run: () => void, explain: Explain, result: string | (() => string)): Promise<void> {
    await this.traced(call, args, () => {
      this.requireNotClosed(call);
      try {
        run();
      } catch (e) {
        const name = (e as { code?: unknown } | null)?.code;
        const hint = typeof name === 'string' ? explain[name] : undefined;
        throw hint ? EngineError.os(name as string, call, hint[1], hint[0]) : fromSystemError(e, call);
      }
    }, () => (typeof result === 'string' ? result : result()));
  }

  /** An address as interface is an IPv4 idea; IPv6 picks the interface by name or index. */
  private checkIfaceForm(iface: string): void {
    const kind = ipFamily(iface);
    if (this.family === 'AF_INET6' && kind !== null) {
      throw badRequest('iface', `IPv6 picks the interface by name or index, not by address: give e.g. lo or 1 instead of ${iface}`);
    }
    if (this.family === 'AF_INET' && kind === 6) {
      throw badRequest('iface', `${iface} is an IPv6 address but session #${this.id} is AF_INET: give a local IPv4 address (127.0.0.1) or an interface name (lo)`);
    }
  }
}

type Membership = { group: string; iface?: string };
/** errno name → [form field, what it means for this call]. */
type Explain = Record<string, [string, string]>;

function badRequest(field: string, message: string): EngineError {
  return new EngineError('BAD_REQUEST', `${field}: ${message}`, undefined, field);
}

/** ff05:0:0::1:3 → ff05::1:3, so a group reads (and matches on leave) the same however it was typed. */
function canonicalV6(address: string): string {
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

const SYS_NET = '/sys/class/net';

/** The interface index of a name on Linux, undefined when unknown (or not Linux). */
function ifIndex(name: string): number | undefined {
  try {
    const n = Number(readFileSync(`${SYS_NET}/${name}/ifindex`, 'utf8').trim());
    return Number.isInteger(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

function ifName(index: number): string | undefined {
  try {
    return readdirSync(SYS_NET).find((n) => ifIndex(n) === index);
  } catch {
    return undefined;
  }
}

function ifaceExists(name: string): boolean {
  return ifIndex(name) !== undefined || Object.hasOwn(networkInterfaces(), name);
}

/** IPv6: an interface name or index → its name (undefined: index 0, the kernel chooses) and how the trace shows it. */
function ifaceV6(iface: string, call: string): { name: string | undefined; shown: string } {
  if (/^\d+$/.test(iface)) {
    const index = Number(iface);
    if (index === 0) return { name: undefined, shown: '0 (the kernel chooses)' };
    const name = ifName(index);
    if (name === undefined) throw EngineError.os('ENODEV', call, `no interface with index ${index}`, 'iface');
    return { name, shown: `${name} (index ${index})` };
  }
  if (!ifaceExists(iface)) throw EngineError.os('ENODEV', call, `no interface named ${iface}`, 'iface');
  const index = ifIndex(iface);
  return { name: iface, shown: index === undefined ? iface : `${iface} (index ${index})` };
}

/** IPv4: a local address, or an interface name / index → its first IPv4 address; undefined = INADDR_ANY. */
function ifaceV4(iface: string, call: string): string | undefined {
  if (iface === '0' || iface === '0.0.0.0') return undefined;
  if (ipFamily(iface) === 4) return iface;
  const name = /^\d+$/.test(iface) ? ifName(Number(iface)) : iface;
  const address = name === undefined ? undefined : networkInterfaces()[name]?.find((a) => a.family === 'IPv4')?.address;
  if (address === undefined) {
    throw EngineError.os('ENODEV', call, name === undefined || !ifaceExists(name) ? `no interface ${iface}` : `interface ${name} has no IPv4 address`, 'iface');
  }
  return address;
}

/** Port 0 names no destination (the kernel says EINVAL): the form's port field is at fault. */
function checkPort(port: number, call: string): void {
  if (port === 0) throw EngineError.os('EINVAL', call, 'port 0 is not a destination: give the port to send to (1 to 65535)', 'port');
}

/**
 * dgram has no pause: its handle's recvStop / recvStart, reached through the
 * socket's internal state (the same in Node 20 to 24). Without them manual
 * read mode is refused rather than reading datagrams into memory unseen.
 */
function setReceiving(sock: dgram.Socket, on: boolean): void {
  const key = Object.getOwnPropertySymbols(sock).find((k) => k.description === 'state symbol');
  const state = key && (sock as unknown as Record<symbol, { handle?: { recvStart?(): number; recvStop?(): number }; receiving?: boolean }>)[key];
  const handle = state?.handle;
  if (!state || typeof handle?.recvStart !== 'function' || typeof handle.recvStop !== 'function') {
    throw new EngineError('INTERNAL', 'setReadMode: this runtime\'s dgram cannot pause reading, so manual read mode (datagrams left in the kernel\'s queue) is not available');
  }
  if (state.receiving === on) return;
  const rc = on ? handle.recvStart() : handle.recvStop();
  if (rc) throw fromSystemError({ code: errnoName(rc) }, on ? 'recvStart' : 'recvStop');
  state.receiving = on;
}

/** A failed send, explained where the kernel's errno alone would mislead. */
function sendError(err: Error, call: string, to: SockAddr | undefined): Error {
  const code = (err as { code?: unknown }).code;
  if (code === 'EACCES') {
    return EngineError.os('EACCES', call, `${to?.address ?? 'the peer'} is a broadcast address and SO_BROADCAST is off: setsockopt(SO_BROADCAST, 1) first`, 'address');
  }
  if (code === 'ENETUNREACH' && to && /^ff[0-9a-f]{2}:/i.test(to.address)) {
    return EngineError.os('ENETUNREACH', call, 'no route for this group out of the multicast interface (IPV6_MULTICAST_IF); Linux has no IPv6 multicast route on loopback', 'address');
  }
  return err;
}
