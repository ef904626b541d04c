// A rule's reply: text with escapes (as in the composer) or hex:…, with
// placeholders filled in when it is sent: $0..$9 (the regex's captures; $0
// is the whole match, or the whole message for the other matchers), $$ for
// a dollar, and {{counter}} {{time}} {{date}} {{unixtime}} {{random}}
// {{uuid}} {{len}}. The literal parts are parsed once, when the rule set is
// compiled; what fills a placeholder is encoded as it is (no escapes).
import { randomInt, randomUUID } from 'node:crypto';
import { parseEscapedText, parseHex, type TextEncodingName } from '../../shared/codec/index.js';
import { REPLY_PLACEHOLDERS } from '../../shared/contract/automation.js';
import { encode, type Encoding } from './text.js';

type Placeholder = (typeof REPLY_PLACEHOLDERS)[number];
type Piece = { bytes: Uint8Array } | { capture: number } | { placeholder: Placeholder };

export interface ReplyContext {
  /** $0..$9 as text ('' for a group that did not take part). */
  captures: readonly string[];
  /** Replies this rule set has given on this connection, this one included. */
  counter: number;
  /** The matched message's length in bytes. */
  len: number;
}

export class ReplyTemplate {
  private constructor(
    private readonly pieces: Piece[],
    private readonly encoding: Encoding,
  ) {}

  /** The template, or the one thing wrong with it. */
  static compile(reply: string, encoding: Encoding): ReplyTemplate | string {
    if (reply.startsWith('hex:')) {
      const h = parseHex(reply.slice(4));
      return h.ok ? new ReplyTemplate([{ bytes: h.bytes }], encoding) : h.error.message;
    }
    const pieces: Piece[] = [];
    let last = 0;
    const literal = (text: string): string | null => {
      if (!text) return null;
      const r = parseEscapedText(text, encoding as TextEncodingName);
      if (!r.ok) return `${r.error.message.replace(/ at position \d+$/, '')} in "${text}"`;
      pieces.push({ bytes: r.bytes });
      return null;
    };
    for (const m of reply.matchAll(/\$\$|\$(\d)|\{\{\s*([^}]*?)\s*\}\}/g)) {
      const bad = literal(reply.slice(last, m.index));
      if (bad) return bad;
      if (m[0] === '$$') pieces.push({ bytes: Uint8Array.of(0x24) });
      else if (m[1] !== undefined) pieces.push({ capture: Number(m[1]) });
      else if ((REPLY_PLACEHOLDERS as readonly string[]).includes(m[2]!)) pieces.push({ placeholder: m[2] as Placeholder });
      else return `unknown placeholder {{${m[2]}}}; known: ${REPLY_PLACEHOLDERS.map((p) => `{{${p}}}`).join(' ')} and $0..$9`;
      last = m.index + m[0].length;
    }
    const bad = literal(reply.slice(last));
    return bad ?? new ReplyTemplate(pieces, encoding);
  }

  render(ctx: ReplyContext): Uint8Array {
    const parts = this.pieces.map((p) => ('bytes' in p ? p.bytes : encode('capture' in p ? (ctx.captures[p.capture] ?? '') : fill(p.placeholder, ctx), this.encoding)));
    const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.byteLength;
    }
    return out;
  }
}

const two = (n: number): string => String(n).padStart(2, '0');

function fill(p: Placeholder, ctx: ReplyContext): string {
  const now = new Date();
  switch (p) {
    case 'counter':
      return String(ctx.counter);
    case 'len':
      return String(ctx.len);
    case 'time':
      return `${two(now.getHours())}:${two(now.getMinutes())}:${two(now.getSeconds())}`;
    case 'date':
      return `${now.getFullYear()}-${two(now.getMonth() + 1)}-${two(now.getDate())}`;
    case 'unixtime':
      return String(Math.floor(now.getTime() / 1000));
    case 'random':
      return String(randomInt(0, 2 ** 31 - 1));
    case 'uuid':
      return randomUUID();
  }
}
