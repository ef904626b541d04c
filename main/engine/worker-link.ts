// WorkerLink is the engine's one SocketWorker, started on first use, with the
// routing of its events (data, eof, accepted, pending, socket errors) to the
// sessions by handle. When the worker dies, every session it held goes to
// `error` with the worker's message; the worker restarts for new sessions.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { EngineError } from '../core/errors.js';
import { SocketWorker, type SocketWorkerError, type SocketWorkerOptions } from './worker/socket-worker.js';
import type { NativeAddr } from './native.js';
import type { Handle } from './worker/worker-protocol.js';

/** What the worker tells a session about its socket (WorkerSession implements it). */
export interface WorkerSocketEvents {
  onData(data: Uint8Array, from: NativeAddr | null, truncated: boolean, length?: number): void;
  onEof(): void;
  onSocketError(error: SocketWorkerError): void;
  onPending(): void;
  onAccepted(child: Handle, peer: NativeAddr): void;
  /** The worker died: the socket is gone. */
  onLost(message: string): void;
}

/** The worker's script: the bundle beside this code (dist/), else the sources run with tsx (tests, dev). */
export function defaultWorkerOptions(): SocketWorkerOptions {
  try {
    return { entry: SocketWorker.defaultEntry() };
  } catch (e) {
    const here = typeof __dirname === 'string' ? __dirname : undefined;
    const candidates = [
      here && join(here, 'worker', 'worker-main.ts'),
      join(process.cwd(), 'main', 'engine', 'worker', 'worker-main.ts'),
    ].filter((p): p is string => Boolean(p));
    const source = candidates.find((p) => existsSync(p));
    if (!source) throw e;
    return { entry: source, execArgv: ['--import', 'tsx'] };
  }
}

/** The engine's socket worker and the routing of its events to sessions. */
export class WorkerLink {
  private sw: SocketWorker | undefined;
  private readonly sessions = new Map<Handle, WorkerSocketEvents>();

  constructor(private readonly options?: SocketWorkerOptions) {}

  /** The worker, created (not yet forked: the first call does that) on first use. */
  get worker(): SocketWorker {
    if (this.sw) return this.sw;
    let sw: SocketWorker;
    try {
      sw = new SocketWorker(this.options ?? defaultWorkerOptions());
    } catch (e) {
      throw new EngineError('INTERNAL', `socket: ${(e as Error).message}`);
    }
    sw.on('data', (ev) => this.sessions.get(ev.handle)?.onData(ev.data, ev.from, ev.truncated, ev.length));
    sw.on('eof', (ev) => this.sessions.get(ev.handle)?.onEof());
    sw.on('socket-error', (ev) => this.sessions.get(ev.handle)?.onSocketError(ev.error));
    sw.on('pending', (ev) => this.sessions.get(ev.handle)?.onPending());
    sw.on('accepted', (ev) => {
      const listener = this.sessions.get(ev.handle);
      if (listener) listener.onAccepted(ev.child, ev.peer);
      else sw.close(ev.child).catch(() => undefined); // its listener is gone: nobody will use it
    });
    sw.on('died', (info) => {
      for (const h of info.handles) {
        const s = this.sessions.get(h);
        this.sessions.delete(h);
        s?.onLost(info.message);
      }
    });
    sw.on('warning', () => undefined);
    this.sw = sw;
    return sw;
  }

  /** The worker if one was ever started (for tests: its pid). */
  get started(): SocketWorker | undefined {
    return this.sw;
  }

  register(h: Handle, s: WorkerSocketEvents): void {
    this.sessions.set(h, s);
  }

  unregister(h: Handle): void {
    this.sessions.delete(h);
  }

  async stop(): Promise<void> {
    await this.sw?.stop();
  }
}
