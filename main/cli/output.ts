// What the CLI prints. Plain mode: received bytes go to stdout untouched (so
// `sockbench connect … > file` captures the stream), status lines to stderr;
// with --encoding, what arrives is decoded from that encoding and printed as
// UTF-8 text instead. --json mode: one JSON object per line on stdout for
// every trace entry and every chunk of data (with its decoded "text" under
// --encoding), so scripts can read the session as it happened.
import { decodeText, streamDecoder, type StreamDecoder, type TextEncodingName } from '../../shared/codec/index.js';
import type { DataEntry, SockAddr, TraceEntry } from '../../shared/contract/index.js';
import { formatHostPort } from '../../shared/net/address.js';

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** How received bytes become text: in which encoding, and whether a session's bytes are one stream (TCP, Unix streams) or messages. */
export interface TextOutput {
  encoding: TextEncodingName;
  stream: boolean;
}

export class Output {
  /** Streams: one decoder per session and direction, so a character split across two reads prints whole. */
  private readonly decoders = new Map<string, StreamDecoder>();

  constructor(
    private readonly json: boolean,
    private readonly text?: TextOutput,
    private readonly stdout: NodeJS.WritableStream = process.stdout,
    private readonly stderr: NodeJS.WritableStream = process.stderr,
  ) {}

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
      if (rest && dir === 'in' && !this.json) this.stdout.write(rest);
    }
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
      this.stdout.write(text ?? entry.bytes);
    }
  }
}

export const showAddr = (a: SockAddr | null | undefined) => (a ? formatHostPort(a.address, a.port, a.family) : '?');
