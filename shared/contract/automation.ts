// The contract's part for automation: auto-reply rule sets (rules/*.yaml,
// a session or listener answering like a service) and send-and-expect
// scenarios (scenarios/*.yaml, testing a service). What a file may hold is
// written here once; the runner and the responder live in main/automation.
import * as v from 'valibot';
import { APPEND_NAMES, parseEscapedText, parseHex, TEXT_ENCODINGS } from '../codec/index.js';
import { parseSocketTarget } from '../net/address.js';
import { AnyBytes, intInRange, RunRef, SessionId, SessionInfo } from './schemas.js';
import { FileName, FileProblem, Rev } from './workspace.js';

type Obj = Record<string, unknown>;
type AddIssue = (info: { message: string; path?: [v.IssuePathItem, ...v.IssuePathItem[]] }) => void;

const Text = (name: string, max: number) =>
  v.pipe(v.string(`${name} must be text`), v.maxLength(max, `${name} is at most ${max} characters`));
const Ms = (name: string, max = 3_600_000) =>
  v.pipe(v.number(`${name} must be a number of milliseconds`), v.minValue(0, `${name} must be ≥ 0 ms`), v.maxValue(max, `${name} must be at most ${max} ms`));
const Name = (what: string) =>
  v.pipe(v.string(`${what} must be text`), v.regex(/^[A-Za-z_][\w.-]{0,63}$/, `${what} must be a name: a letter or _ then letters, digits, _ . - (at most 64)`));

export const AUTOMATION_ENCODINGS = TEXT_ENCODINGS;
const Encoding = v.picklist(AUTOMATION_ENCODINGS, `encoding must be one of ${AUTOMATION_ENCODINGS.join(', ')}`);
/** A checksum or line ending appended to sent bytes (the codecs' names). */
const Append = v.picklist(APPEND_NAMES, `append must be one of ${APPEND_NAMES.join(', ')}`);

/** Whether a regex source compiles (with these flags); the reason when not. */
export function regexProblem(source: string, flags = ''): string | null {
  try {
    new RegExp(source, flags);
    return null;
  } catch (e) {
    return `regex does not compile: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`;
  }
}

/** How many capture groups a regex has (it must compile). */
export function groupCount(source: string, flags = ''): number {
  return new RegExp(`${source}|`, flags).exec('')!.length - 1;
}

const Flags = v.pipe(v.string('flags must be text'), v.regex(/^(?!.*(.).*\1)[imsu]*$/, 'flags are some of i m s u, each once'));

const pathItem = (input: unknown, key: string | number): v.IssuePathItem =>
  (typeof key === 'number'
    ? { type: 'array', origin: 'value', input: input as unknown[], key, value: (input as unknown[])[key] }
    : { type: 'object', origin: 'value', input: input as Obj, key, value: (input as Obj)[key] }) as v.IssuePathItem;

/** A strictObject whose unknown keys are named with the keys it takes. */
function keys<E extends v.ObjectEntries>(what: string, entries: E) {
  const known = Object.keys(entries).join(', ');
  return v.strictObject(entries, (issue) => (issue.expected === 'never' ? `unknown key "${String(issue.path?.at(-1)?.key)}" in ${what}; it takes ${known}` : `${what} must be a mapping of keys (${known})`));
}

// ---- auto-reply rules -------------------------------------------------------

/** How a stream is cut into messages (datagrams: each datagram is cut on its own). */
export const FRAMINGS = ['line', 'raw', 'fixed:N', 'length:u8', 'length:u16be', 'length:u16le', 'length:u32be'] as const;
export const Framing = v.pipe(
  v.string('framing must be text'),
  v.check((s) => /^(line|raw|fixed:[1-9]\d{0,7}|length:(u8|u16be|u16le|u32be))$/.test(s), `framing must be one of line, raw, fixed:N (N bytes, 1 to 99999999), length:u8, length:u16be, length:u16le, length:u32be`),
);

export const MATCH_KINDS = ['regex', 'contains', 'equals', 'startsWith', 'endsWith', 'hex'] as const;
export type MatchKind = (typeof MATCH_KINDS)[number];

/** The placeholders a reply may hold besides $0..$9. */
export const REPLY_PLACEHOLDERS = ['counter', 'time', 'date', 'unixtime', 'random', 'uuid', 'len'] as const;

