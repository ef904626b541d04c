// What the CLI prints. Plain mode: received bytes go to stdout untouched (so
// `sockbench connect … > file` captures the stream), status lines to stderr.
// --json mode: one JSON object per line on stdout for every trace entry and
// every chunk of data, so scripts can read the session as it happened.
import type { DataEntry, SockAddr, TraceEntry } from '../../shared/contract/index.js';
import { formatHostPort } from '../../shared/net/address.js';

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

export class Output {
  constructor(
    private readonly json: boolean,
    private readonly stdout: NodeJS.WritableStream = process.stdout,
    private readonly stderr: NodeJS.WritableStream = process.stderr,
  ) {}

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
      this.line({ event: 'data', session: id, dir, tUs, len: bytes.byteLength, hex: hex(bytes), ...(addr ? { from: addr } : {}) });
    } else if (entry.dir === 'in') {
      this.stdout.write(entry.bytes);
    }
  }
}

export const showAddr = (a: SockAddr | null | undefined) => (a ? formatHostPort(a.address, a.port, a.family) : '?');
