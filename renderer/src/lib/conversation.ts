// The conversation view's model (like Wireshark's Follow Stream): the
// session's data, read from the same bounded ring as the log's rows, as
// wrapped text in the session's encoding (or a hexdump), each direction in
// its own colour. The DOM is kept by hand, not by Vue: a sync appends what
// came since the last one to the last block (or starts a new block) and
// removes the blocks whose entries left the ring, so a flood costs the new
// bytes, never a redraw of everything. Blocks are at most a few KiB, so the
// browser lays out only the one that grew.
import type { DataEntry } from '../../../shared/contract/index.js';
import { decodeText, hexdumpLine, hexdumpLineCount, streamDecoder, type StreamDecoder, type TextEncodingName } from '../../../shared/codec/index.js';
import type { Ring } from '../../../shared/ring.js';

type Dir = DataEntry['dir'];
export type ConvMode = 'text' | 'hex';
/** Which directions are shown (and copied): the whole conversation, or one side. */
export type ConvShow = 'both' | Dir;

/** A block grows up to about this many characters (text) or bytes (hex), then the next one starts. */
const BLOCK_CHARS = 4096;
/** The view shows at most this much of the end of what the ring holds (the rows have the rest). */
export const CONV_MAX_BYTES: Record<ConvMode, number> = { text: 256 * 1024, hex: 64 * 1024 };
const MAX_BLOCKS = 1000;
/**
 * One sync draws at most this many bytes and entries; when more came since
 * the last (a flood), it draws the newest and says how much it passed over
 * (the rows and Copy still have it). Text layout costs the browser far more
 * than decoding: this keeps a flood from taking the page's frames.
 */
const SYNC_BUDGET_BYTES = 8 * 1024;
const SYNC_BUDGET_ENTRIES = 100;
/**
 * A view built afresh (another session chosen, a mode changed) draws the
 * newest this much of its window; the rest is drawn as the reader scrolls up
 * to it (drawEarlier), so a click onto a session with a full window answers
 * in a frame, not after laying out 1,000 blocks or 256 KiB of text.
 */
const EARLIER_CHUNK_BYTES = 16 * 1024;
const EARLIER_CHUNK_ENTRIES = 200;
/** Of one entry, at most this much is drawn (a bulk read of megabytes would take the browser seconds to lay out); the rest is said. */
export const ENTRY_SHOWN_MAX = 64 * 1024;
/** A block with no line end grows to this many characters at most before the next starts. */
const BLOCK_CHARS_UNBROKEN = 4 * BLOCK_CHARS;

// Controls other than \n and \t as '·' (as Wireshark's Follow Stream shows them '.'), so nothing is
// invisible; \r before a line end is dropped. A character every monospace font has: a glyph the font
// lacks sends the browser looking through fallback fonts, which under a flood of zeros cost seconds.
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f]/g;
const visible = (s: string): string => s.replace(CONTROLS, (c) => (c === '\r' ? '' : '·'));

interface Block {
  /** 'gap': a line where the view skipped bytes. */
  dir: Dir | 'gap';
  el: HTMLElement;
  node: Text;
  /** Sequence numbers of the first and last entries it shows. */
  first: number;
  last: number;
  bytes: number;
  /** Hex mode: the block's bytes (it is drawn again as it grows); its offset in its direction's stream. */
  parts?: Uint8Array[];
  offset?: number;
  chars: number;
}

export interface ConvOptions {
  encoding: TextEncodingName;
  /** Stream sockets: each direction is one byte stream; otherwise each entry is a message (a block of its own). */
  stream: boolean;
  mode: ConvMode;
  show: ConvShow;
  /** Bytes the view skipped (during a flood) just before the entry with this sequence number, if any. */
  gapBefore: (seq: number) => number | undefined;
  /** The line that marks such a gap. */
  gapText: (bytes: number) => string;
  /** The line that marks what a sync passed over, as more came than it draws at once. */
  fastText: (bytes: number) => string;
  /** What follows the part drawn of an entry longer than ENTRY_SHOWN_MAX. */
  moreText: (bytes: number) => string;
  /** Whether the reader is at the end: a flood then replaces what is drawn instead of adding to it. */
  following?: () => boolean;
}