/** Why a reply template is wrong, or null (the escapes themselves are checked when compiled, in main). */
export function replyTemplateProblem(reply: string): string | null {
  if (reply.startsWith('hex:')) {
    const r = parseHex(reply.slice(4));
    return r.ok ? null : r.error.message;
  }
  for (const m of reply.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)) {
    if (!(REPLY_PLACEHOLDERS as readonly string[]).includes(m[1]!)) return `unknown placeholder {{${m[1]}}}; known: ${REPLY_PLACEHOLDERS.map((p) => `{{${p}}}`).join(' ')} and $0..$9`;
  }
  return null;
}

export const Rule = v.pipe(
  keys('a rule', {
    /** A label shown in the log and the counts (default: the rule's number and matcher). */
    name: v.optional(Text('name', 100)),
    regex: v.optional(Text('regex', 10_000)),
    flags: v.optional(Flags),
    contains: v.optional(Text('contains', 100_000)),
    equals: v.optional(Text('equals', 100_000)),
    startsWith: v.optional(Text('startsWith', 100_000)),
    endsWith: v.optional(Text('endsWith', 100_000)),
    hex: v.optional(Text('hex', 100_000)),
    /** Matches any message no earlier rule matched. */
    default: v.optional(v.literal(true, 'default must be true (a rule for what no other rule matched)')),
    /** Text with escapes and templates ($1, {{counter}} …) in the rule set's encoding, or hex:…; absent: no reply. */
    reply: v.optional(Text('reply', 1_000_000)),
    /** A checksum or line ending appended to each reply (the codecs' append names). */
    append: v.optional(Append),
    close: v.optional(v.boolean('close must be true or false')),
    delayMs: v.optional(Ms('delayMs', 600_000)),
  }),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const r = dataset.value as Obj;
    const at = (key: string) => [pathItem(r, key)] as [v.IssuePathItem];
    const kinds = [...MATCH_KINDS, 'default'].filter((k) => r[k] !== undefined);
    if (kinds.length === 0) addIssue({ message: `a rule needs a matcher: one of ${MATCH_KINDS.join(', ')}, or default: true` });
    else if (kinds.length > 1) addIssue({ message: `a rule has one matcher; this one has ${kinds.join(' and ')}`, path: at(kinds[1]!) });
    if (r.flags !== undefined && r.regex === undefined) addIssue({ message: 'flags go with regex', path: at('flags') });
    if (typeof r.regex === 'string') {
      const p = regexProblem(r.regex, (r.flags as string | undefined) ?? '');
      if (p) addIssue({ message: p, path: at('regex') });
    }
    if (typeof r.hex === 'string') {
      const h = parseHex(r.hex);
      if (!h.ok) addIssue({ message: h.error.message, path: at('hex') });
      else if (h.bytes.length === 0) addIssue({ message: 'give at least one byte', path: at('hex') });
    }
    if (typeof r.reply === 'string') {
      const p = replyTemplateProblem(r.reply);
      if (p) addIssue({ message: p, path: at('reply') });
    }
    if (r.reply === undefined && !r.close) addIssue({ message: 'a rule needs a reply, close: true, or both' });
  }),
);
export type Rule = v.InferOutput<typeof Rule>;

/** rules/<file>.yaml: how messages are cut, and the rules, first match answers. */
export const RuleSet = keys('a rule set', {
  /** Shown in the session's info and the log's marks (default: the file name). */
  name: v.optional(v.pipe(Text('name', 200), v.trim(), v.minLength(1, 'name must not be empty'))),
  framing: v.optional(Framing, 'line'),
  encoding: v.optional(Encoding),
  rules: v.pipe(v.array(Rule, 'rules must be a list of rules'), v.maxLength(1000, 'at most 1000 rules')),
  notes: v.optional(Text('notes', 100_000)),
});
export type RuleSet = v.InferOutput<typeof RuleSet>;
export type RuleSetInput = v.InferInput<typeof RuleSet>;

export { RulesStatus } from './schemas.js';

// ---- scenarios --------------------------------------------------------------

