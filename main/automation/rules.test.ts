// Auto-reply rules without sockets: how streams are cut into messages, which
// rule answers, what the reply's templates become, and the errors a rule set
// that cannot work gets (naming the rule and field).
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { RuleSet, type RuleSetInput } from '../../shared/contract/automation.js';
import { Framer, parseFraming } from './framing.js';
import { CompiledRules, previewRules, RulesSource } from './rules.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');
const set = (input: RuleSetInput) => v.parse(RuleSet, input);

describe('framing', () => {
  it('line: two messages in one read give two, one message over two reads gives one; \\r before \\n is dropped', () => {
    const f = new Framer(parseFraming('line'));
    expect(f.push(bytes('PING a\r\nPING b\n')).messages.map(text)).toEqual(['PING a', 'PING b']);
    expect(f.push(bytes('PI')).messages).toEqual([]);
    expect(f.push(bytes('NG c\r')).messages).toEqual([]);
    expect(f.push(bytes('\n\nx')).messages.map(text)).toEqual(['PING c', '']);
    expect(text(f.pending)).toBe('x');
  });

  it('a long line arriving a byte at a time is one message', () => {
    const f = new Framer(parseFraming('line'));
    const line = 'x'.repeat(100_000);
    const out: string[] = [];
    for (const c of line + '\n') out.push(...f.push(bytes(c)).messages.map(text));
    expect(out).toEqual([line]);
  });

  it('fixed:N and length prefixes (u8, u16be, u16le, u32be) cut binary frames; the prefix is not part of the message', () => {
    expect(new Framer(parseFraming('fixed:3')).push(bytes('abcdefgh')).messages.map(text)).toEqual(['abc', 'def']);
    const cases: [string, number[]][] = [
      ['length:u8', [2, 0x41, 0x42, 1, 0x43, 5]],
      ['length:u16be', [0, 2, 0x41, 0x42, 0, 1, 0x43, 0]],
      ['length:u16le', [2, 0, 0x41, 0x42, 1, 0, 0x43, 9]],
      ['length:u32be', [0, 0, 0, 2, 0x41, 0x42, 0, 0, 0, 1, 0x43, 0, 0]],
    ];
    for (const [framing, frame] of cases) {
      const f = new Framer(parseFraming(framing));
      const got: string[] = [];
      // One byte a read: the frames still come out whole.
      for (const b of frame) got.push(...f.push(Uint8Array.of(b)).messages.map(text));
      expect(got, framing).toEqual(['AB', 'C']);
      expect(f.pending.length, framing).toBeGreaterThan(0);
    }
  });

  it('a datagram is cut on its own: what is left at its end is a message too', () => {
    expect(Framer.datagram(parseFraming('line'), bytes('a\nb\nc')).messages.map(text)).toEqual(['a', 'b', 'c']);
    expect(Framer.datagram(parseFraming('raw'), bytes('a\nb')).messages.map(text)).toEqual(['a\nb']);
  });

  it('a length prefix beyond the limit gives up what is held and says so', () => {
    const f = new Framer(parseFraming('length:u32be'));
    const cut = f.push(Uint8Array.of(0x7f, 0xff, 0xff, 0xff, 1, 2, 3));
    expect(cut.messages).toEqual([]);
    expect(cut.notes[0]).toMatch(/length prefix says 2147483647 bytes/);
    expect(f.pending.length).toBe(0);
  });
});

