// The engine owns every session. It imports node:* only, never Electron, so
// it runs the same under Electron, in browser mode, in the CLI and in tests.
import type { AnyEvent, Family, SockType } from '../../shared/contract/index.js';
import type { Handlers } from '../bridge/router.js';
import { Crafter, type CrafterOptions } from '../craft/crafter.js';
import { Probes, type ProbesOptions } from '../raw/probes.js';
import { epochMs } from './clock.js';
import { EngineError } from './errors.js';
import type { Session, SessionHost } from './session.js';
import { getOption, getRaw, setOption, setRaw } from './sockopt.js';
import { probeCombos } from './capabilities.js';
import { StreamSession } from './stream-session.js';
import { UdpSession } from './udp-session.js';
import type { SocketWorker, SocketWorkerOptions } from './worker/client.js';
import { WorkerLink } from './worker-link.js';
import { WorkerSession } from './worker-session.js';

export interface EngineOptions {
  /** How to start the socket worker (default: dist/socket-worker.cjs, or the sources with tsx). */
  worker?: SocketWorkerOptions;
  /** The raw-socket helper and probe limits (default: dist/raw-helper.cjs, or the sources with tsx). */
  probes?: ProbesOptions;
  /** Event thinning of the packet crafter's sends. */
  craft?: CrafterOptions;
}

export class Engine {
  private readonly sessions = new Map<number, Session>();
  private readonly listeners = new Set<(event: AnyEvent) => void>();
  private nextId = 1;
  /** The socket worker, for the sessions Node cannot make; started by the first of them. */
  private readonly workers: WorkerLink;
  /** ICMP and raw sockets: the privileged helper and the ping, traceroute and raw sessions over it. */
  readonly probes: Probes;
  /** The packet crafter's sends: through the probes' raw helper, or as a session's data. */
  readonly craft: Crafter;

  constructor(opts: EngineOptions = {}) {
    this.workers = new WorkerLink(opts.worker);
    this.probes = new Probes((event) => this.host.emit(event), opts.probes);
    this.craft = new Crafter({ probes: this.probes, session: (id) => this.get(id), emit: (event) => this.host.emit(event) }, opts.craft);
  }

  /** The socket worker, once a session has started it (its pid, for crash tests). */
  get socketWorker(): SocketWorker | undefined {
    return this.workers.started;
  }

  private readonly host: SessionHost = {
    emit: (event) => {
      for (const fn of this.listeners) fn(event);
    },
    adopt: (make) => this.add(make(this.nextId++)),
  };