/** What `connect`, `listen` and `accept` open: the CLI's protocols (tls: TCP under TLS; `listen: tls` uses the workspace's self-signed certificate). */
export const SCENARIO_PROTOCOLS = ['tcp', 'udp', 'unix-stream', 'unix-dgram', 'unix-seqpacket', 'tls'] as const;
export type ScenarioProtocol = (typeof SCENARIO_PROTOCOLS)[number];

/** "tcp 127.0.0.1:80" → protocol and address text (variables may still be in the address). */
export function splitEndpoint(text: string): { protocol: string; address: string } | null {
  const m = /^\s*(\S+)\s+(\S+)\s*$/.exec(text);
  return m ? { protocol: m[1]!, address: m[2]! } : null;
}

/** Why an endpoint ("tcp 127.0.0.1:80") is wrong, or null; addresses with ${vars} are checked when run. */
export function endpointProblem(text: string): string | null {
  const e = splitEndpoint(text);
  if (!e) return `expected PROTOCOL ADDRESS, e.g. "tcp 127.0.0.1:8000" (protocols: ${SCENARIO_PROTOCOLS.join(', ')})`;
  if (!(SCENARIO_PROTOCOLS as readonly string[]).includes(e.protocol)) return `unknown protocol "${e.protocol}"; one of ${SCENARIO_PROTOCOLS.join(', ')}`;
  if (e.address.includes('${')) return null;
  const t = parseSocketTarget(e.address, e.protocol.startsWith('unix-') ? e.protocol : null, { hostNames: true });
  return t.ok ? null : t.message;
}

const Endpoint = (what: string) => v.pipe(Text(what, 1000), v.check((s) => endpointProblem(s) === null, (i) => endpointProblem(String(i.input))!));
const ConnName = Name('as');
const On = Name('on');
const Data = Text('data', 16_000_000);
const Capture = v.pipe(v.array(Name('a capture name'), 'capture must be a list of names'), v.maxLength(9, 'at most 9 captures ($1..$9)'));
/** A value a step compares or sets: text, or a number or boolean written as such. */
const Value = v.union([v.string(), v.number(), v.boolean()], 'a value must be text, a number or true/false');
/** A TLS client's options in a scenario: insecure (do not verify the certificate), SNI, ALPN. */
const TlsOptions = keys('tls', {
  insecure: v.optional(v.boolean('tls.insecure must be true or false')),
  servername: v.optional(Text('tls.servername', 255)),
  alpn: v.optional(v.array(Text('tls.alpn', 255), 'tls.alpn must be a list of protocol names')),
});

export const EXPECT_MATCHERS = ['contains', 'regex', 'equals', 'hex', 'length'] as const;
export const ASSERT_OPS = ['equals', 'notEquals', 'matches', 'contains', 'lessThan', 'greaterThan'] as const;

/** Why text with escapes (\\r \\n \\xHH …) does not parse, or null; the encoding is checked when run. */
export function escapesProblem(text: string): string | null {
  const r = parseEscapedText(text);
  return r.ok || r.error.code === 'unencodable-char' ? null : r.error.message;
}

/** Why data to send (text with escapes, hex:…, @file) is wrong, or null; parts with ${vars} are checked when run. */
export function dataProblem(text: string): string | null {
  if (text.includes('${')) return null;
  if (text.startsWith('hex:')) {
    const r = parseHex(text.slice(4));
    return r.ok ? null : r.error.message;
  }
  if (text.startsWith('@')) return text.length > 1 ? null : '@ needs a file name (@request.bin)';
  return escapesProblem(text);
}

