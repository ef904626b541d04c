// Auto-read for a UDP session: its datagrams read in batches (recvmmsg, one
// JavaScript call per batch), on a duplicate of the descriptor dgram holds.
// dgram reads one datagram per callback, with a 64 KiB allocation and an
// address object each: ~6 µs of main's CPU per datagram here, a third of a
// core at 50,000/s, taken from the page on a 2-core machine. This reader
// costs ~2 µs (docs/BENCHMARKS.md).
//
// A datagram that comes alone is read at once. When wakeups come faster than
// FLOOD_GAP_MS apart, the reader rests READ_REST_MS between them, so a flood
// is read in batches of tens instead of one or two per wakeup; the kernel
// holds what comes meanwhile (the session's receive buffer holds seconds of
// it), and each datagram keeps the time the kernel received it
// (SO_TIMESTAMPNS), not the time it was read.
import { errnoName } from '../core/errors.js';
import { native, type NativeAddr, type Watcher } from './native.js';

/** Datagrams one recvmmsg takes (the addon's most). */
const BATCH = 64;
/** Batches one wakeup reads before the event loop gets its turn again (level-triggered: the rest wakes it next time). */
const ROUNDS = 4;
/** Wakeups closer than this mean a flood… */
const FLOOD_GAP_MS = 2;
/** …and the reader rests this long before the next. */
const READ_REST_MS = 1;

export interface ReaderHost {
  /** One datagram: its own bytes, its source (null when the kernel gave none), how long ago the kernel received it (0: unknown). */
  datagram(data: Uint8Array, from: NativeAddr | null, ageUs: number): void;
  /** A read failed (e.g. ECONNREFUSED on a connected socket after an ICMP port unreachable); reading goes on. */
  failed(code: string): void;
}

export class DatagramReader {
  private readonly fd: number;
  private readonly watcher: Watcher;
  private running = false;
  private closed = false;
  private lastWakeMs = -Infinity;
  private rest: NodeJS.Timeout | undefined;
  /** Whether datagrams carry the kernel's arrival time (SO_TIMESTAMPNS took). */
  readonly kernelTimes: boolean;

  /** Reads `fd` (which dgram also holds) through a duplicate; paused until start(). */
  constructor(fd: number, private readonly host: ReaderHost) {
    const n = native();
    this.fd = n.dup(fd);
    try {
      this.kernelTimes = enableTimestamps(this.fd);
      this.watcher = n.watch(this.fd, 'r', (err) => this.wake(err));
      this.watcher.update('');
    } catch (e) {
      n.close(this.fd);
      throw e;
    }
  }

  start(): void {
    if (this.closed || this.running) return;
    this.running = true;
    this.watcher.update('r');
  }

  /** Datagrams stay in the kernel's queue until start(). */
  pause(): void {
    this.running = false;
    clearTimeout(this.rest);
    this.rest = undefined;
    if (!this.closed) this.watcher.update('');
  }

  close(): void {
    if (this.closed) return;
    this.pause();
    this.closed = true;
    this.watcher.stop();
    native().close(this.fd);
  }

  private wake(err: number): void {
    if (!this.running) return;
    if (err) {
      // The watcher pauses after an error (the socket's pending error, now read and cleared).
      this.host.failed(errnoName(err));
      this.watcher.update('r');
      return;
    }
    const now = performance.now();
    const flood = now - this.lastWakeMs < FLOOD_GAP_MS;
    this.lastWakeMs = now;
    this.drain();
    if (flood && this.running) {
      this.watcher.update('');
      this.rest = setTimeout(() => {
        this.rest = undefined;
        if (this.running) this.watcher.update('r');
      }, READ_REST_MS);
    }
  }

  private drain(): void {
    const n = native();
    for (let round = 0; round < ROUNDS && this.running; round++) {
      let got;
      try {
        got = n.recvMany(this.fd, BATCH);
      } catch (e) {
        this.host.failed((e as { code?: string }).code ?? 'EIO');
        return;
      }
      if (!got) return;
      const { data, lengths, ageUs, from } = got;
      let at = data.byteOffset;
      // All of a batch is delivered, even if a datagram's handling paused reading: it has left the kernel's queue.
      for (let i = 0; i < lengths.length; i++) {
        const length = lengths[i]!;
        // A copy of its own: the log, pcapng and Electron's structured clone would otherwise hold (or send) the whole batch.
        this.host.datagram(new Uint8Array(data.buffer, at, length).slice(), from[i] ?? null, ageUs[i] ?? 0);
        at += length;
      }
      if (lengths.length < BATCH) return;
    }
  }
}

/** SO_TIMESTAMPNS on: recvMany then tells each datagram's age. Without it (not Linux) ages are 0 and read time stands. */
function enableTimestamps(fd: number): boolean {
  const n = native();
  const name = (n.constants as Readonly<Record<string, number | undefined>>).SO_TIMESTAMPNS;
  if (name === undefined) return false;
  try {
    n.setsockopt(fd, n.constants.SOL_SOCKET, name, new Uint8Array(new Int32Array([1]).buffer));
    return true;
  } catch {
    return false; // read time stands
  }
}
