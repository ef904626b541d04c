// Auto-reply rules: a rule set (rules/*.yaml, checked by the contract's
// RuleSet) compiled once, then a responder per connection. Each message the
// framing cuts is tried against the rules in order; the first that matches
// answers with its reply (templates filled in), after its delay, and closes
// if it says so. Every rule counts its hits, per connection and over the
// whole listener.
import type { RulesStatus, SockAddr } from '../../shared/contract/index.js';
import { MATCH_KINDS, type PreviewMessage, type Rule, type RuleSet } from '../../shared/contract/automation.js';
import { parseEscapedText, parseHex, withAppendix } from '../../shared/codec/index.js';
import { EngineError } from '../core/errors.js';
import type { Answer, AutoReply, Responder, ResponderSource } from '../engine/responder.js';
import { Framer, parseFraming, type FramingSpec } from './framing.js';
import { ReplyTemplate } from './template.js';
import { decode, type Encoding } from './text.js';

interface CompiledRule {
  label: string;
  /** The captures ($0..$9) when it matches, else null. */
  match(message: Uint8Array): string[] | null;
  reply: ReplyTemplate | null;
  append?: (bytes: Uint8Array) => Uint8Array;
  close: boolean;
  delayMs: number;
}

const indexOf = (hay: Uint8Array, needle: Uint8Array): number => Buffer.from(hay.buffer, hay.byteOffset, hay.byteLength).indexOf(Buffer.from(needle.buffer, needle.byteOffset, needle.byteLength));
const sameAt = (hay: Uint8Array, needle: Uint8Array, at: number): boolean => {
  if (at < 0 || at + needle.length > hay.length) return false;
  for (let i = 0; i < needle.length; i++) if (hay[at + i] !== needle[i]) return false;
  return true;
};

const short = (s: string): string => (s.length > 40 ? `${s.slice(0, 39)}…` : s);

/** A rule's label: its name, or its number and matcher. */
export function ruleLabel(rule: Rule, index: number): string {
  if (rule.name) return rule.name;
  if (rule.default) return `#${index + 1} default`;
  const kind = MATCH_KINDS.find((k) => rule[k] !== undefined)!;
  return `#${index + 1} ${kind} ${short(String(rule[kind]))}`;
}

export class CompiledRules {
  readonly framing: FramingSpec;
  readonly encoding: Encoding;
  readonly rules: CompiledRule[];

  /** Compiles `set`; a pattern or reply that does not parse in its encoding is a BAD_REQUEST naming the rule and field. */
  constructor(readonly name: string, set: RuleSet) {
    this.framing = parseFraming(set.framing);
    this.encoding = set.encoding ?? 'utf-8';
    this.rules = set.rules.map((r, i) => this.compile(r, i));
  }

  private compile(rule: Rule, i: number): CompiledRule {
    const bad = (field: string, message: string): EngineError => new EngineError('BAD_REQUEST', `rules[${i}].${field}: ${message}`, undefined, `rules.${i}.${field}`);
    const bytes = (field: MatchKindText): Uint8Array => {
      const text = rule[field]!;
      const r = field === 'hex' ? parseHex(text) : parseEscapedText(text, this.encoding);
      if (!r.ok) throw bad(field, r.error.message);
      return r.bytes;
    };
    let match: CompiledRule['match'];
    const whole = (m: Uint8Array): string[] => [decode(m, this.encoding)];
    if (rule.regex !== undefined) {
      const re = new RegExp(rule.regex, rule.flags ?? '');
      match = (m) => {
        const r = re.exec(decode(m, this.encoding));
        return r ? Array.from({ length: 10 }, (_, k) => r[k] ?? '') : null;
      };
    } else if (rule.contains !== undefined) {
      const n = bytes('contains');
      match = (m) => (indexOf(m, n) >= 0 ? whole(m) : null);
    } else if (rule.equals !== undefined) {
      const n = bytes('equals');
      match = (m) => (m.length === n.length && sameAt(m, n, 0) ? whole(m) : null);
    } else if (rule.startsWith !== undefined || rule.hex !== undefined) {
      const n = bytes(rule.hex !== undefined ? 'hex' : 'startsWith');
      match = (m) => (sameAt(m, n, 0) ? whole(m) : null);
    } else if (rule.endsWith !== undefined) {
      const n = bytes('endsWith');
      match = (m) => (sameAt(m, n, m.length - n.length) ? whole(m) : null);
    } else {
      match = whole; // default: true
    }
    let reply: ReplyTemplate | null = null;
    if (rule.reply !== undefined) {
      const t = ReplyTemplate.compile(rule.reply, this.encoding);
      if (typeof t === 'string') throw bad('reply', t);
      reply = t;
    }
    const compiled: CompiledRule = { label: ruleLabel(rule, i), match, reply, close: rule.close ?? false, delayMs: rule.delayMs ?? 0 };
    if (rule.append !== undefined) {
      const name = rule.append;
      compiled.append = (b) => withAppendix(b, name);
    }
    return compiled;
  }

