// SocketWorker: the main process's side of the socket worker. It starts the
// worker through a launcher (a forked Node child by default; bytes stay
// binary either way), matches replies to requests, checks every message,
// acknowledges the data it takes in (the worker's flow control), and
// supervises: when the worker dies, in-flight calls reject naming the signal
// or exit code, `died` lists the handles that were lost, and a new worker is
// started.
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ChildCallError, ChildCalls, ChildDiedError, Restarts, type ChildDiedInfo } from '../../core/child-process.js';
import { unpackedPath } from '../../core/addon.js';
import { type NativeAddr, type Received, type SocketFamily, type SocketType } from '../native.js';
import { forkLauncher, type WorkerChannel, type WorkerLauncher } from './channel.js';
import { isWorkerEvent, resultChecks, type Args, type Handle, type OpName, type Result, type WorkerEvent } from './worker-protocol.js';

/** A call the worker refused: shaped like Node's system errors. */
export class SocketWorkerError extends ChildCallError {
  override name = 'SocketWorkerError';
}

/** The worker went away while the call was in flight. */
export class WorkerDiedError extends ChildDiedError {
  override name = 'WorkerDiedError';
  readonly code = 'ERR_SOCKET_WORKER_DIED';
}

export type DiedInfo = ChildDiedInfo<Handle>;

export interface SocketWorkerEvents {
  ready: [pid: number];
  died: [info: DiedInfo];
  /** Gave up restarting: the worker kept dying before it was ready. */
  failed: [error: Error];
  data: [ev: { handle: Handle; data: Uint8Array; from: NativeAddr | null; truncated: boolean; length?: number }];
  eof: [ev: { handle: Handle }];
  'socket-error': [ev: { handle: Handle; error: SocketWorkerError }];
  accepted: [ev: { handle: Handle; child: Handle; peer: NativeAddr }];
  pending: [ev: { handle: Handle }];
  /** A malformed or unexpected message from the worker (ignored). */
  warning: [error: Error];
}

export interface SocketWorkerOptions {
  /** The worker script; default dist/socket-worker.cjs beside the running bundle. */
  entry?: string;
  /** e.g. ['--import', 'tsx'] to run worker.ts from sources. */
  execArgv?: string[];
  /** Consecutive deaths before `ready` after which restarting stops (default 5). */
  maxFailedStarts?: number;
  /** How to start the process (default: child_process.fork; the desktop app passes utilityProcess). */
  launch?: WorkerLauncher;
}

export class SocketWorker extends EventEmitter<SocketWorkerEvents> {
  private child: WorkerChannel | undefined;
  private stopping: WorkerChannel | undefined;
  /** Data bytes taken in but not yet acknowledged to the worker. */
  private toAck = 0;
  private ackScheduled = false;
  private generation = 0;
  private readonly calls = new ChildCalls<WorkerEvent, OpName, Handle>({
    sender: 'the socket worker',
    isEvent: isWorkerEvent,
    resultChecks,
    refused: (e) => new SocketWorkerError(e),
    opened: (op, result) => (op === 'socket' ? (result as Handle) : op === 'accept' && result ? (result as { handle: Handle }).handle : undefined),
    closeOp: 'close',
  });
  private readonly restarts: Restarts;
  private restartTimer: NodeJS.Timeout | undefined;
  private failure: Error | undefined;
  private readonly entry: string;
  private readonly execArgv: string[];
  private readonly launch: WorkerLauncher | undefined;

  constructor(opts: SocketWorkerOptions = {}) {
    super();
    this.launch = opts.launch;
    this.entry = opts.entry ?? SocketWorker.defaultEntry();
    this.execArgv = opts.execArgv ?? [];
    this.restarts = new Restarts(opts.maxFailedStarts);
  }

