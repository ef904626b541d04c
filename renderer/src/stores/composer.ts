// Composer drafts, one per session: what the person typed, how to read it
// (text with escapes, hex, base64), and the exact bytes that will be sent.
import { defineStore } from 'pinia';
import { reactive } from 'vue';
import {
  formatEscapedText, parseInput, toBase64, toHex, type CodecResult, type InputMode, type TextEncodingName,
} from '../../../shared/codec/index.js';

export type LineEnding = 'none' | 'lf' | 'crlf';
const ENDING_BYTES: Record<LineEnding, number[]> = { none: [], lf: [0x0a], crlf: [0x0d, 0x0a] };

export interface Draft {
  text: string;
  mode: InputMode;
  encoding: TextEncodingName;
  ending: LineEnding;
  /** UDP sendto target. */
  address: string;
  port: string;
}

export function draftBytes(d: Draft): CodecResult {
  const r = parseInput(d.text, d.mode, d.encoding);
  if (!r.ok || d.ending === 'none') return r;
  const end = ENDING_BYTES[d.ending];
  const out = new Uint8Array(r.bytes.length + end.length);
  out.set(r.bytes);
  out.set(end, r.bytes.length);
  return { ok: true, bytes: out };
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

export const useComposer = defineStore('composer', () => {
  const drafts = reactive(new Map<number, Draft>());

  function draft(id: number, defaults: Partial<Draft> = {}): Draft {
    let d = drafts.get(id);
    if (!d) {
      drafts.set(id, { text: '', mode: 'text', encoding: 'utf-8', ending: 'none', address: '', port: '', ...defaults });
      d = drafts.get(id)!;
    }
    return d;
  }

  /** Changes the mode and rewrites the text in it (when the current text parses). */
  function setMode(d: Draft, mode: InputMode): void {
    if (mode === d.mode) return;
    const r = parseInput(d.text, d.mode, d.encoding);
    if (r.ok) d.text = formatInMode(r.bytes, mode, d.encoding);
    d.mode = mode;
  }

  return { drafts, draft, setMode };
});