export class Conversation {
  private blocks: Block[] = [];
  private decoders: Record<Dir, StreamDecoder>;
  private offsets: Record<Dir, number> = { in: 0, out: 0 };
  /** The next sequence number to add, and the entry before it (to notice a replaced ring). */
  private next = -1;
  private lastEntry: DataEntry | undefined;
  private shownBytes = 0;
  /** Of one entry, how much this sync draws: ENTRY_SHOWN_MAX, or the sync's budget during a flood. */
  private entryCap = ENTRY_SHOWN_MAX;
  /** Hex mode: blocks that grew during this sync. */
  private dirty = new Set<Block>();
  /** Bytes held by the ring but not shown (before the view's window). */
  skippedBytes = 0;
  /** Entries of the window not drawn yet (from ≤ seq < to), drawn as the reader scrolls up; from = to: none. */
  private earlier = { from: 0, to: 0 };
  /** Where in each direction's stream the first drawn entry begins (hex offsets of what is drawn above it count back from here). */
  private earlierOffsets: Record<Dir, number> = { in: 0, out: 0 };

  constructor(
    /** Where blocks go (a fragment while drawEarlier draws above what is drawn). */
    private root: HTMLElement | DocumentFragment,
    readonly options: ConvOptions,
  ) {
    this.decoders = { in: streamDecoder(options.encoding), out: streamDecoder(options.encoding) };
  }

  /** Brings the view up to the ring: removes what left it, appends what came. */
  sync(ring: Ring<DataEntry>): void {
    const continuing = this.next >= ring.firstSeq && this.next <= ring.endSeq &&
      (this.next === ring.firstSeq || ring.bySeq(this.next - 1) === this.lastEntry);
    if (!continuing) this.reset(ring);
    this.earlier.from = Math.max(this.earlier.from, ring.firstSeq);
    if (this.earlier.to <= this.earlier.from) this.earlier = { from: 0, to: 0 };
    while (this.blocks.length > 0 && this.blocks[0]!.last < ring.firstSeq) this.dropFirst();
    // A view built afresh draws its whole window once; after that, a sync's budget applies.
    this.entryCap = ENTRY_SHOWN_MAX;
    if (continuing) this.passOver(ring);
    for (let seq = this.next; seq < ring.endSeq; seq++) this.add(ring.bySeq(seq)!, seq);
    for (const b of this.dirty) b.node.data = hexdump(b.parts!, b.offset!);
    this.dirty.clear();
    this.next = ring.endSeq;
    this.lastEntry = ring.bySeq(ring.endSeq - 1);
    const cap = CONV_MAX_BYTES[this.options.mode];
    while (this.blocks.length > 1 && (this.shownBytes > cap || this.blocks.length > MAX_BLOCKS)) {
      this.skippedBytes += this.blocks[0]!.bytes;
      this.dropFirst();
      // The window's start moved past what was not drawn yet: it is skipped now.
      this.skippedBytes += this.earlierBytes(ring);
      this.earlier = { from: 0, to: 0 };
    }
  }

  /** Whether part of the window is not drawn yet (above the first block). */
  get hasEarlier(): boolean {
    return this.earlier.to > this.earlier.from;
  }

  /**
   * Draws the next chunk of the window above what is drawn (the reader
   * scrolled up to it; the browser's scroll anchoring keeps their place).
   */
  drawEarlier(ring: Ring<DataEntry>): boolean {
    const { from, to } = this.earlier;
    if (to <= from || from < ring.firstSeq || to > ring.endSeq) {
      this.earlier = { from: 0, to: 0 };
      return false;
    }
    let seq = to;
    let bytes = 0;
    while (seq > from && to - seq < EARLIER_CHUNK_ENTRIES && bytes < EARLIER_CHUNK_BYTES) bytes += ring.bySeq(--seq)!.bytes.byteLength;
    // Drawn as a sync draws, into a fragment of its own: fresh decoders, the hex offsets of where the chunk begins.
    const saved = { root: this.root, blocks: this.blocks, decoders: this.decoders, offsets: this.offsets };
    const offsets = { ...this.earlierOffsets };
    for (let s = seq; s < to; s++) offsets[ring.bySeq(s)!.dir] -= ring.bySeq(s)!.bytes.byteLength;
    this.earlierOffsets = { ...offsets };
    const fragment = document.createDocumentFragment();
    this.root = fragment;
    this.blocks = [];
    this.decoders = { in: streamDecoder(this.options.encoding), out: streamDecoder(this.options.encoding) };
    this.offsets = offsets;
    this.entryCap = ENTRY_SHOWN_MAX;
    try {
      for (let s = seq; s < to; s++) this.add(ring.bySeq(s)!, s);
      for (const b of this.dirty) b.node.data = hexdump(b.parts!, b.offset!);
      this.dirty.clear();
    } finally {
      const drawn = this.blocks;
      Object.assign(this, saved);
      this.root.prepend(fragment);
      this.blocks = drawn.concat(this.blocks);
    }
    this.earlier.to = seq;
    return true;
  }

