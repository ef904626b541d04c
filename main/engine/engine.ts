// The engine owns every session: one socket each. It imports node:*,
// main/core and shared/ only (never Electron, the bridge, probes or the
// crafter), so it runs the same under Electron, in browser mode, in the CLI
// and in tests. main/workbench.ts maps the bridge's calls onto it.
import type { AnyEvent, Errno, Family, SockType } from '../../shared/contract/index.js';
import { EngineError, fromSystemError } from '../core/errors.js';
import type { Session, SessionHost } from './session.js';
import { StreamSession } from './stream-session.js';
import { UdpSession } from './udp-session.js';
import type { SocketWorker, SocketWorkerOptions } from './worker/socket-worker.js';
import { WorkerLink } from './worker-link.js';
import { WorkerSession } from './worker-session.js';

export interface EngineOptions {
  /** How to start the socket worker (default: dist/socket-worker.cjs, or the sources with tsx). */
  worker?: SocketWorkerOptions;
}

export class Engine {
  private readonly sessions = new Map<number, Session>();
  private readonly listeners = new Set<(event: AnyEvent) => void>();
  private nextId = 1;
  /** The socket worker, for the sessions Node cannot make; started by the first of them. */
  private readonly workers: WorkerLink;

  constructor(opts: EngineOptions = {}) {
    this.workers = new WorkerLink(opts.worker);
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

  /** socket(): a new session of this family and type. */
  async create(family: Family, type: SockType): Promise<Session> {
    const id = this.nextId++;
    let s: Session;
    try {
      s = await this.createSession(id, family, type);
    } catch (e) {
      throw fromSystemError(e, 'socket'); // EMFILE at the open-files limit: socket() said it
    }
    return this.add(s);
  }

  /** Forgets a closed session (its trace and data go with it). */
  remove(id: number): void {
    const s = this.get(id);
    if (s.state !== 'closed' && s.state !== 'error') {
      throw new EngineError('INVALID_STATE', `session #${id} is still ${s.state}: close it before removing it`);
    }
    this.sessions.delete(id);
    this.host.emit({ name: 'session.removed', payload: { id } });
  }

  /** connect_ex: as in Python, what the kernel refused comes back as an errno; a bad argument still raises. */
  async connectEx(id: number, address: string, port: number, timeoutMs: number | null | undefined): Promise<{ errno: Errno | null; message?: string }> {
    const s = this.get(id);
    try {
      await s.connect(address, port, timeoutMs, 'connect_ex');
      return { errno: null };
    } catch (e) {
      // (An address of the wrong family is refused before any syscall: that raises.)
      if (!(e instanceof EngineError) || !e.errno || e.errno.name === 'EAFNOSUPPORT') throw e;
      return { errno: e.errno, message: e.message };
    }
  }

  /** Node's net serves every stream, dgram the IP datagrams; the rest (AF_UNIX datagrams, SOCK_SEQPACKET) lives in the socket worker. */
  private async createSession(id: number, family: Family, type: SockType): Promise<Session> {
    if (type === 'SOCK_STREAM') return StreamSession.create(id, family, this.host);
    if (type === 'SOCK_DGRAM' && family !== 'AF_UNIX') return UdpSession.create(id, family, this.host);
    return WorkerSession.create(id, family, type, this.host, this.workers);
  }

  /** Closes every open session (app quit, test teardown). */
  async close(): Promise<void> {
    await Promise.allSettled(this.list().filter((s) => s.state !== 'closed').map((s) => s.close()));
    await this.workers.stop();
  }
}
