// SOCK_STREAM sessions over Node's net module. The descriptor is created and
// bound by the native addon (so bind shows the ephemeral port before listen or
// connect) and then handed to Node, which owns it from there on.
import net from 'node:net';
import type { Family, SockAddr } from '../../shared/contract/index.js';
import { nowUs } from './clock.js';
import { EngineError, fromSystemError, withField } from './errors.js';
import { native } from './native.js';
import { Session, type SessionHost } from './session.js';

const bindField = (name: string) => (name === 'EADDRNOTAVAIL' || name === 'EAFNOSUPPORT' ? 'address' : name === 'EADDRINUSE' || name === 'EACCES' ? 'port' : undefined);

export class TcpSession extends Session {
  /** The descriptor while we still own it (before Node adopts it). */
  private fd: number | undefined;
  private sock: net.Socket | undefined;
  private server: net.Server | undefined;
  private readShut = false;
  private writeShut = false;
  private peerEnded = false;
  private readonly onData = (chunk: Buffer): void => {
    if (!this.readShut) this.noteData('in', chunk);
  };

  static create(id: number, family: Family, host: SessionHost): TcpSession {
    const s = new TcpSession(id, family, 'SOCK_STREAM', host);
    s.fd = native().socket(family === 'AF_INET' ? 4 : 6, true);
    s.record({ tUs: s.createdUs, call: 'socket', args: { family, type: 'SOCK_STREAM' }, ok: true, result: `fd ${s.fd}` });
    return s;
  }

  static accepted(id: number, family: Family, host: SessionHost, sock: net.Socket, parent: number): TcpSession {
    const s = new TcpSession(id, family, 'SOCK_STREAM', host);
    s.parent = parent;
    s.adopt(sock);
    s.state = 'connected';
    s.record({ tUs: s.createdUs, call: 'accept', args: {}, ok: true, result: `${Session.describe(s.local)} ← ${Session.describe(s.peer)} (from listener #${parent})` });
    return s;
  }

  private adopt(sock: net.Socket): void {
    this.sock = sock;
    this.local = this.addr(sock.localAddress ?? '', sock.localPort ?? 0);
    if (sock.remoteAddress) this.peer = this.addr(sock.remoteAddress, sock.remotePort ?? 0);
    sock.setNoDelay(true);
    if (this.readMode === 'auto') sock.on('data', this.onData);
    else sock.pause();
    sock.on('end', () => {
      this.peerEnded = true;
      this.recordEvent('recv', '0 bytes: the peer sent FIN (no more data will arrive)');
      this.setState(this.writeShut ? 'closed' : 'half-closed');
    });
    sock.on('error', (e) => {
      const err = fromSystemError(e, 'recv');
      this.recordEvent('recv', '', err);
      this.fail(err);
    });
    sock.on('close', () => {
      if (this.state !== 'error' && this.state !== 'closed') {
        this.recordEvent('close', 'connection closed (both directions finished)');
        this.setState('closed');
      }
    });
  }

  async bind(address: string, port: number): Promise<void> {
    this.requireNotClosed('bind');
    this.checkFamily(address, 'bind');
    try {
      await this.traced('bind', { address, port }, () => {
        if (this.fd === undefined || this.state !== 'created') {
          throw EngineError.state('EINVAL', 'bind', 'the socket is already bound');
        }
        native().bind(this.fd, address, port);
        const got = native().getsockname(this.fd);
        this.local = this.addr(got.address, got.port);
      }, () => Session.describe(this.local));
    } catch (e) {
      throw withField(e, bindField);
    }
    this.setState('bound');
  }