  /** The rule that answers `message` (first match), and its reply; null when none matches. */
  answer(message: Uint8Array, counter: () => number): { index: number; reply: AutoReply } | null {
    for (let i = 0; i < this.rules.length; i++) {
      const r = this.rules[i]!;
      const captures = r.match(message);
      if (!captures) continue;
      let bytes = r.reply ? r.reply.render({ captures, counter: counter(), len: message.byteLength }) : new Uint8Array(0);
      if (r.append && r.reply) bytes = r.append(bytes);
      const reply: AutoReply = { bytes, rule: `${this.name} › ${r.label}` };
      if (r.delayMs) reply.delayMs = r.delayMs;
      if (r.close) reply.close = true;
      return { index: i, reply };
    }
    return null;
  }
}

type MatchKindText = 'contains' | 'equals' | 'startsWith' | 'endsWith' | 'hex';

/** A rule set as a session's responder source: one responder per connection, counts kept per connection and in total. */
export class RulesSource implements ResponderSource {
  private readonly hits: number[];
  private messages = 0;

  constructor(readonly rules: CompiledRules) {
    this.hits = rules.rules.map(() => 0);
  }

  get name(): string {
    return this.rules.name;
  }

  open(opts: { datagrams: boolean }): Responder {
    return new RulesResponder(this, opts.datagrams);
  }

  /** Called by each responder for each message. */
  count(index: number | null): void {
    this.messages++;
    if (index !== null) this.hits[index]!++;
  }

  status(): RulesStatus {
    return statusOf(this.rules, this.hits, this.messages);
  }
}

const statusOf = (rules: CompiledRules, hits: number[], messages: number): RulesStatus => ({
  name: rules.name,
  rules: rules.rules.map((r, i) => ({ label: r.label, hits: hits[i]! })),
  messages,
});

class RulesResponder implements Responder {
  private readonly framer: Framer | null;
  private readonly hits: number[];
  private messages = 0;
  private counter = 0;

  constructor(
    private readonly source: RulesSource,
    datagrams: boolean,
  ) {
    this.framer = datagrams ? null : new Framer(source.rules.framing);
    this.hits = source.rules.rules.map(() => 0);
  }

  receive(chunk: Uint8Array, _from?: SockAddr): Answer {
    const cut = this.framer ? this.framer.push(chunk) : Framer.datagram(this.source.rules.framing, chunk);
    const replies: AutoReply[] = [];
    for (const message of cut.messages) {
      const a = this.source.rules.answer(message, () => ++this.counter);
      this.messages++;
      if (a) this.hits[a.index]!++;
      this.source.count(a ? a.index : null);
      if (a) replies.push(a.reply);
    }
    return { replies, notes: cut.notes };
  }

  status(): RulesStatus {
    return statusOf(this.source.rules, this.hits, this.messages);
  }
}

/** What a rule set does with a sample (cut as one datagram: a partial message at its end counts): nothing is sent. */
export function previewRules(set: RuleSet, sample: Uint8Array, name = 'preview'): PreviewMessage[] {
  const rules = new CompiledRules(name, set);
  let counter = 0;
  return Framer.datagram(rules.framing, sample).messages.map((message) => {
    const a = rules.answer(message, () => ++counter);
    if (!a) return { message, rule: null };
    return {
      message,
      rule: a.index,
      label: rules.rules[a.index]!.label,
      reply: a.reply.bytes,
      ...(a.reply.close ? { close: true } : {}),
      ...(a.reply.delayMs ? { delayMs: a.reply.delayMs } : {}),
    };
  });
}