  /** dist/socket-worker.cjs next to the bundle that contains this code. */
  static defaultEntry(): string {
    const here = typeof __dirname === 'string' ? __dirname : undefined;
    const entry = here && join(here, 'socket-worker.cjs');
    if (!entry || !existsSync(entry)) {
      throw new Error('the socket worker bundle (dist/socket-worker.cjs) was not found: run `npm run build`, or pass { entry, execArgv } to SocketWorker');
    }
    // Packaged: run the unpacked copy when electron-builder provides one.
    const unpacked = unpackedPath(entry);
    return unpacked !== entry && existsSync(unpacked) ? unpacked : entry;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Handles open in the current worker. */
  handles(): Handle[] {
    return this.calls.handles();
  }

  /** Stops the worker for good (until the next call); in-flight calls reject. */
  async stop(): Promise<void> {
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const child = this.child;
    if (!child) return;
    this.stopping = child;
    const exited = new Promise((r) => child.onExit(() => r(undefined)));
    child.kill('SIGTERM');
    const hard = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(hard);
  }

  call<O extends OpName>(op: O, ...args: Args<O>): Promise<Result<O>> {
    let child: WorkerChannel;
    try {
      child = this.ensure();
    } catch (e) {
      return Promise.reject(e);
    }
    return this.calls.start<Result<O>>(op, op === 'socket' ? undefined : (args[0] as Handle), (rid) => {
      this.holdOpen();
      child.send({ rid, op, args });
    });
  }

  socket(family: SocketFamily, type: SocketType, protocol?: number) { return this.call('socket', family, type, protocol); }
  bind(h: Handle, addr: NativeAddr) { return this.call('bind', h, addr); }
  listen(h: Handle, backlog: number) { return this.call('listen', h, backlog); }
  connect(h: Handle, addr: NativeAddr) { return this.call('connect', h, addr); }
  accept(h: Handle, timeoutMs?: number | null) { return this.call('accept', h, timeoutMs); }
  getsockname(h: Handle) { return this.call('getsockname', h); }
  getpeername(h: Handle) { return this.call('getpeername', h); }
  send(h: Handle, data: Uint8Array, flags?: number) { return this.call('send', h, data, flags); }
  sendto(h: Handle, data: Uint8Array, addr: NativeAddr | null, flags?: number) { return this.call('sendto', h, data, addr, flags); }
  sendall(h: Handle, data: Uint8Array) { return this.call('sendall', h, data); }
  recv(h: Handle, bufsize: number, timeoutMs: number | null, flags?: number): Promise<Received> { return this.call('recv', h, bufsize, timeoutMs, flags); }
  shutdown(h: Handle, how: 0 | 1 | 2) { return this.call('shutdown', h, how); }
  close(h: Handle) { return this.call('close', h); }
  setsockopt(h: Handle, level: number, name: number, value: Uint8Array) { return this.call('setsockopt', h, level, name, value); }
  getsockopt(h: Handle, level: number, name: number, maxLen: number) { return this.call('getsockopt', h, level, name, maxLen); }
  poll(h: Handle, events: number, timeoutMs?: number | null) { return this.call('poll', h, events, timeoutMs); }
  autoRead(h: Handle, on: boolean, bufsize?: number) { return this.call('autoRead', h, on, bufsize); }
  autoAccept(h: Handle, on: boolean) { return this.call('autoAccept', h, on); }

  private ensure(): WorkerChannel {
    if (this.failure) throw this.failure;
    if (this.child) return this.child;
    if (!this.launch && process.versions.electron) {
      // With the runAsNode fuse off (SECURITY.md), fork() would start the app
      // itself again, not a Node worker: the desktop app passes its own launcher.
      throw new Error('the socket worker needs a launcher under Electron (utilityProcess); none was given');
    }
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const child = (this.launch ?? forkLauncher)(this.entry, [`--generation=${++this.generation}`], this.execArgv);
    this.child = child;
    this.restarts.started();
    this.toAck = 0;
    child.onMessage((m) => this.onMessage(child, m));
    child.onExit((code, signal, err) => this.onExit(child, code, signal, err));
    this.holdOpen();
    return child;
  }

  /** Tells the worker how many data bytes were taken in, once per turn of the event loop. */
  private ack(bytes: number): void {
    this.toAck += bytes;
    if (this.ackScheduled) return;
    this.ackScheduled = true;
    setImmediate(() => {
      this.ackScheduled = false;
      if (this.toAck > 0 && this.child) this.child.send({ ack: this.toAck });
      this.toAck = 0;
    });
  }

  /** Keep the app alive only while calls are in flight or sockets are open. */
  private holdOpen(): void {
    const child = this.child;
    if (!child) return;
    child.setRef(this.calls.busy);
  }

  private onMessage(child: WorkerChannel, m: unknown): void {
    if (child !== this.child) return;
    const got = this.calls.receive(m);
    if ('warning' in got) return void this.emit('warning', got.warning);
    if ('event' in got) return this.onEvent(got.event);
    const data = got.reply.ok ? (got.reply.result as { data?: unknown } | null)?.data : undefined;
    if (data instanceof Uint8Array) this.ack(data.byteLength);
    this.holdOpen();
  }

  private onEvent(ev: WorkerEvent): void {
    switch (ev.event) {
      case 'ready':
        this.restarts.ready();
        return void this.emit('ready', ev.pid);
      case 'data':
        this.ack(ev.data.byteLength);
        return void this.emit('data', { handle: ev.handle, data: ev.data, from: ev.from, truncated: ev.truncated, ...(ev.length !== undefined ? { length: ev.length } : {}) });
      case 'eof':
        return void this.emit('eof', { handle: ev.handle });
      case 'pending':
        return void this.emit('pending', { handle: ev.handle });
      case 'error':
        return void this.emit('socket-error', { handle: ev.handle, error: new SocketWorkerError(ev.error) });
      case 'accepted':
        this.calls.adopt(ev.child);
        this.holdOpen();
        return void this.emit('accepted', { handle: ev.handle, child: ev.child, peer: ev.peer });
    }
  }

  private onExit(child: WorkerChannel, exitCode: number | null, signal: NodeJS.Signals | null, spawnError?: Error): void {
    if (child !== this.child) return;
    this.child = undefined;
    const stopped = this.stopping === child;
    this.stopping = undefined;
    const what = spawnError ? `could not start: ${spawnError.message}` : signal ?? `exit code ${exitCode}`;
    const message = stopped ? 'the socket worker was stopped; this session\'s socket was closed' : `the socket worker died (${what}); this session's socket was lost`;
    const handles = this.calls.lost(new WorkerDiedError(message, exitCode, signal));
    if (stopped) return;
    this.emit('died', { exitCode, signal, handles, message });
    const delay = this.restarts.afterDeath();
    if (delay === null) {
      this.failure = new Error(`the socket worker could not be started (${this.restarts.attempts} attempts; last: ${what})`);
      return void this.emit('failed', this.failure);
    }
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.child && !this.failure) this.ensure();
    }, delay);
    this.restartTimer.unref();
  }
}
