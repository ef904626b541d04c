// The data log's text column: each row's bytes decoded in the encoding chosen
// for the session, and whether a received frame ends in a valid checksum of
// the kind chosen for it. On a stream, each direction is decoded by one
// streaming decoder in order, so a character split across two reads shows
// whole in the row that completes it. Decoding is lazy (only rows drawn, and
// what precedes them) and cached per entry, so a flood costs no more than
// the rows on screen.
import { reactive, watch } from 'vue';
import type { DataEntry } from '../../../shared/contract/index.js';
import {
  decodeText, endsWithChecksum, showText, streamDecoder, type ChecksumName, type StreamDecoder, type TextEncodingName,
} from '../../../shared/codec/index.js';
import type { Ring } from '../../../shared/ring.js';
import { storageGet, storageSet } from './storage.js';

/** A row shows at most this much text (the open row's hexdump has every byte). */
export const ROW_TEXT_CHARS = 400;
/** A decoder further behind than this many entries starts afresh near the row asked for. */
const MAX_CATCH_UP = 2000;
/** Entries decoded before a row when starting afresh, so a character begun in them is whole. */
const WARM_UP = 8;

type Dir = DataEntry['dir'];

interface DirState {
  decoder: StreamDecoder;
  /** The entry it decoded last, and its sequence number then (checked again, the ring may have been replaced). */
  seq: number;
  entry: DataEntry | undefined;
}

export class LogText {
  private readonly texts = new WeakMap<DataEntry, string>();
  private readonly checks = new WeakMap<DataEntry, boolean>();
  private readonly dirs: Record<Dir, DirState>;

  /** `stream`: bytes of one direction are one stream (TCP, AF_UNIX streams); otherwise each entry is a message. */
  constructor(
    readonly encoding: TextEncodingName,
    readonly stream: boolean,
    readonly checksum: ChecksumName | null,
  ) {
    const fresh = (): DirState => ({ decoder: streamDecoder(encoding), seq: -1, entry: undefined });
    this.dirs = { in: fresh(), out: fresh() };
  }

  /** The text of the entry with sequence number `seq`, one line, escapes for controls. */
  text(ring: Ring<DataEntry>, seq: number): string {
    const e = ring.bySeq(seq);
    if (!e) return '';
    const known = this.texts.get(e);
    if (known !== undefined) return known;
    if (!this.stream) {
      const t = present(decodeText(e.bytes, this.encoding));
      this.texts.set(e, t);
      return t;
    }
    const d = this.dirs[e.dir];
    const continuing = d.entry !== undefined && d.seq < seq && seq - d.seq <= MAX_CATCH_UP && ring.bySeq(d.seq) === d.entry;
    let from = d.seq + 1;
    if (!continuing) {
      // Too far, or backwards: begin again a few entries before this one. Those
      // few may start inside a character, so only this row's text is kept.
      d.decoder = streamDecoder(this.encoding);
      from = Math.max(ring.firstSeq, seq - WARM_UP);
    }
    const keepFrom = continuing ? from : seq;
    for (let s = from; s <= seq; s++) {
      const x = ring.bySeq(s)!;
      if (x.dir !== e.dir) continue;
      const t = present(d.decoder.write(x.bytes));
      if (s >= keepFrom && !this.texts.has(x)) this.texts.set(x, t);
      d.seq = s;
      d.entry = x;
    }
    return this.texts.get(e) ?? '';
  }

  /** Whether a received entry ends in a valid checksum of the session's chosen kind. */
  checksumOk(e: DataEntry): boolean {
    if (!this.checksum || e.dir !== 'in') return false;
    let ok = this.checks.get(e);
    if (ok === undefined) this.checks.set(e, (ok = endsWithChecksum(e.bytes, this.checksum)));
    return ok;
  }
}

const present = (text: string): string => {
  const s = showText(text.length > ROW_TEXT_CHARS ? text.slice(0, ROW_TEXT_CHARS) : text);
  return text.length > ROW_TEXT_CHARS ? s + '…' : s;
};

/** One LogText per ring (so it goes with the session's log), made again when the encoding or checksum kind changes. */
const byRing = new WeakMap<Ring<DataEntry>, LogText>();

export function logTextFor(ring: Ring<DataEntry>, encoding: TextEncodingName, stream: boolean, checksum: ChecksumName | null): LogText {
  let t = byRing.get(ring);
  if (!t || t.encoding !== encoding || t.stream !== stream || t.checksum !== checksum) byRing.set(ring, (t = new LogText(encoding, stream, checksum)));
  return t;
}

const COLUMNS_KEY = 'sockbench.logColumns';

/** Which of the hex and text columns the log shows (NetAssist's display toggles); at least one. */
export const logColumns = reactive(loadColumns());

function loadColumns(): { hex: boolean; text: boolean } {
  const saved = storageGet('local', COLUMNS_KEY);
  return { hex: saved !== 'text', text: saved !== 'hex' };
}

watch(logColumns, (c) => storageSet('local', COLUMNS_KEY, c.hex && c.text ? null : c.hex ? 'hex' : 'text'));

export function toggleColumn(which: 'hex' | 'text'): void {
  const other = which === 'hex' ? 'text' : 'hex';
  // Hiding the only column shown would leave rows of bare lengths: show the other instead.
  if (logColumns[which] && !logColumns[other]) logColumns[other] = true;
  logColumns[which] = !logColumns[which];
}
