// Composer drafts, one per session: what the person typed, how to read it
// (text with escapes in a text encoding, hex, base64), what to append on
// send (a checksum or a line ending), and the send history the up arrow
// walks through. The encoding and the checksum are also the session's: the
// log decodes and checks what arrives with them. Drafts are kept in
// sessionStorage, so a page reload keeps them.
import { defineStore } from 'pinia';
import { reactive, watch } from 'vue';
import {
  APPEND_NAMES, composeBytes, formatEscapedText, isChecksum, parseInput, TEXT_ENCODINGS, toBase64, toHex,
  type AppendName, type ChecksumName, type Composed, type InputMode, type TextEncodingName,
} from '../../../shared/codec/index.js';
import { storageGet, storageSet } from '../lib/storage.js';
import { useSessions } from './sessions.js';

export type AppendChoice = AppendName | 'none';
export const HISTORY_MAX = 50;
/** Texts longer than this (a pasted megabyte of hex) are neither kept in the history nor stored for a reload. */
export const KEEP_TEXT_MAX = 64 * 1024;

export interface HistoryEntry {
  text: string;
  mode: InputMode;
}

export interface Draft {
  text: string;
  mode: InputMode;
  encoding: TextEncodingName;
  append: AppendChoice;
  clearAfterSend: boolean;
  /** UDP sendto target. */
  address: string;
  port: string;
  /** What was sent, oldest first. */
  history: HistoryEntry[];
}

/** The bytes to send; the last `appended` of them are what the append choice added. */
export function draftBytes(d: Draft): Composed {
  return composeBytes(d.text, d.mode, d.encoding, d.append === 'none' ? undefined : d.append);
}

/** Writes bytes in the given mode, so switching modes keeps the same bytes. */
export function formatInMode(bytes: Uint8Array, mode: InputMode, encoding: TextEncodingName): string {
  switch (mode) {
    case 'text':
      return formatEscapedText(bytes, encoding);
    case 'hex':
      return toHex(bytes);
    case 'base64':
      return toBase64(bytes);
  }
}

const MODES: readonly InputMode[] = ['text', 'hex', 'base64'];

/** A saved draft, taken field by field and only when valid (storage may hold anything). */
function restore(json: string | null): Partial<Draft> {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(json ?? '{}') as Record<string, unknown>;
  } catch {
    return {};
  }
  const out: Partial<Draft> = {};
  if (typeof v.text === 'string') out.text = v.text;
  if (MODES.includes(v.mode as InputMode)) out.mode = v.mode as InputMode;
  if ((TEXT_ENCODINGS as readonly unknown[]).includes(v.encoding)) out.encoding = v.encoding as TextEncodingName;
  if (v.append === 'none' || (APPEND_NAMES as readonly unknown[]).includes(v.append)) out.append = v.append as AppendChoice;
  if (typeof v.clearAfterSend === 'boolean') out.clearAfterSend = v.clearAfterSend;
  if (typeof v.address === 'string') out.address = v.address;
  if (typeof v.port === 'string') out.port = v.port;
  if (Array.isArray(v.history)) {
    out.history = v.history
      .filter((h): h is HistoryEntry => typeof h?.text === 'string' && MODES.includes(h?.mode))
      .slice(-HISTORY_MAX);
  }
  return out;
}

/** Where the history cursor is while the up and down arrows walk it (not kept: a reload starts at the end). */
interface Walk {
  /** Index into history; history.length means "the text being written". */
  index: number;
  /** The text being written, kept while older ones are shown. */
  scratch: HistoryEntry;
}

export const useComposer = defineStore('composer', () => {
  const drafts = reactive(new Map<number, Draft>());
  const walks = new Map<number, Walk>();

  /** Drafts are kept per workbench run (its clock origin) and session id. */
  const keyOf = (id: number): string | null => {
    const epoch = useSessions().epochMs;
    return epoch === null ? null : `sockbench.composer.${epoch}.${id}`;
  };

  function draft(id: number, defaults: Partial<Draft> = {}): Draft {
    let d = drafts.get(id);
    if (!d) {
      const key = keyOf(id);
      drafts.set(id, {
        text: '', mode: 'text', encoding: 'utf-8', append: 'none', clearAfterSend: false, address: '', port: '', history: [],
        ...defaults,
        ...(key ? restore(storageGet('session', key)) : {}),
      });
      d = drafts.get(id)!;
      if (key) watch(d, (v) => storageSet('session', key, JSON.stringify(v.text.length > KEEP_TEXT_MAX ? { ...v, text: '' } : v)), { deep: true });
    }
    return d;
  }

  /** The session's text encoding (for the log), without making a draft. */
  const encodingOf = (id: number): TextEncodingName => drafts.get(id)?.encoding ?? 'utf-8';

  /** The checksum chosen for the session, if the append choice is one (the log checks received frames for it). */
  function checksumOf(id: number): ChecksumName | null {
    const a = drafts.get(id)?.append;
    return a && a !== 'none' && isChecksum(a) ? a : null;
  }

  /** Changes the mode and rewrites the text in it (when the current text parses). */
  function setMode(d: Draft, mode: InputMode): void {
    if (mode === d.mode) return;
    const r = parseInput(d.text, d.mode, d.encoding);
    if (r.ok) d.text = formatInMode(r.bytes, mode, d.encoding);
    d.mode = mode;
  }

  /** After a send: remember it (as a shell does, not twice in a row) and clear the text if asked. */
  function sent(id: number, d: Draft): void {
    const last = d.history[d.history.length - 1];
    if (d.text !== '' && d.text.length <= KEEP_TEXT_MAX && !(last && last.text === d.text && last.mode === d.mode)) {
      d.history.push({ text: d.text, mode: d.mode });
      if (d.history.length > HISTORY_MAX) d.history.splice(0, d.history.length - HISTORY_MAX);
    }
    walks.delete(id);
    if (d.clearAfterSend) d.text = '';
  }

  /** Up (-1) or down (+1) through the history; false when there is nowhere to go. */
  function walk(id: number, d: Draft, step: -1 | 1): boolean {
    let w = walks.get(id);
    if (!w) w = { index: d.history.length, scratch: { text: d.text, mode: d.mode } };
    const next = w.index + step;
    if (next < 0 || next > d.history.length) return false;
    if (w.index === d.history.length) w.scratch = { text: d.text, mode: d.mode };
    const shown = next === d.history.length ? w.scratch : d.history[next]!;
    d.text = shown.text;
    d.mode = shown.mode;
    w.index = next;
    walks.set(id, w);
    return true;
  }

  return { drafts, draft, encodingOf, checksumOf, setMode, sent, walk };
});
