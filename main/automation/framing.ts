// Cutting what arrives into messages, as a rule set's `framing` says. A TCP
// read can hold half a message or three: a Framer keeps what is left over
// until the rest comes. Datagrams are cut one by one (nothing carries over
// from one datagram to the next: each may come from someone else).
import { ByteQueue } from './byte-queue.js';

/** Longest message a framer buffers (a line without its newline, a length prefix that says more). */
export const MAX_MESSAGE = 16 * 1024 * 1024;

export type FramingSpec =
  | { kind: 'line' }
  | { kind: 'raw' }
  | { kind: 'fixed'; size: number }
  | { kind: 'length'; width: 1 | 2 | 4; littleEndian: boolean };

/** The framing text of a rule set ("line", "fixed:8", "length:u16be"); it passed the schema. */
export function parseFraming(text: string): FramingSpec {
  if (text === 'line' || text === 'raw') return { kind: text };
  const fixed = /^fixed:(\d+)$/.exec(text);
  if (fixed) return { kind: 'fixed', size: Number(fixed[1]) };
  const len = /^length:u(8|16|32)(be|le)?$/.exec(text);
  if (len) return { kind: 'length', width: (Number(len[1]) / 8) as 1 | 2 | 4, littleEndian: len[2] === 'le' };
  throw new Error(`unknown framing "${text}"`);
}

export interface Cut {
  messages: Uint8Array[];
  /** Something the trace should say (a frame longer than MAX_MESSAGE was given up). */
  notes: string[];
}

export class Framer {
  private readonly held = new ByteQueue();
  /** Line framing: how many held bytes were searched for a newline already (they hold none). */
  private scanned = 0;

  constructor(private readonly spec: FramingSpec) {}

  /** Bytes held for a message not complete yet. */
  get pending(): Uint8Array {
    return this.held.view().slice();
  }

  /** The messages completed by this chunk (a stream's read). */
  push(chunk: Uint8Array): Cut {
    if (this.spec.kind === 'raw') return { messages: chunk.byteLength ? [chunk] : [], notes: [] };
    this.held.push(chunk);
    const { messages, used, notes } = cut(this.spec, this.held.view(), this.scanned);
    this.held.drop(used);
    this.scanned = this.held.length;
    return { messages, notes };
  }

  /** One datagram: cut on its own; a partial message at its end is a message too. */
  static datagram(spec: FramingSpec, datagram: Uint8Array): Cut {
    if (spec.kind === 'raw') return { messages: [datagram], notes: [] };
    const { messages, used, notes } = cut(spec, datagram, 0);
    if (used < datagram.byteLength) messages.push(datagram.slice(used));
    return { messages, notes };
  }
}

/** Complete messages at the start of `bytes` (a newline is searched from `from` on: what was scanned before has none). */
function cut(spec: FramingSpec, bytes: Uint8Array, from: number): { messages: Uint8Array[]; used: number; notes: string[] } {
  const messages: Uint8Array[] = [];
  const notes: string[] = [];
  let at = 0;
  if (spec.kind === 'line') {
    for (;;) {
      const nl = bytes.indexOf(0x0a, Math.max(at, from));
      if (nl < 0) break;
      const end = nl > at && bytes[nl - 1] === 0x0d ? nl - 1 : nl;
      messages.push(bytes.slice(at, end));
      at = nl + 1;
    }
    if (bytes.byteLength - at > MAX_MESSAGE) {
      notes.push(`rules: ${bytes.byteLength - at} bytes without a newline (more than ${MAX_MESSAGE}): taken as one message`);
      messages.push(bytes.slice(at));
      at = bytes.byteLength;
    }
  } else if (spec.kind === 'fixed') {
    while (bytes.byteLength - at >= spec.size) {
      messages.push(bytes.slice(at, at + spec.size));
      at += spec.size;
    }
  } else if (spec.kind === 'length') {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    while (bytes.byteLength - at >= spec.width) {
      const n = spec.width === 1 ? view.getUint8(at) : spec.width === 2 ? view.getUint16(at, spec.littleEndian) : view.getUint32(at, spec.littleEndian);
      if (n > MAX_MESSAGE) {
        notes.push(`rules: a length prefix says ${n} bytes, more than ${MAX_MESSAGE}: the ${bytes.byteLength - at} bytes held were given up`);
        at = bytes.byteLength;
        break;
      }
      if (bytes.byteLength - at - spec.width < n) break;
      messages.push(bytes.slice(at + spec.width, at + spec.width + n));
      at += spec.width + n;
    }
  }
  return { messages, used: at, notes };
}