const Matcher = v.pipe(
  keys('expect', {
    contains: v.optional(Text('contains', 1_000_000)),
    regex: v.optional(Text('regex', 10_000)),
    flags: v.optional(Flags),
    equals: v.optional(Text('equals', 16_000_000)),
    hex: v.optional(Text('hex', 16_000_000)),
    length: v.optional(intInRange('length', 1, 16_000_000)),
    capture: v.optional(Capture),
    timeout: v.optional(Ms('timeout')),
    encoding: v.optional(Encoding),
  }),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const m = dataset.value as Obj;
    const at = (key: string) => [pathItem(m, key)] as [v.IssuePathItem];
    const kinds = EXPECT_MATCHERS.filter((k) => m[k] !== undefined);
    if (kinds.length === 0) return addIssue({ message: `expect needs a matcher: one of ${EXPECT_MATCHERS.join(', ')}` });
    if (kinds.length > 1) return addIssue({ message: `expect has one matcher; this one has ${kinds.join(' and ')} (make them two expects)`, path: at(kinds[1]!) });
    if (m.flags !== undefined && m.regex === undefined) addIssue({ message: 'flags go with regex', path: at('flags') });
    if (m.capture !== undefined && m.regex === undefined) addIssue({ message: 'capture goes with regex (its groups are what is captured)', path: at('capture') });
    if (typeof m.regex === 'string') {
      const p = regexProblem(m.regex, (m.flags as string | undefined) ?? '');
      if (p) addIssue({ message: p, path: at('regex') });
      else if (Array.isArray(m.capture) && m.capture.length > groupCount(m.regex, (m.flags as string | undefined) ?? '')) {
        addIssue({ message: `capture names ${m.capture.length} variables but the regex has ${groupCount(m.regex, (m.flags as string | undefined) ?? '')} groups`, path: at('capture') });
      }
    }
    for (const k of ['contains', 'equals'] as const) {
      const p = typeof m[k] === 'string' && !(m[k] as string).includes('${') ? escapesProblem(m[k] as string) : null;
      if (p) addIssue({ message: p, path: at(k) });
    }
    if (typeof m.hex === 'string' && !m.hex.includes('${')) {
      const h = parseHex(m.hex);
      if (!h.ok) addIssue({ message: h.error.message, path: at('hex') });
      else if (h.bytes.length === 0) addIssue({ message: 'give at least one byte', path: at('hex') });
    }
  }),
);

const Pair = (op: string) => v.tuple([Value, Value], `${op} takes two values: [a, b]`);
const Assert = v.pipe(
  keys('assert', Object.fromEntries(ASSERT_OPS.map((op) => [op, v.optional(Pair(op))])) as Record<(typeof ASSERT_OPS)[number], v.OptionalSchema<ReturnType<typeof Pair>, undefined>>),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const a = dataset.value as Obj;
    const ops = ASSERT_OPS.filter((k) => a[k] !== undefined);
    if (ops.length !== 1) return addIssue({ message: ops.length === 0 ? `assert needs one check: ${ASSERT_OPS.join(', ')}` : `assert checks one thing; this one has ${ops.join(' and ')}` });
    const pair = a.matches as unknown[] | undefined;
    if (pair && typeof pair[1] === 'string' && !pair[1].includes('${')) {
      const p = regexProblem(pair[1]);
      if (p) addIssue({ message: p, path: [pathItem(a, 'matches'), pathItem(pair, 1)] });
    }
  }),
);
const SendData = v.pipe(Data, v.check((s) => dataProblem(s) === null, (i) => dataProblem(String(i.input))!));
/** Why a send's `to` address is wrong, or null (addresses with ${vars} are checked when run). */
function addressProblem(text: string): string | null {
  if (text.includes('${')) return null;
  const r = parseSocketTarget(text, /^[/.@]/.test(text) ? 'unix' : null, { hostNames: true });
  return r.ok ? null : r.message;
}
const Address = (what: string) => v.pipe(Text(what, 300), v.check((s) => addressProblem(s) === null, (i) => addressProblem(String(i.input))!));

/**
 * Each step is a mapping with one step key (the step's kind) and the
 * modifiers that kind takes. The schemas check a file without changing it
 * (a saved scenario is written back as it was read); main/automation reads
 * the kind with stepKind().
 */