  async listen(backlog: number): Promise<void> {
    this.requireNotClosed('listen');
    await this.traced('listen', { backlog }, async () => {
      if (this.fd === undefined || (this.state !== 'created' && this.state !== 'bound')) {
        throw EngineError.state('EINVAL', 'listen', `cannot listen on a socket that is ${this.state}`);
      }
      const server = net.createServer({ allowHalfOpen: true });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ fd: this.fd, backlog }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      this.fd = undefined; // Node owns it now
      this.server = server;
      this.backlog = backlog;
      const a = server.address() as net.AddressInfo;
      this.local = this.addr(a.address, a.port);
      server.on('connection', (sock) => this.accept(sock));
      server.on('error', (e) => this.recordEvent('accept', '', fromSystemError(e, 'accept')));
    }, () => `listening on ${Session.describe(this.local)}, backlog ${backlog}`);
    this.setState('listening');
  }

  private accept(sock: net.Socket): void {
    const child = this.host.adopt((id) => TcpSession.accepted(id, this.family, this.host, sock, this.id));
    this.recordEvent('accept', `session #${child.id} ← ${Session.describe(child.peer)}`);
  }

  async connect(address: string, port: number, timeoutMs: number | null): Promise<void> {
    this.requireNotClosed('connect');
    this.checkFamily(address, 'connect');
    const timeout = timeoutMs === undefined ? this.timeoutMs : timeoutMs;
    const args = { address, port, timeout: timeout === null ? 'None' : timeout / 1000 };
    try {
      await this.traced('connect', args, () => {
        if (this.state === 'connected' || this.state === 'half-closed' || this.state === 'listening') {
          throw EngineError.state('EISCONN', 'connect', 'the socket is already connected or listening');
        }
        if (this.state === 'connecting') throw EngineError.state('EALREADY', 'connect', 'a connect is already in progress');
        if (this.fd === undefined) throw EngineError.state('EBADF', 'connect', 'the socket was closed by a failed connect; create a new one');
        const sock = new net.Socket({ fd: this.fd, allowHalfOpen: true, readable: true, writable: true });
        this.fd = undefined;
        this.sock = sock;
        this.setState('connecting');
        return new Promise<void>((resolve, reject) => {
          const timer = timeout === null ? undefined : setTimeout(() => {
            sock.destroy();
            reject(EngineError.os('ETIMEDOUT', 'connect', `no answer from ${address} port ${port} within ${timeout} ms`));
          }, timeout);
          sock.once('error', (e) => {
            clearTimeout(timer);
            reject(e);
          });
          sock.once('connect', () => {
            clearTimeout(timer);
            sock.removeAllListeners('error');
            this.adopt(sock);
            resolve();
          });
          sock.connect({ port, host: address });
        });
      }, () => `${Session.describe(this.local)} → ${Session.describe(this.peer)}`);
    } catch (e) {
      if (this.state === 'connecting') this.fail(e as EngineError);
      throw e;
    }
    this.setState('connected');
  }

  private connectedSocket(call: string, unconnectedErrno: string): net.Socket {
    this.requireNotClosed(call);
    if (!this.sock || (this.state !== 'connected' && this.state !== 'half-closed')) {
      throw EngineError.state(unconnectedErrno, call, 'the socket is not connected');
    }
    return this.sock;
  }

  async send(data: Uint8Array): Promise<number> {
    const n = await this.traced('send', { bytes: data.byteLength }, () => {
      const sock = this.connectedSocket('send', 'EPIPE');
      if (this.writeShut) throw EngineError.os('EPIPE', 'send', 'this side was shut down for writing (SHUT_WR)');
      return new Promise<number>((resolve, reject) => {
        sock.write(data, (err) => (err ? reject(err) : resolve(data.byteLength)));
      });
    }, (n) => `${n} bytes`);
    this.noteData('out', data);
    return n;
  }

  async sendto(data: Uint8Array): Promise<number> {
    // TCP ignores the address of sendto, as Linux does; an unconnected stream gives EPIPE.
    return this.send(data);
  }

  async recv(bufsize: number): Promise<Uint8Array> {
    return this.traced('recv', { bufsize }, async () => {
      const sock = this.connectedSocket('recv', 'ENOTCONN');
      if (this.readMode === 'auto') {
        throw EngineError.state('EINVAL', 'recv', 'auto-read is on: data is read as it arrives; switch to manual read mode to call recv');
      }
      const chunk = await this.readSome(sock, bufsize);
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
    if (this.peerEnded || sock.readableEnded || this.readShut) return Promise.resolve(Buffer.alloc(0));
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
        this.sock.on('data', this.onData);
        this.sock.resume();
      } else {
        this.sock.off('data', this.onData);
        this.sock.pause();
      }
    }
    this.record({ tUs: nowUs(), call: 'setblocking', args: { readMode: mode }, ok: true, result: mode === 'auto' ? 'auto-read: data shown as it arrives' : 'manual: call recv to read' });
    this.changed();
  }

  async shutdown(how: 'SHUT_RD' | 'SHUT_WR' | 'SHUT_RDWR'): Promise<void> {
    await this.traced('shutdown', { how }, () => {
      const sock = this.connectedSocket('shutdown', 'ENOTCONN');
      if (how !== 'SHUT_WR') {
        this.readShut = true;
        sock.off('data', this.onData);
        sock.on('data', () => undefined); // keep draining, discard: reads now return 0
        sock.resume();
      }
      if (how !== 'SHUT_RD' && !this.writeShut) {
        this.writeShut = true;
        sock.end();
      }
    }, () => (how === 'SHUT_RD' ? 'reads now return 0' : 'FIN sent'));
    this.setState(this.readShut && this.writeShut ? 'closed' : 'half-closed');
  }

  async close(): Promise<void> {
    await this.traced('close', {}, () => {
      this.requireNotClosed('close');
      this.state = 'closed'; // before destroy, so the socket's own 'close' event is not traced twice
      this.sock?.destroy();
      this.server?.close();
      if (this.fd !== undefined) native().close(this.fd);
      this.fd = undefined;
    }, () => 'closed');
    this.changed();
  }

  getsockname(): SockAddr {
    this.requireNotClosed('getsockname');
    if (this.fd !== undefined) {
      const a = native().getsockname(this.fd);
      return this.addr(a.address, a.port);
    }
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
