// The engine owns every session. It imports node:* only, never Electron, so
// it runs the same under Electron, in browser mode, in the CLI and in tests.
import type { AnyEvent } from '../../shared/contract/index.js';
import type { Handlers } from '../bridge/router.js';
import { epochMs } from './clock.js';
import { EngineError } from './errors.js';
import type { Session, SessionHost } from './session.js';
import { TcpSession } from './tcp-session.js';
import { UdpSession } from './udp-session.js';

export class Engine {
  private readonly sessions = new Map<number, Session>();
  private readonly listeners = new Set<(event: AnyEvent) => void>();
  private nextId = 1;

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
      'session.history': ({ id }) => {
        const s = this.get(id);
        return { trace: [...s.trace], data: s.data.toArray(), droppedBytes: s.data.droppedBytes };
      },
      'session.remove': ({ id }) => {
        const s = this.get(id);
        if (s.state !== 'closed' && s.state !== 'error') {
          throw new EngineError('INVALID_STATE', `session #${id} is still ${s.state}: close it before removing it`);
        }
        this.sessions.delete(id);
        this.host.emit({ name: 'session.removed', payload: { id } });
        return {};
      },
      'socket.create': ({ family, type }) => {
        const id = this.nextId++;
        const s = type === 'SOCK_STREAM' ? TcpSession.create(id, family, this.host) : UdpSession.create(id, family, this.host);
        return this.add(s).info();
      },
      'socket.bind': async ({ id, address, port }) => this.act(id, (s) => s.bind(address, port)),
      'socket.listen': async ({ id, backlog }) => this.act(id, (s) => s.listen(backlog)),
      'socket.connect': async ({ id, address, port, timeoutMs }) =>
        this.act(id, (s) => s.connect(address, port, timeoutMs === undefined ? s.timeoutMs : timeoutMs)),
      'socket.send': async ({ id, data }) => ({ bytes: await this.get(id).send(data) }),
      'socket.sendto': async ({ id, data, address, port }) => ({ bytes: await this.get(id).sendto(data, address, port) }),
      'socket.recv': async ({ id, bufsize }) => ({ data: await this.get(id).recv(bufsize) }),
      'socket.recvfrom': async ({ id, bufsize }) => this.get(id).recvfrom(bufsize),
      'socket.setReadMode': ({ id, mode }) => this.act(id, (s) => s.setReadMode(mode)),
      'socket.settimeout': ({ id, timeoutMs }) => this.act(id, (s) => s.settimeout(timeoutMs)),
      'socket.shutdown': async ({ id, how }) => this.act(id, (s) => s.shutdown(how)),
      'socket.close': async ({ id }) => this.act(id, (s) => s.close()),
      'socket.getsockname': ({ id }) => this.get(id).getsockname(),
      'socket.getpeername': ({ id }) => this.get(id).getpeername(),
    };
  }

  private async act(id: number, fn: (s: Session) => Promise<void> | void) {
    const s = this.get(id);
    await fn(s);
    return s.info();
  }

  /** Closes every open session (app quit, test teardown). */
  async close(): Promise<void> {
    await Promise.allSettled(this.list().filter((s) => s.state !== 'closed').map((s) => s.close()));
  }
}