export const STEP_SCHEMAS = {
  connect: keys('a connect step', { connect: Endpoint('connect'), as: v.optional(ConnName), timeout: v.optional(Ms('timeout')), bind: v.optional(Text('bind', 300)), tls: v.optional(TlsOptions), name: v.optional(Text('name', 200)) }),
  listen: keys('a listen step', { listen: Endpoint('listen'), as: v.optional(ConnName), backlog: v.optional(intInRange('backlog', 1, 65535)), name: v.optional(Text('name', 200)) }),
  accept: keys('an accept step', { accept: v.nullish(keys('accept', { timeout: v.optional(Ms('timeout')) })), as: v.optional(ConnName), on: v.optional(On), name: v.optional(Text('name', 200)) }),
  send: keys('a send step', {
    send: v.union([SendData, keys('send', { packet: Text('packet', 200) })], 'send takes text with escapes, hex:…, @file, or { packet: NAME }'),
    on: v.optional(On), to: v.optional(Address('to')), encoding: v.optional(Encoding), append: v.optional(Append), name: v.optional(Text('name', 200)),
  }),
  expect: keys('an expect step', { expect: Matcher, on: v.optional(On), name: v.optional(Text('name', 200)) }),
  'expect-close': keys('an expect-close step', { 'expect-close': v.nullish(keys('expect-close', { timeout: v.optional(Ms('timeout')) })), on: v.optional(On), name: v.optional(Text('name', 200)) }),
  'expect-error': keys('an expect-error step', { 'expect-error': v.pipe(v.string('expect-error takes an errno name'), v.regex(/^E[A-Z0-9]{2,15}$/, 'expect-error takes an errno name such as ECONNREFUSED')), on: v.optional(On), name: v.optional(Text('name', 200)) }),
  'expect-silence': keys('an expect-silence step', { 'expect-silence': keys('expect-silence', { for: Ms('for') }), on: v.optional(On), name: v.optional(Text('name', 200)) }),
  assert: keys('an assert step', {
    assert: Assert,
    name: v.optional(Text('name', 200)),
  }),
  delay: keys('a delay step', { delay: Ms('delay'), name: v.optional(Text('name', 200)) }),
  repeat: keys('a repeat step', {
    repeat: keys('repeat', { times: intInRange('times', 1, 1_000_000), steps: v.lazy(() => Steps) }),
    name: v.optional(Text('name', 200)),
  }),
  set: keys('a set step', { set: v.record(Name('a variable name'), Value, 'set takes a mapping of names to values'), name: v.optional(Text('name', 200)) }),
  shutdown: keys('a shutdown step', { shutdown: v.picklist(['rd', 'wr', 'rdwr'], 'shutdown takes rd, wr or rdwr'), on: v.optional(On), name: v.optional(Text('name', 200)) }),
  close: keys('a close step', { close: v.union([v.literal(true), Name('close')], 'close takes true or the name of a connection'), name: v.optional(Text('name', 200)) }),
  starttls: keys('a starttls step', { starttls: v.nullish(TlsOptions), on: v.optional(On), name: v.optional(Text('name', 200)) }),
} as const;

export type StepKind = keyof typeof STEP_SCHEMAS;
export const STEP_KINDS = Object.keys(STEP_SCHEMAS) as StepKind[];
/** Steps that may be written as a bare word (`- close`). */
const BARE = ['close', 'accept', 'expect-close', 'starttls'] as const;
export type StepOf<K extends StepKind> = v.InferOutput<(typeof STEP_SCHEMAS)[K]>;
export type AnyStep = { [K in StepKind]: { kind: K; step: StepOf<K> } }[StepKind];

/** A step's kind and its fields (a bare word becomes its mapping); the step must have passed the schema. */
export function stepKind(raw: unknown): AnyStep {
  if (typeof raw === 'string') return { kind: raw as StepKind, step: { [raw]: raw === 'close' ? true : null } } as AnyStep;
  const kind = STEP_KINDS.find((k) => Object.prototype.hasOwnProperty.call(raw, k))!;
  return { kind, step: raw } as AnyStep;
}

/** Checks one step: its kind's schema, every issue given back with its path under `at`. */
function checkStep(raw: unknown, addIssue: AddIssue, at: v.IssuePathItem[]): void {
  const put = (message: string, more: v.IssuePathItem[] = []) => addIssue({ message, path: [...at, ...more] as [v.IssuePathItem, ...v.IssuePathItem[]] });
  if (typeof raw === 'string') {
    if (!(BARE as readonly string[]).includes(raw)) put(STEP_KINDS.includes(raw as StepKind) ? `step "${raw}" needs a value (${raw}: …)` : unknownStep(raw));
    return;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return put(`a step must be a mapping such as "send: …" (steps: ${STEP_KINDS.join(', ')})`);
  const present = Object.keys(raw).filter((k) => STEP_KINDS.includes(k as StepKind));
  if (present.length === 0) {
    const first = Object.keys(raw)[0];
    return first === undefined ? put('an empty step') : put(unknownStep(first), [pathItem(raw, first)]);
  }
  if (present.length > 1) return put(`a step does one thing; this one has ${present.join(' and ')} (make them two steps)`, [pathItem(raw, present[1]!)]);
  const r = v.safeParse(STEP_SCHEMAS[present[0] as StepKind] as v.GenericSchema, raw);
  if (r.success) return;
  for (const issue of r.issues) put(issue.message, (issue.path ?? []) as v.IssuePathItem[]);
}

const unknownStep = (word: string) => `unknown step "${word}"; steps are ${STEP_KINDS.join(', ')}`;

export const Steps: v.GenericSchema<unknown[]> = v.pipe(
  v.array(v.unknown(), 'steps must be a list of steps'),
  v.minLength(1, 'steps must hold at least one step'),
  v.maxLength(10_000, 'at most 10000 steps'),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    dataset.value.forEach((s, i) => checkStep(s, addIssue as AddIssue, [pathItem(dataset.value, i)]));
  }),
);