describe('rules', () => {
  const pingpong = set({
    framing: 'line',
    rules: [
      { regex: '^PING ?(.*)$', reply: 'PONG $1\\r\\n' },
      { contains: 'QUIT', reply: 'BYE\\r\\n', close: true },
      { hex: '01 03', reply: 'hex:01 03 02 00 2a', delayMs: 50 },
      { default: true, reply: 'ERR unknown\\r\\n' },
    ],
  });

  it('the first rule that matches answers; captures, escapes, hex replies, close and delay come through', () => {
    const r = previewRules(pingpong, bytes('PING hello\nQUIT now\n\x01\x03\x00\x02\nwhat\n'));
    expect(r.map((m) => m.rule)).toEqual([0, 1, 2, 3]);
    expect(r.map((m) => text(m.reply!))).toEqual(['PONG hello\r\n', 'BYE\r\n', '\x01\x03\x02\x00\x2a', 'ERR unknown\r\n']);
    expect(r[1]).toMatchObject({ close: true });
    expect(r[2]).toMatchObject({ delayMs: 50, label: '#3 hex 01 03' });
  });

  it('every match kind: equals, startsWith, endsWith compare bytes; no default means no answer', () => {
    const s = set({ rules: [{ equals: 'a', reply: '1' }, { startsWith: 'b', reply: '2' }, { endsWith: 'c', reply: '3' }] });
    expect(previewRules(s, bytes('a\nab\nbx\nxc\nzz\n')).map((m) => m.rule)).toEqual([0, null, 1, 2, null]);
  });

  it('templates: $0..$9, $$, {{counter}} per connection, {{len}}, {{time}} {{date}} {{unixtime}} {{random}} {{uuid}}', () => {
    const s = set({ rules: [{ regex: '(\\w+) (\\w+)', reply: '$2 $1 [$0] $$1 #{{counter}} len={{len}} {{time}} {{date}} {{unixtime}} {{random}} {{uuid}}' }] });
    const source = new RulesSource(new CompiledRules('t', s));
    const conn = source.open({ datagrams: false });
    const a = text(conn.receive(bytes('hello world\n')).replies[0]!.bytes);
    const b = text(conn.receive(bytes('x y\n')).replies[0]!.bytes);
    expect(a).toMatch(/^world hello \[hello world\] \$1 #1 len=11 \d\d:\d\d:\d\d \d{4}-\d\d-\d\d \d{10} \d+ [0-9a-f-]{36}$/);
    expect(b).toMatch(/^y x \[x y\] \$1 #2 len=3 /);
    // Another connection counts from 1 again; the source counts both.
    expect(text(source.open({ datagrams: false }).receive(bytes('p q\n')).replies[0]!.bytes)).toMatch(/#1 len=3/);
    expect(source.status().rules[0]!.hits).toBe(3);
    expect(conn.status()).toMatchObject({ messages: 2, rules: [{ hits: 2 }] });
  });

  it('replies in the rule set encoding; a reply that cannot be encoded is refused naming the rule', () => {
    const latin = previewRules(set({ encoding: 'latin1', rules: [{ regex: '^(.)', reply: '<$1>é' }] }), Uint8Array.of(0xe9, 0x0a));
    expect([...latin[0]!.reply!]).toEqual([0x3c, 0xe9, 0x3e, 0xe9]);
    expect(() => new CompiledRules('x', set({ encoding: 'latin1', rules: [{ default: true, reply: '中' }] }))).toThrow(/rules\[0\]\.reply: "中" \(U\+4E2D\) cannot be encoded in Latin-1/);
  });

  it('schema: a rule needs one matcher, a regex that compiles, known placeholders, a reply or close', () => {
    const problem = (input: unknown) => {
      const r = v.safeParse(RuleSet, input);
      return r.success ? null : `${r.issues[0].path?.map((p) => p.key).join('.')}: ${r.issues[0].message}`;
    };
    expect(problem({ rules: [{ reply: 'x' }] })).toMatch(/rules\.0: a rule needs a matcher/);
    expect(problem({ rules: [{ regex: 'a', contains: 'b', reply: 'x' }] })).toMatch(/rules\.0\.contains: a rule has one matcher; this one has regex and contains/);
    expect(problem({ rules: [{ regex: 'a(', reply: 'x' }] })).toMatch(/rules\.0\.regex: regex does not compile/);
    expect(problem({ rules: [{ default: true, reply: '{{nope}}' }] })).toMatch(/rules\.0\.reply: unknown placeholder \{\{nope\}\}/);
    expect(problem({ rules: [{ contains: 'a' }] })).toMatch(/a rule needs a reply, close: true, or both/);
    expect(problem({ framing: 'lines', rules: [] })).toMatch(/framing: framing must be one of line, raw, fixed:N/);
    expect(problem({ rules: [{ contains: 'a', reply: 'b', colour: 1 }] })).toMatch(/unknown key "colour" in a rule/);
  });
});