  onEvent(fn: (event: AnyEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private add(session: Session): Session {
    this.sessions.set(session.id, session);
    this.host.emit({ name: 'session.created', payload: session.info() });
    return session;
  }

  get(id: number): Session {
    const s = this.sessions.get(id);
    if (!s) throw new EngineError('NO_SUCH_SESSION', `there is no session #${id} (it may have been removed)`, undefined, 'id');
    return s;
  }

  list(): Session[] {
    return [...this.sessions.values()];
  }

  /** The bridge's handlers: each maps validated params to one engine call. */
  handlers(): Handlers {
    return {
      'session.list': () => ({ sessions: this.list().map((s) => s.info()), epochMs }),
      'engine.capabilities': () => ({ platform: process.platform, combos: probeCombos() }),
      'session.history': ({ id }) => {
        const s = this.get(id);
        return { trace: [...s.trace], data: s.data.toArray(), droppedBytes: s.data.droppedBytes };
      },
      'session.capture': ({ id, on }) => this.act(id, (s) => s.setCapture(on)),
      'session.captureRead': ({ id, offset, length }) => ({ data: this.get(id).capture.read(offset, length) }),
      'session.remove': ({ id }) => {
        const s = this.get(id);
        if (s.state !== 'closed' && s.state !== 'error') {
          throw new EngineError('INVALID_STATE', `session #${id} is still ${s.state}: close it before removing it`);
        }
        this.sessions.delete(id);
        this.host.emit({ name: 'session.removed', payload: { id } });
        return {};
      },
      'socket.create': async ({ family, type }) => {
        const id = this.nextId++;
        return this.add(await this.createSession(id, family, type)).info();
      },
      'socket.bind': async ({ id, address, port }) => this.act(id, (s) => s.bind(address, port)),
      'socket.listen': async ({ id, backlog, acceptMode }) => this.act(id, (s) => s.listen(backlog, acceptMode)),
      'socket.accept': async ({ id }) => (await this.get(id).accept()).info(),
      'socket.setAcceptMode': async ({ id, mode }) => this.act(id, (s) => s.setAcceptMode(mode)),
      'socket.setServeMode': ({ id, mode, reply }) => this.act(id, (s) => s.setServeMode(mode, reply)),
      'socket.connect': async ({ id, address, port, timeoutMs }) =>
        this.act(id, (s) => s.connect(address, port, timeoutMs)),
      'socket.connect_ex': async ({ id, address, port, timeoutMs }) => {
        const s = this.get(id);
        try {
          await s.connect(address, port, timeoutMs, 'connect_ex');
          return { errno: null, session: s.info() };
        } catch (e) {
          // As in Python, what the kernel refused comes back as a number; a bad argument still raises.
          // (An address of the wrong family is refused before any syscall: that raises.)
          if (!(e instanceof EngineError) || !e.errno || e.errno.name === 'EAFNOSUPPORT') throw e;
          return { errno: e.errno, message: e.message, session: s.info() };
        }
      },
      'socket.send': async ({ id, data }) => ({ bytes: await this.get(id).send(data) }),
      'socket.sendall': async ({ id, data }) => ({ bytes: await this.get(id).sendall(data) }),
      'socket.sendRepeat': async ({ id, data, count, intervalUs, address, port }) => {
        const s = this.get(id);
        if (!(s instanceof UdpSession)) throw EngineError.state('EOPNOTSUPP', 'sendRepeat', 'repeated sends are for datagram (UDP) sessions; use sendall on a stream');
        return s.sendRepeat(data, count, intervalUs, address === undefined ? undefined : { family: s.family, address, port });
      },
      'socket.sendRepeatStop': ({ id }) => {
        const s = this.get(id);
        if (s instanceof UdpSession) s.stopRepeat();
        return {};
      },
      'socket.sendto': async ({ id, data, address, port }) => ({ bytes: await this.get(id).sendto(data, address, port) }),
      'socket.recv': async ({ id, bufsize }) => ({ data: await this.get(id).recv(bufsize) }),
      'socket.recvfrom': async ({ id, bufsize }) => this.get(id).recvfrom(bufsize),
      'socket.setReadMode': ({ id, mode }) => this.act(id, (s) => s.setReadMode(mode)),
      'socket.settimeout': ({ id, timeoutMs }) => this.act(id, (s) => s.settimeout(timeoutMs)),
      'socket.gettimeout': ({ id }) => ({ timeoutMs: this.get(id).gettimeout() }),
      'socket.setblocking': ({ id, flag }) => this.act(id, (s) => s.settimeout(flag ? null : 0, 'setblocking')),
      'socket.shutdown': async ({ id, how }) => this.act(id, (s) => s.shutdown(how)),
      'socket.close': async ({ id }) => this.act(id, (s) => s.close()),
      // Socket options
      'socket.setsockopt': ({ id, option, value }) => setOption(this.get(id), option, value),
      'socket.getsockopt': ({ id, option }) => getOption(this.get(id), option),
      'socket.setsockoptRaw': ({ id, level, optname, data }) => setRaw(this.get(id), level, optname, data),
      'socket.getsockoptRaw': ({ id, level, optname, maxLen }) => getRaw(this.get(id), level, optname, maxLen),
      'socket.getsockname': ({ id }) => this.get(id).getsockname(),
      'socket.getpeername': ({ id }) => this.get(id).getpeername(),
      // UDP extras
      'socket.setBroadcast': async ({ id, on }) =>
        this.act(id, (s) => UdpSession.of(s, 'setsockopt(SO_BROADCAST)').setBroadcast(on)),
      'socket.joinGroup': async ({ id, group, iface }) =>
        this.act(id, (s) => UdpSession.of(s, 'setsockopt(IP_ADD_MEMBERSHIP)').joinGroup(group, iface)),
      'socket.leaveGroup': async ({ id, group, iface }) =>
        this.act(id, (s) => UdpSession.of(s, 'setsockopt(IP_DROP_MEMBERSHIP)').leaveGroup(group, iface)),
      'socket.setMulticastTTL': async ({ id, ttl }) =>
        this.act(id, (s) => UdpSession.of(s, 'setsockopt(IP_MULTICAST_TTL)').setMulticastTTL(ttl)),
      'socket.setMulticastLoopback': async ({ id, on }) =>
        this.act(id, (s) => UdpSession.of(s, 'setsockopt(IP_MULTICAST_LOOP)').setMulticastLoopback(on)),
      'socket.setMulticastInterface': async ({ id, iface }) =>
        this.act(id, (s) => UdpSession.of(s, 'setsockopt(IP_MULTICAST_IF)').setMulticastInterface(iface)),
      // Probes (ICMP and raw sockets, through the privileged helper)
      'raw.status': () => this.probes.check(),
      'raw.elevate': () => this.probes.elevate(),
      'ping.start': (p) => this.probes.startPing(p),
      'ping.stop': ({ id }) => this.probes.stopPing(id),
      'trace.start': (p) => this.probes.startTrace(p),
      'trace.stop': ({ id }) => this.probes.stopTrace(id),
      'raw.open': (p) => this.probes.openRaw(p),
      'raw.send': ({ id, bytes, address }) => this.probes.sendRaw(id, bytes, address),
      'raw.close': ({ id }) => this.probes.closeRaw(id),
      'sweep.start': (p) => this.probes.startSweep(p),
      'sweep.stop': ({ id }) => this.probes.stopSweep(id),
      // The packet crafter
      'craft.send': (p) => this.craft.send(p),
      'craft.stop': ({ id }) => this.craft.stop(id),
    };
  }

  /** Node's net serves every stream, dgram the IP datagrams; the rest (AF_UNIX datagrams, SOCK_SEQPACKET) lives in the socket worker. */
  private async createSession(id: number, family: Family, type: SockType): Promise<Session> {
    if (type === 'SOCK_STREAM') return StreamSession.create(id, family, this.host);
    if (type === 'SOCK_DGRAM' && family !== 'AF_UNIX') return UdpSession.create(id, family, this.host);
    return WorkerSession.create(id, family, type, this.host, this.workers);
  }

  private async act(id: number, fn: (s: Session) => Promise<void> | void) {
    const s = this.get(id);
    await fn(s);
    return s.info();
  }

  /** Closes every open session (app quit, test teardown). */
  async close(): Promise<void> {
    await Promise.allSettled(this.list().filter((s) => s.state !== 'closed').map((s) => s.close()));
    await this.craft.close();
    await Promise.allSettled([this.workers.stop(), this.probes.close()]);
  }
}