/** scenarios/<file>.yaml. */
export const Scenario = keys('a scenario', {
  name: v.pipe(Text('name', 200), v.trim(), v.minLength(1, 'name must not be empty')),
  description: v.optional(Text('description', 100_000)),
  /** Variables ${name}; `sockbench run --var k=v` overrides them. */
  vars: v.optional(v.record(Name('a variable name'), Value, 'vars must be a mapping of names to values')),
  /** The text encoding of sends and matchers (default utf-8); a step may name its own. */
  encoding: v.optional(Encoding),
  /** Default timeout of expect, expect-close, accept (ms; default 5000). */
  timeout: v.optional(Ms('timeout')),
  tags: v.optional(v.array(Text('tag', 64), 'tags must be a list')),
  steps: Steps,
});
export type Scenario = v.InferOutput<typeof Scenario>;
export type ScenarioInput = v.InferInput<typeof Scenario>;

// ---- results ----------------------------------------------------------------

/** Bytes as a failure shows them: text (escaped) and hex; a long run is shown from `offset` (around the difference), of `total`. */
export const Shown = v.object({
  text: v.string(),
  hex: v.string(),
  offset: v.optional(v.number()),
  total: v.optional(v.number()),
  /** Where in `text` and in `hex` the difference begins. */
  mark: v.optional(v.object({ text: v.number(), hex: v.number() })),
});

export const StepFailure = v.object({
  /** One line: what was wrong. */
  message: v.string(),
  /** What the step wanted (a matcher, bytes, an errno) and what arrived, with where they first differ. */
  expected: v.optional(Shown),
  received: v.optional(Shown),
  /** Byte offset where expected and received first differ. */
  diffAt: v.optional(v.number()),
});

export const StepStatus = v.picklist(['pending', 'running', 'passed', 'failed', 'skipped']);

export const StepResult = v.object({
  /** "3", or "4.2" for the second step of the repeat at step 4 (1-based). */
  index: v.string(),
  kind: v.string(),
  /** One line saying what the step does ("expect regex ^HTTP/1\\.[01] (\\d{3})"). */
  title: v.string(),
  line: v.optional(v.number()),
  column: v.optional(v.number()),
  status: StepStatus,
  durationMs: v.optional(v.number()),
  /** expect: the bytes it consumed; send: the bytes sent. */
  bytes: v.optional(AnyBytes),
  /** The session the step acted on. */
  session: v.optional(SessionId),
  /** Variables the step set (captures, from). */
  captured: v.optional(v.record(v.string(), v.string())),
  failure: v.optional(StepFailure),
  /** The iteration of the repeat it ran in (1-based), when inside one. */
  iteration: v.optional(v.number()),
});
export type StepResult = v.InferOutput<typeof StepResult>;

export const ScenarioResult = v.object({
  name: v.string(),
  /** The file as given (workspace: scenarios/x.yaml). */
  file: v.string(),
  status: v.picklist(['passed', 'failed']),
  durationMs: v.number(),
  steps: v.array(StepResult),
  /** The failing step's index and the one line a CI log shows: file:line:column: step N (kind): message. */
  failure: v.optional(v.object({ index: v.string(), line: v.optional(v.number()), column: v.optional(v.number()), summary: v.string() })),
  /** The sessions the run opened (traced like any other). */
  sessions: v.array(SessionId),
});
export type ScenarioResult = v.InferOutput<typeof ScenarioResult>;

