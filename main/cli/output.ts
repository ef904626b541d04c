// What the CLI prints. Plain mode: received bytes go to stdout untouched (so
// `sockbench connect … > file` captures the stream), status lines to stderr;
// with --encoding, what arrives is decoded from that encoding and printed as
// UTF-8 text instead. --json mode: one JSON object per line on stdout for
// every trace entry and every chunk of data (with its decoded "text" under
// --encoding), so scripts can read the session as it happened.
import { fstatSync, writevSync } from 'node:fs';
import { isatty } from 'node:tty';
import { decodeText, streamDecoder, type StreamDecoder, type TextEncodingName } from '../../shared/codec/index.js';
import type { DataEntry, SockAddr, TraceEntry } from '../../shared/contract/index.js';
import { formatHostPort } from '../../shared/net/address.js';

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** How received bytes become text: in which encoding, and whether a session's bytes are one stream (TCP, Unix streams) or messages. */
export interface TextOutput {
  encoding: TextEncodingName;
  stream: boolean;
}

/**
 * The descriptor of `stream` when it is a file or a device such as /dev/null,
 * which Node writes synchronously, one write(2) per chunk; undefined for
 * pipes, sockets, terminals and streams of our own.
 */
function fileDescriptorOf(stream: NodeJS.WritableStream): number | undefined {
  const fd = (stream as { fd?: unknown }).fd;
  if (typeof fd !== 'number' || isatty(fd)) return undefined;
  try {
    const st = fstatSync(fd);
    return st.isFile() || st.isCharacterDevice() ? fd : undefined;
  } catch {
    return undefined;
  }
}

/** Received bytes gathered for one writev(2): at most this many chunks or bytes. */
const GATHER_CHUNKS = 256;
const GATHER_BYTES = 4 * 1024 * 1024;

export class Output {
  /** Streams: one decoder per session and direction, so a character split across two reads prints whole. */
  private readonly decoders = new Map<string, StreamDecoder>();
  /**
   * With stdout a file (`sockbench listen … > file`, or /dev/null), received
   * bytes are gathered and written with one writev(2) per turn of the event
   * loop: a write(2) per 64 KiB read was a fifth of the CLI's CPU there.
   */
  private readonly fd: number | undefined;
  private gathered: Uint8Array[] = [];
  private gatheredBytes = 0;

  constructor(
    private readonly json: boolean,
    private readonly text?: TextOutput,
    private readonly stdout: NodeJS.WritableStream = process.stdout,
    private readonly stderr: NodeJS.WritableStream = process.stderr,
  ) {
    this.fd = fileDescriptorOf(stdout);
    if (this.fd !== undefined) process.once('exit', () => this.flush());
  }

  /** Received bytes (or their text) to stdout, in order. */
  private write(chunk: Uint8Array | string): void {
    if (this.fd === undefined) {
      this.stdout.write(chunk);
      return;
    }
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (bytes.byteLength === 0) return;
    if (this.gathered.length === 0) setImmediate(() => this.flush());
    this.gathered.push(bytes);
    this.gatheredBytes += bytes.byteLength;
    if (this.gathered.length >= GATHER_CHUNKS || this.gatheredBytes >= GATHER_BYTES) this.flush();
  }

  /** Writes what was gathered; a failure goes to stdout's 'error' listeners, as a failed write of the stream's own would. */
  flush(): void {
    let chunks = this.gathered;
    if (chunks.length === 0 || this.fd === undefined) return;
    this.gathered = [];
    this.gatheredBytes = 0;
    try {
      while (chunks.length > 0) {
        let n = writevSync(this.fd, chunks);
        if (n === 0) throw Object.assign(new Error('EIO: stdout took none of the bytes, writev'), { code: 'EIO' });
        let k = 0;
        while (k < chunks.length && n >= chunks[k]!.byteLength) n -= chunks[k++]!.byteLength;
        chunks = chunks.slice(k);
        if (n > 0) chunks[0] = chunks[0]!.subarray(n); // a short write: the rest goes next
      }
    } catch (e) {
      this.stdout.emit('error', e);
    }
  }

  /** The text this entry completes (undefined without --encoding). */
  private decode(entry: DataEntry): string | undefined {
    if (!this.text) return undefined;
    if (!this.text.stream) return decodeText(entry.bytes, this.text.encoding);
    const key = `${entry.id}:${entry.dir}`;
    let d = this.decoders.get(key);
    if (!d) this.decoders.set(key, (d = streamDecoder(this.text.encoding)));
    return d.write(entry.bytes);
  }

  /** The end of a session: bytes of an unfinished character are printed as U+FFFD (plain mode). */
  ended(session: number): void {
    for (const dir of ['in', 'out'] as const) {
      const key = `${session}:${dir}`;
      const rest = this.decoders.get(key)?.end();
      this.decoders.delete(key);
      if (rest && dir === 'in' && !this.json) this.write(rest);
    }
    this.flush();
  }

  private line(obj: Record<string, unknown>): void {
    this.stdout.write(JSON.stringify(obj) + '\n');
  }

  status(text: string, fields: Record<string, unknown> = {}): void {
    if (this.json) this.line({ event: 'status', message: text, ...fields });
    else this.stderr.write(`sockbench: ${text}\n`);
  }

  trace(session: number, entry: TraceEntry): void {
    if (this.json) this.line({ event: 'trace', session, ...entry });
  }

  data(entry: DataEntry): void {
    if (this.json) {
      const { id, dir, tUs, bytes, addr } = entry;
      const text = this.decode(entry);
      this.line({
        event: 'data', session: id, dir, tUs, len: bytes.byteLength, hex: hex(bytes), ...(text === undefined ? {} : { text }), ...(addr ? { from: addr } : {}),
      });
    } else if (entry.dir === 'in') {
      const text = this.decode(entry);
      this.write(text ?? entry.bytes);
    }
  }
}

export const showAddr = (a: SockAddr | null | undefined) => (a ? formatHostPort(a.address, a.port, a.family) : '?');