  /** Bytes of the window not drawn yet. */
  private earlierBytes(ring: Ring<DataEntry>): number {
    let n = 0;
    for (let s = Math.max(this.earlier.from, ring.firstSeq); s < Math.min(this.earlier.to, ring.endSeq); s++) n += ring.bySeq(s)!.bytes.byteLength;
    return n;
  }

  /** More than one sync's budget came: start drawing at the newest that fit, and mark what was passed over. */
  private passOver(ring: Ring<DataEntry>): void {
    // The newest entries up to the budget; the one that crosses it is drawn in part.
    let seq = ring.endSeq;
    let bytes = 0;
    while (seq > this.next && ring.endSeq - seq < SYNC_BUDGET_ENTRIES && bytes < SYNC_BUDGET_BYTES) {
      bytes += ring.bySeq(--seq)!.bytes.byteLength;
    }
    if (seq === this.next && bytes <= SYNC_BUDGET_BYTES) return;
    this.entryCap = SYNC_BUDGET_BYTES;
    let passed = 0;
    for (let s = this.next; s < seq; s++) {
      const e = ring.bySeq(s)!;
      this.offsets[e.dir] += e.bytes.byteLength;
      if (this.options.show === 'both' || this.options.show === e.dir) passed += e.bytes.byteLength;
    }
    this.next = seq;
    if (passed === 0) return;
    // Following a flood: the newest screenfuls replace what is drawn. Nobody reads what would
    // scroll past, and laying out a short view costs a fraction of adding to a long one.
    if (this.options.following?.()) this.clear(ring);
    this.decoders = { in: streamDecoder(this.options.encoding), out: streamDecoder(this.options.encoding) };
    this.gap(seq, this.options.fastText(passed), 'conv-gap conv-fast');
  }

  get blockCount(): number {
    return this.blocks.length;
  }

  /** The text nodes of the data, in order (for find). */
  textNodes(): Text[] {
    return this.blocks.filter((b) => b.dir === 'in' || b.dir === 'out').map((b) => b.node);
  }

  private reset(ring: Ring<DataEntry>): void {
    this.root.textContent = '';
    this.blocks = [];
    this.shownBytes = 0;
    this.decoders = { in: streamDecoder(this.options.encoding), out: streamDecoder(this.options.encoding) };
    this.offsets = { in: 0, out: 0 };
    // Start within the window: what is before it is only counted.
    const cap = CONV_MAX_BYTES[this.options.mode];
    let seq = ring.endSeq;
    let bytes = 0;
    while (seq > ring.firstSeq && ring.endSeq - seq < MAX_BLOCKS && bytes + ring.bySeq(seq - 1)!.bytes.byteLength <= cap) bytes += ring.bySeq(--seq)!.bytes.byteLength;
    this.skippedBytes = ring.bytes - bytes;
    // The newest chunk now; what is before it when the reader scrolls up to it.
    let drawFrom = ring.endSeq;
    let drawn = 0;
    while (drawFrom > seq && ring.endSeq - drawFrom < EARLIER_CHUNK_ENTRIES && drawn < EARLIER_CHUNK_BYTES) drawn += ring.bySeq(--drawFrom)!.bytes.byteLength;
    this.earlier = { from: seq, to: drawFrom };
    for (let s = seq; s < drawFrom; s++) this.offsets[ring.bySeq(s)!.dir] += ring.bySeq(s)!.bytes.byteLength;
    this.earlierOffsets = { ...this.offsets };
    this.next = drawFrom;
  }

  /** Every block gone (counted as skipped), the view empty. */
  private clear(ring: Ring<DataEntry>): void {
    this.skippedBytes += this.earlierBytes(ring);
    this.earlier = { from: 0, to: 0 };
    for (const b of this.blocks) this.skippedBytes += b.bytes;
    this.blocks = [];
    this.shownBytes = 0;
    this.root.textContent = '';
  }

  private dropFirst(): void {
    const b = this.blocks.shift()!;
    b.el.remove();
    this.shownBytes -= b.bytes;
  }