export const ScenarioId = v.pipe(v.number('id must be a number'), v.integer('id must be a whole number'), v.minValue(1, 'id must be ≥ 1'));

const Saved = v.union([
  v.object({ ok: v.literal(true), file: v.string(), rev: v.string() }),
  v.object({ ok: v.literal(false), conflict: v.object({ file: v.string(), diskText: v.nullable(v.string()), diskRev: v.nullable(v.string()) }) }),
]);

const Vars = v.pipe(v.record(Name('a variable name'), v.pipe(v.string('a variable value must be text'), v.maxLength(100_000, 'a variable value is at most 100000 characters'))), v.check((r) => Object.keys(r).length <= 1000, 'at most 1000 variables'));

export const RuleEntry = v.object({ file: v.string(), rev: v.string(), ruleSet: RuleSet });
export const ScenarioEntry = v.object({
  file: v.string(),
  rev: v.string(),
  scenario: Scenario,
  /** Every step (repeat bodies too), pending, with its title, line and column. */
  steps: v.array(StepResult),
  /** What keeps it from running as it is (a variable never set …), though the file reads. */
  problem: v.optional(FileProblem),
});

export const PreviewMessage = v.object({
  /** The message as framing cut it. */
  message: AnyBytes,
  /** The rule that answers (index in the list) and its label; null: none matched. */
  rule: v.nullable(v.number()),
  label: v.optional(v.string()),
  reply: v.optional(AnyBytes),
  close: v.optional(v.boolean()),
  delayMs: v.optional(v.number()),
});
export type PreviewMessage = v.InferOutput<typeof PreviewMessage>;

export const automationMethods = {
  'rules.list': { params: v.object({}), result: v.object({ ruleSets: v.array(RuleEntry), problems: v.array(FileProblem) }) },
  /** Writes a rule set: with file and rev only if the file is unchanged (else a conflict); without file, a new file named after it. */
  'rules.save': { params: v.object({ ruleSet: RuleSet, file: v.optional(FileName), rev: v.optional(v.nullable(Rev)) }), result: Saved },
  /**
   * What a rule set does with a sample: the sample is cut by the framing
   * (a partial message at its end counts as one), and each message shows
   * the rule that answers and the bytes it sends. Nothing is sent.
   */
  'rules.preview': { params: v.object({ ruleSet: RuleSet, sample: v.pipe(AnyBytes, v.check((b) => b.byteLength <= 1_000_000, 'the sample is at most 1 MB')) }), result: v.object({ messages: v.array(PreviewMessage) }) },
  /**
   * Answers what the session receives with a rule set (a listener: every
   * connection it accepts from now on, each with its own state and counts);
   * null stops. Echo / reply mode is turned off.
   */
  'socket.setRules': { params: v.object({ id: SessionId, ruleSet: v.nullable(RuleSet), file: v.optional(FileName) }), result: SessionInfo },
  'scenarios.list': { params: v.object({}), result: v.object({ scenarios: v.array(ScenarioEntry), problems: v.array(FileProblem) }) },
  'scenarios.save': { params: v.object({ scenario: Scenario, file: v.optional(FileName), rev: v.optional(v.nullable(Rev)) }), result: Saved },
  /** Starts a scenario of the workspace; steps arrive as scenario.step, the end as scenario.done. */
  'scenarios.run': { params: v.object({ file: FileName, vars: v.optional(Vars), ref: v.optional(RunRef) }), result: v.object({ id: ScenarioId }) },
  'scenarios.stop': { params: v.object({ id: ScenarioId }), result: v.object({}) },
  /** A scenario draft from what a session did (its trace and data): sends → send, what arrived → expect with the exact bytes. */
  'scenarios.record': { params: v.object({ id: SessionId, name: v.optional(Text('name', 200)) }), result: v.object({ scenario: Scenario, text: v.string() }) },
} as const;

export const automationEvents = {
  /** A step began, passed or failed. */
  'scenario.step': v.object({ id: ScenarioId, ref: v.optional(RunRef), step: StepResult }),
  'scenario.done': v.object({ id: ScenarioId, ref: v.optional(RunRef), result: ScenarioResult, stopped: v.optional(v.boolean()) }),
} as const;
