// SOCK_DGRAM sessions over Node's dgram module. Each datagram keeps its
// boundary and its source address.
import dgram from 'node:dgram';
import type { Family, SockAddr } from '../../shared/contract/index.js';
import { nowUs } from './clock.js';
import { EngineError, withField } from './errors.js';
import { Session, type SessionHost } from './session.js';

/** Datagrams held for recvfrom in manual mode; beyond this the oldest are dropped, as a full receive buffer would. */
const MANUAL_QUEUE_MAX = 1024;

type Datagram = { data: Buffer; from: SockAddr };

export class UdpSession extends Session {
  private readonly sock: dgram.Socket;
  private bound = false;
  private queue: Datagram[] = [];
  private waiter: (() => void) | undefined;
  queueDropped = 0;

  static create(id: number, family: Family, host: SessionHost): UdpSession {
    const s = new UdpSession(id, family, 'SOCK_DGRAM', host);
    s.record({ tUs: s.createdUs, call: 'socket', args: { family, type: 'SOCK_DGRAM' }, ok: true, result: 'created' });
    return s;
  }

  private constructor(id: number, family: Family, type: 'SOCK_DGRAM', host: SessionHost) {
    super(id, family, type, host);
    this.sock = dgram.createSocket({ type: family === 'AF_INET' ? 'udp4' : 'udp6' });
    this.sock.on('message', (msg, rinfo) => this.onMessage(msg, this.addr(rinfo.address, rinfo.port)));
    this.sock.on('error', (e) => this.recordEvent('recvfrom', '', EngineError.os((e as { code?: string }).code ?? 'EIO', 'recvfrom')));
  }

  private onMessage(data: Buffer, from: SockAddr): void {
    if (this.readMode === 'auto') {
      this.noteData('in', data, from);
      return;
    }
    this.queue.push({ data, from });
    if (this.queue.length > MANUAL_QUEUE_MAX) {
      this.queue.shift();
      this.queueDropped++;
    }
    this.waiter?.();
  }

  private noteBound(): void {
    if (this.bound) return;
    this.bound = true;
    const a = this.sock.address();
    this.local = this.addr(a.address, a.port);
    if (this.state === 'created') this.setState('bound');
  }

  async bind(address: string, port: number): Promise<void> {
    this.requireNotClosed('bind');
    this.checkFamily(address, 'bind');
    try {
      await this.traced('bind', { address, port }, () => {
        if (this.bound) throw EngineError.state('EINVAL', 'bind', 'the socket is already bound');
        return new Promise<void>((resolve, reject) => {
          this.sock.once('error', reject);
          this.sock.bind({ address, port, exclusive: true }, () => {
            this.sock.off('error', reject);
            resolve();
          });
        });
      }, () => Session.describe(this.sock.address() as SockAddr));
    } catch (e) {
      throw withField(e, (n) => (n === 'EADDRINUSE' || n === 'EACCES' ? 'port' : n === 'EADDRNOTAVAIL' ? 'address' : undefined));
    }
    this.noteBound();
  }

  async listen(backlog: number): Promise<void> {
    await this.traced('listen', { backlog }, () => {
      this.requireNotClosed('listen');
      throw EngineError.os('EOPNOTSUPP', 'listen', 'listen is for stream sockets; a SOCK_DGRAM socket receives once bound');
    }, () => '');
  }

  async connect(address: string, port: number): Promise<void> {
    this.requireNotClosed('connect');
    this.checkFamily(address, 'connect');
    await this.traced('connect', { address, port }, () => new Promise<void>((resolve, reject) => {
      if (this.peer) throw EngineError.state('EISCONN', 'connect', 'the socket already has a default peer');
      this.sock.connect(port, address, (err?: Error) => (err ? reject(err) : resolve()));
    }), () => `default peer ${address} port ${port}`);
    this.noteBound();
    this.peer = this.addr(address, port);
    this.setState('connected');
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
      return this.transmit(data, this.addr(address, port));
    }, (n) => `${n} bytes → ${Session.describe(this.addr(address, port))}`);
  }

  private transmit(data: Uint8Array, to: SockAddr | undefined): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const done = (err: Error | null): void => {
        if (err) return reject(err);
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

  async recvfrom(bufsize: number): Promise<{ data: Uint8Array; from: SockAddr }> {
    return this.traced('recvfrom', { bufsize }, async () => {
      this.requireNotClosed('recvfrom');
      if (this.readMode === 'auto') {
        throw EngineError.state('EINVAL', 'recvfrom', 'auto-read is on: datagrams are shown as they arrive; switch to manual read mode to call recvfrom');
      }
      if (!this.bound) throw EngineError.state('EINVAL', 'recvfrom', 'the socket is not bound: bind it (or send once) first');
      const d = await this.nextDatagram();
      // Like the kernel: a datagram longer than bufsize is truncated, the rest is lost.
      const data = d.data.subarray(0, bufsize);
      this.noteData('in', data, d.from);
      return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), from: d.from };
    }, (r) => `${r.data.byteLength} bytes from ${Session.describe(r.from)}`);
  }

  private nextDatagram(): Promise<Datagram> {
    const first = this.queue.shift();
    if (first) return Promise.resolve(first);
    if (this.timeoutMs === 0) return Promise.reject(EngineError.os('EAGAIN', 'recvfrom', 'no datagram waiting (non-blocking socket)'));
    return new Promise((resolve, reject) => {
      const timer = this.timeoutMs === null ? undefined : setTimeout(() => {
        this.waiter = undefined;
        reject(EngineError.os('ETIMEDOUT', 'recvfrom', `timed out: no datagram within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.waiter = () => {
        const d = this.queue.shift();
        if (!d) return;
        clearTimeout(timer);
        this.waiter = undefined;
        resolve(d);
      };
    });
  }

  setReadMode(mode: 'auto' | 'manual'): void {
    this.requireNotClosed('setReadMode');
    this.readMode = mode;
    if (mode === 'auto') for (const d of this.queue.splice(0)) this.noteData('in', d.data, d.from);
    this.record({ tUs: nowUs(), call: 'setblocking', args: { readMode: mode }, ok: true, result: mode === 'auto' ? 'auto-read' : 'manual: call recvfrom to read' });
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
      this.state = 'closed';
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
}