  private add(e: DataEntry, seq: number): void {
    const { show, mode, stream } = this.options;
    const gap = this.options.gapBefore(seq);
    if (gap !== undefined) this.gap(seq, this.options.gapText(gap));
    const offset = this.offsets[e.dir];
    this.offsets[e.dir] += e.bytes.byteLength;
    if (show !== 'both' && show !== e.dir) return;
    this.shownBytes += e.bytes.byteLength;
    const big = e.bytes.byteLength > this.entryCap;
    const bytes = big ? e.bytes.subarray(0, this.entryCap) : e.bytes;
    const last = this.blocks[this.blocks.length - 1];
    const joins = stream && last !== undefined && last.dir === e.dir && last.chars < BLOCK_CHARS;
    if (mode === 'hex') {
      const b = joins ? last : this.newBlock(e, seq, offset);
      b.parts!.push(bytes);
      b.last = seq;
      b.bytes += e.bytes.byteLength;
      b.chars = b.bytes;
      this.dirty.add(b); // drawn once at the end of the sync, however many entries joined it
      return;
    }
    let text = visible(stream ? this.decoders[e.dir].write(bytes) : decodeText(bytes, this.options.encoding));
    if (!stream && e.repeat !== undefined && e.repeat > 1) text = `×${e.repeat}  ${text}`;
    // What follows does not continue the bytes drawn: start the direction's decoder afresh.
    if (big && stream) this.decoders[e.dir] = streamDecoder(this.options.encoding);
    let b = joins ? last : this.newBlock(e, seq, offset);
    if (joins && last.chars + text.length > BLOCK_CHARS) {
      // Split at a line end, where a new block changes nothing on screen.
      const nl = text.indexOf('\n');
      if (nl >= 0 && nl < text.length - 1) {
        last.node.appendData(text.slice(0, nl + 1));
        last.chars = BLOCK_CHARS;
        text = text.slice(nl + 1);
        b = this.newBlock(e, seq, offset);
      } else if (nl < 0 && last.chars > BLOCK_CHARS_UNBROKEN) {
        // No line end for a long while (binary, or one long line): a new block anyway, to keep each one's layout small.
        b = this.newBlock(e, seq, offset);
      }
    }
    b.node.appendData(text);
    b.chars += text.length;
    b.last = seq;
    b.bytes += e.bytes.byteLength;
    // The rest of a read drawn in part is said on a line of its own, so the next read's text does not seem to join it.
    if (big) this.gap(seq, this.options.moreText(e.bytes.byteLength - this.entryCap), 'conv-gap conv-fast');
  }

  /** A line of its own where the view skipped bytes: the text either side of it does not join up. */
  private gap(seq: number, text: string, className = 'conv-gap'): void {
    const el = document.createElement('div');
    el.className = className;
    el.dataset.testid = 'conv-gap';
    const node = document.createTextNode(text);
    el.append(node);
    this.root.append(el);
    // A block of no direction and no bytes, so nothing joins it and it leaves with the entries after it.
    this.blocks.push({ dir: 'gap', el, node, first: seq, last: seq, bytes: 0, chars: Infinity });
  }

  private newBlock(e: DataEntry, seq: number, offset: number): Block {
    const el = document.createElement('div');
    el.className = `conv-block conv-${e.dir}`;
    el.dataset.dir = e.dir;
    const node = document.createTextNode('');
    el.append(node);
    this.root.append(el);
    const b: Block = { dir: e.dir, el, node, first: seq, last: seq, bytes: 0, chars: 0 };
    if (this.options.mode === 'hex') {
      b.parts = [];
      b.offset = offset;
    }
    this.blocks.push(b);
    return b;
  }
}

function hexdump(parts: Uint8Array[], offset: number): string {
  const all = parts.length === 1 ? parts[0]! : concat(parts);
  const lines: string[] = [];
  for (let l = 0; l < hexdumpLineCount(all.byteLength, 16); l++) {
    const line = hexdumpLine(all, l, 16, offset);
    lines.push(`${line.offset}  ${line.hex}  ${line.ascii}`);
  }
  return lines.join('\n');
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.byteLength;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** The bytes the ring holds in the chosen directions, in order. */
export function heldBytes(ring: Ring<DataEntry>, show: ConvShow): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < ring.length; i++) {
    const e = ring.at(i)!;
    if (show === 'both' || show === e.dir) parts.push(e.bytes);
  }
  return concat(parts);
}

/** The text of what the ring holds in the chosen directions, each direction decoded as the stream it is. */
export function heldText(ring: Ring<DataEntry>, show: ConvShow, encoding: TextEncodingName, stream: boolean): string {
  const decoders: Record<Dir, StreamDecoder> = { in: streamDecoder(encoding), out: streamDecoder(encoding) };
  let out = '';
  for (let i = 0; i < ring.length; i++) {
    const e = ring.at(i)!;
    if (show !== 'both' && show !== e.dir) continue;
    out += stream ? decoders[e.dir].write(e.bytes) : decodeText(e.bytes, encoding) + (show === 'both' ? '\n' : '');
  }
  return out;
}
