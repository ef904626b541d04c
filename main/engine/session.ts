// What every session shares: identity, lifecycle state, the per-call trace
// (strace for one socket), counters and a bounded ring of the bytes seen.
import type {
  AnyEvent, DataEntry, Family, SessionInfo, SessionState, SockAddr, SockType, TraceEntry,
} from '../../shared/contract/index.js';
import { formatHostPort } from '../../shared/net/address.js';
import { nowUs } from './clock.js';
import { EngineError, formatErrno, fromSystemError } from './errors.js';
import { BoundedRing } from './ring.js';

/** How a session talks to its engine. */
export interface SessionHost {
  emit(event: AnyEvent): void;
  /** Registers a new session (an accepted connection) and returns its id. */
  adopt(make: (id: number) => Session): Session;
}

const TRACE_MAX = 5_000;
const RING_ENTRIES = 4_000;
const RING_BYTES = 4 * 1024 * 1024;

export abstract class Session {
  state: SessionState = 'created';
  readMode: 'auto' | 'manual' = 'auto';
  timeoutMs: number | null = null;
  local?: SockAddr;
  peer?: SockAddr;
  parent?: number;
  backlog?: number;
  lastError?: EngineError;
  readonly createdUs = nowUs();
  readonly counters = { bytesIn: 0, bytesOut: 0, chunksIn: 0, chunksOut: 0 };
  private readonly traceLog: TraceEntry[] = [];
  private traceSeq = 0;
  readonly data = new BoundedRing<DataEntry>(RING_ENTRIES, RING_BYTES);

  constructor(
    readonly id: number,
    readonly family: Family,
    readonly type: SockType,
    protected readonly host: SessionHost,
  ) {}

  info(): SessionInfo {
    const info: SessionInfo = {
      id: this.id, family: this.family, type: this.type, state: this.state, readMode: this.readMode,
      timeoutMs: this.timeoutMs, counters: { ...this.counters }, createdUs: this.createdUs,
    };
    if (this.local) info.local = this.local;
    if (this.peer) info.peer = this.peer;
    if (this.parent !== undefined) info.parent = this.parent;
    if (this.backlog !== undefined) info.backlog = this.backlog;
    if (this.lastError) {
      info.lastError = { code: this.lastError.code, message: this.lastError.message };
      if (this.lastError.errno) info.lastError.errno = this.lastError.errno;
    }
    return info;
  }

  get trace(): readonly TraceEntry[] {
    return this.traceLog;
  }

  protected changed(): void {
    this.host.emit({ name: 'session.updated', payload: this.info() });
  }

  protected setState(state: SessionState): void {
    if (this.state === state) return;
    this.state = state;
    this.changed();
  }

  /** Records one entry in the trace and tells the renderer. */
  protected record(entry: Omit<TraceEntry, 'seq'>): void {
    const full: TraceEntry = { seq: ++this.traceSeq, ...entry };
    this.traceLog.push(full);
    if (this.traceLog.length > TRACE_MAX) this.traceLog.splice(0, this.traceLog.length - TRACE_MAX);
    this.host.emit({ name: 'session.trace', payload: { id: this.id, entry: full } });
  }

  /** Something the kernel told us without a call (peer FIN, reset, accept). */
  protected recordEvent(call: string, result: string, err?: EngineError): void {
    const entry: Omit<TraceEntry, 'seq'> = { tUs: nowUs(), call, args: {}, ok: !err };
    if (err) {
      if (err.errno) entry.errno = err.errno;
      entry.message = err.message;
    } else entry.result = result;
    this.record(entry);
  }

  /** Runs one socket call, timing it and recording its result or errno in the trace. */
  protected async traced<T>(
    call: string,
    args: Record<string, unknown>,
    run: () => Promise<T> | T,
    summarize: (r: T) => string,
  ): Promise<T> {
    const tUs = nowUs();
    try {
      const r = await run();
      this.record({ tUs, call, args, ok: true, result: summarize(r), durUs: nowUs() - tUs });
      return r;
    } catch (e) {
      const err = fromSystemError(e, call);
      const entry: Omit<TraceEntry, 'seq'> = { tUs, call, args, ok: false, message: err.message, durUs: nowUs() - tUs };
      if (err.errno) entry.errno = err.errno;
      this.record(entry);
      throw err;
    }
  }

  /** Bytes moved: counted exactly, kept in the ring, forwarded to the renderer. */
  protected noteData(dir: 'in' | 'out', chunk: Uint8Array, addr?: SockAddr): void {
    // A plain Uint8Array view: Buffers would serialise through toJSON.
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (dir === 'in') {
      this.counters.bytesIn += bytes.byteLength;
      this.counters.chunksIn++;
    } else {
      this.counters.bytesOut += bytes.byteLength;
      this.counters.chunksOut++;
    }
    const entry: DataEntry = { id: this.id, dir, tUs: nowUs(), bytes };
    if (addr) entry.addr = addr;
    this.data.push(entry);
    this.host.emit({ name: 'session.data', payload: entry });
    this.changed();
  }

  protected fail(err: EngineError): void {
    this.lastError = err;
    this.setState('error');
  }

  protected requireNotClosed(call: string): void {
    if (this.state === 'closed') throw EngineError.state('EBADF', call, 'the socket is closed');
  }

  protected checkFamily(address: string, call: string): void {
    const v6 = address.includes(':');
    if (v6 !== (this.family === 'AF_INET6')) {
      throw EngineError.os(
        'EAFNOSUPPORT', call,
        `${address} is an ${v6 ? 'IPv6' : 'IPv4'} address but the socket is ${this.family}`, 'address',
      );
    }
  }

  protected addr(address: string, port: number): SockAddr {
    return { family: this.family, address, port };
  }

  static describe(a: SockAddr | undefined): string {
    return a ? formatHostPort(a.address, a.port) : '-';
  }

  abstract bind(address: string, port: number): Promise<void>;
  abstract listen(backlog: number): Promise<void>;
  abstract connect(address: string, port: number, timeoutMs: number | null): Promise<void>;
  abstract send(data: Uint8Array): Promise<number>;
  abstract sendto(data: Uint8Array, address: string, port: number): Promise<number>;
  abstract recv(bufsize: number): Promise<Uint8Array>;
  abstract recvfrom(bufsize: number): Promise<{ data: Uint8Array; from: SockAddr }>;
  abstract setReadMode(mode: 'auto' | 'manual'): void;
  abstract shutdown(how: 'SHUT_RD' | 'SHUT_WR' | 'SHUT_RDWR'): Promise<void>;
  abstract close(): Promise<void>;
  abstract getsockname(): SockAddr;
  abstract getpeername(): SockAddr;

  settimeout(timeoutMs: number | null): void {
    this.requireNotClosed('settimeout');
    this.timeoutMs = timeoutMs;
    this.record({ tUs: nowUs(), call: 'settimeout', args: { timeout: timeoutMs === null ? 'None' : timeoutMs / 1000 }, ok: true, result: 'None' });
    this.changed();
  }
}

export { formatErrno };
