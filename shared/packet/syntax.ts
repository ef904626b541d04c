// The crafter's one-line layer syntax, as `sockbench craft` takes it and the
// crafter view shows "the same packet as a CLI line":
//
//   ipv4 dst=127.0.0.1 ttl=3 / icmp type=echo-request id=7 seq=1 / payload hex:41414141
//   ipv4 dst=127.0.0.1 / tcp dport=80 flags=S,E,C options=MSS:1460,NOP,WScale:7 / payload "x"
//
// Layers are separated by `/` (outside quotes); each is a kind followed by
// field=value words, field names as the codecs (and Scapy) name them. Values:
//   numbers      3, 0x1f
//   names        type=echo-request (or type=8), proto=udp, code=port-unreachable
//   flags        flags=S,E,C (TCP letters FSRPAUECN, or run together: SA), flags=DF (IPv4: MF, DF, evil), or a number
//   addresses    dst=127.0.0.1, dst=::1; lists (routing addresses) comma-separated
//   bytes        hex:41414141, "text" (with \" \\ \n \r \t escapes), or bare text
//   options      comma-separated items, arguments after colons:
//                MSS:1460, WScale:7, SAckOK, SAck:1-100:200-300, Timestamp:TSVAL:TSECR, NOP, EOL,
//                Pad1, PadN:0000, src-lladdr:02:00:00:00:00:01, raw:HEX, or a name/number with :HEX data
//   empty        `field=` (an empty payload, no options)
// A `payload` layer takes its load as a bare value: `payload "x"`, `payload hex:41`.
// Any word may be quoted ("…"); quotes keep spaces and slashes inside a value.
//
// parseLayers gives the fields it was given (no defaults), each in the
// codecs' canonical form (numbers for enums and flags, Uint8Array for bytes,
// addresses in RFC 5952 text; option lists as written), so buildStack takes
// them as they are. formatStack is its inverse: the fields present, as
// words parseLayers reads back to the same layers. Pure TypeScript.
import { toHex } from '../codec/hex.js';
import { LAYER_KINDS, LAYER_SPECS, canFollow, isLayerKind } from './layers.js';
import { FieldError, type FieldSpec, type FieldValue, type Fields, type Layer, type LayerKind, type OptionValue } from './spec.js';
import { hexBytes, normalize, utf8 } from './values.js';

export interface LineError {
  ok: false;
  /** One line: `layer 2 (tcp), column 24: unknown field "dprt"; fields: sport, dport, …`. */
  message: string;
  /** 1-based column in the line of the word at fault. */
  column: number;
  /** 1-based layer number, or null when the line itself is at fault. */
  layer: number | null;
  field: string | null;
}

export type LineResult = { ok: true; layers: Layer[] } | LineError;

interface Word {
  /** The text as written (quotes and escapes included). */
  raw: string;
  /** 0-based offset in the line. */
  start: number;
}

interface Token extends Word {
  slash: boolean;
}

class LineFault extends Error {
  constructor(
    readonly at: number,
    message: string,
    readonly field: string | null = null,
  ) {
    super(message);
  }
}

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';

/** Words and `/` separators, quotes kept (unquoted later, so `load="a b"` splits at its `=` first). */
function tokenize(line: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < line.length) {
    if (isSpace(line[i]!)) {
      i++;
      continue;
    }
    if (line[i] === '/') {
      out.push({ raw: '/', start: i, slash: true });
      i++;
      continue;
    }
    const start = i;
    let quote = false;
    for (; i < line.length; i++) {
      const c = line[i]!;
      if (quote) {
        if (c === '\\') i++;
        else if (c === '"') quote = false;
      } else if (c === '"') quote = true;
      else if (isSpace(c) || c === '/') break;
    }
    if (quote) throw new LineFault(start, `unterminated quote in ${line.slice(start)}`);
    out.push({ raw: line.slice(start, i), start, slash: false });
  }
  return out;
}

const ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', n: '\n', r: '\r', t: '\t' };

/** The text of a word with its quotes removed and escapes applied; `quoted` when all of it was one quoted string. */
function unquote(w: Word): { text: string; quoted: boolean } {
  let text = '';
  let quote = false;
  for (let i = 0; i < w.raw.length; i++) {
    const c = w.raw[i]!;
    if (c === '"') quote = !quote;
    else if (quote && c === '\\') {
      const e = ESCAPES[w.raw[i + 1] ?? ''];
      if (e === undefined) throw new LineFault(w.start + i, `unknown escape \\${w.raw[i + 1] ?? ''} (known: \\" \\\\ \\n \\r \\t; use hex: for other bytes)`);
      text += e;
      i++;
    } else text += c;
  }
  return { text, quoted: w.raw.length >= 2 && w.raw.startsWith('"') && w.raw.endsWith('"') && !w.raw.slice(1, -1).replace(/\\./g, '').includes('"') };
}

/** The offset of the first `=` outside quotes, or -1. */
function equalsAt(raw: string): number {
  let quote = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (quote && c === '\\') i++;
    else if (c === '"') quote = !quote;
    else if (c === '=' && !quote) return i;
  }
  return -1;
}

function fromHex(text: string, what: string): Uint8Array {
  const b = hexBytes(text);
  if (!b) throw new FieldError(what, `${what}: "${text}" is not hex bytes (pairs of 0-9 a-f, e.g. hex:41414141)`);
  return b;
}

// ---- options: MSS:1460,NOP,WScale:7,SAckOK,Timestamp:1:0 ----

const OPTION_NAMES = ['EOL', 'NOP', 'MSS', 'WScale', 'SAckOK', 'SAck', 'Timestamp', 'Pad1', 'PadN', 'RouterAlert', 'Jumbo', 'src-lladdr', 'tgt-lladdr', 'mtu', 'raw'];
const OPTION_BY_LOWER = new Map(OPTION_NAMES.map((n) => [n.toLowerCase(), n]));
const NO_ARGS = new Set(['EOL', 'NOP', 'SAckOK', 'Pad1']);
const NUM = /^(0x[0-9a-f]+|\d+)$/i;

function optNumber(text: string, what: string): number {
  if (!NUM.test(text)) throw new FieldError('options', `${what} must be a number, got "${text}"`);
  return Number(text);
}

/** One item: `MSS:1460`, `Timestamp:1:0`, `SAck:1-2:3-4`, `src-lladdr:02:…`, `30:0102`, `raw:0102`. */
export function parseOption(item: string): OptionValue {
  const colon = item.indexOf(':');
  const head = colon < 0 ? item : item.slice(0, colon);
  const arg = colon < 0 ? null : item.slice(colon + 1);
  const named = OPTION_BY_LOWER.get(head.toLowerCase());
  const kind: string | number = named ?? (NUM.test(head) ? Number(head) : head);
  if (kind === '') throw new FieldError('options', `empty option in the list (items are separated by single commas)`);
  if (typeof kind === 'string' && !named) {
    throw new FieldError('options', `unknown option "${head}" (known: ${OPTION_NAMES.join(', ')}, or a number 0..255 with :HEX data)`);
  }
  const args = arg === null ? [] : arg.split(':');
  switch (kind) {
    case 'EOL':
    case 'NOP':
    case 'SAckOK':
    case 'Pad1':
      if (arg !== null) throw new FieldError('options', `${kind} takes no value, got "${item}"`);
      return { kind };
    case 'MSS':
    case 'WScale':
      if (args.length !== 1) throw new FieldError('options', `${kind} needs one value, e.g. ${kind}:${kind === 'MSS' ? 1460 : 7}`);
      return { kind, value: optNumber(args[0]!, `${kind} value`) };
    case 'Timestamp':
      if (args.length < 1 || args.length > 2) throw new FieldError('options', 'Timestamp needs TSVAL[:TSECR], e.g. Timestamp:1:0');
      return { kind, tsval: optNumber(args[0]!, 'Timestamp tsval'), tsecr: args[1] === undefined ? 0 : optNumber(args[1], 'Timestamp tsecr') };
    case 'SAck':
      return {
        kind,
        blocks: args.map((b) => {
          const m = /^([^-]+)-([^-]+)$/.exec(b);
          if (!m) throw new FieldError('options', `SAck blocks are LEFT-RIGHT, e.g. SAck:1000-2000:3000-4000, got "${b}"`);
          return [optNumber(m[1]!, 'SAck left edge'), optNumber(m[2]!, 'SAck right edge')] as [number, number];
        }),
      };
    case 'src-lladdr':
    case 'tgt-lladdr':
      if (arg === null) throw new FieldError('options', `${kind} needs a link-layer address, e.g. ${kind}:02:00:00:00:00:01`);
      return { kind, lladdr: arg };
    default:
      // raw, PadN, RouterAlert, Jumbo, mtu, numbers: data in hex.
      return arg === null ? { kind } : { kind, data: fromHex(arg.replace(/^hex:/i, ''), `option ${head} data`) };
  }
}

export function parseOptions(text: string): OptionValue[] {
  return text === '' ? [] : text.split(',').map(parseOption);
}

/** The syntax of one option (parseOption's inverse). */
export function formatOptionItem(o: OptionValue): string {
  const kind = String(o.kind);
  if (o.kind === 'raw') return `raw:${toHex(o.data ?? new Uint8Array(0), '')}`;
  if (o.data !== undefined && !(NO_ARGS.has(kind) && o.data.length === 0)) return `${kind}:${toHex(o.data, '')}`;
  if (o.value !== undefined) return `${kind}:${o.value}`;
  if (o.tsval !== undefined || o.tsecr !== undefined) return `${kind}:${o.tsval ?? 0}:${o.tsecr ?? 0}`;
  if (o.blocks !== undefined) return [kind, ...o.blocks.map(([l, r]) => `${l}-${r}`)].join(':');
  if (o.lladdr !== undefined) return `${kind}:${o.lladdr}`;
  return kind;
}

export const formatOptions = (list: readonly OptionValue[]): string => list.map(formatOptionItem).join(',');

// ---- values ----

/** The canonical value of field `s` from a word's text (after `=`), `f` the layer's fields before it. */
function valueOf(s: FieldSpec, text: string, quoted: boolean, f: Fields): FieldValue {
  const t = s.type;
  if (t.t === 'bytes') return !quoted && /^hex:/i.test(text) ? fromHex(text.slice(4), s.name) : utf8(text);
  if (t.t === 'options') {
    const list = parseOptions(text);
    normalize(s, list, f); // checks every item (ranges, known kinds, lengths); the list is kept as written
    return list;
  }
  if (t.t === 'ipv6list') return normalize(s, text === '' ? [] : text.split(','), f);
  return normalize(s, text, f);
}

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length]!;
}

const suggest = (word: string, names: readonly string[]): string => {
  const best = names.map((n) => [n, distance(word.toLowerCase(), n.toLowerCase())] as const).sort((a, b) => a[1] - b[1])[0];
  return best && best[1] <= 2 && best[1] < word.length ? ` (did you mean ${best[0]}?)` : '';
};

interface Assign {
  name: string;
  value: Word;
  word: Word;
}

/** One layer's words → its fields (given ones only, canonical), or a LineFault at the word at fault. */
function parseLayer(kind: LayerKind, words: Word[]): { fields: Fields; resolved: Fields } {
  const assigns = new Map<string, Assign>();
  for (const w of words) {
    const eq = equalsAt(w.raw);
    let name: string;
    let value: Word;
    if (eq < 0) {
      if (kind !== 'payload' || assigns.has('load')) {
        const names = LAYER_SPECS[kind].fields.map((s) => s.name);
        throw new LineFault(w.start, `"${unquote(w).text}" is not field=value; ${kind} fields: ${[...new Set(names)].join(', ')}`);
      }
      name = 'load';
      value = w;
    } else {
      name = w.raw.slice(0, eq);
      value = { raw: w.raw.slice(eq + 1), start: w.start + eq + 1 };
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new LineFault(w.start, `"${name}" is not a field name`);
    }
    if (assigns.has(name)) throw new LineFault(w.start, `${name} is given twice`, name);
    assigns.set(name, { name, value, word: w });
  }
  const fields: Fields = {};
  const f: Fields = {};
  const seen = new Set<string>();
  for (const s of LAYER_SPECS[kind].fields) {
    if (seen.has(s.name) || (s.when && !s.when(f))) continue;
    seen.add(s.name);
    const a = assigns.get(s.name);
    if (!a) {
      f[s.name] = normalize(s, s.default, f);
      continue;
    }
    try {
      const { text, quoted } = unquote(a.value);
      fields[s.name] = f[s.name] = valueOf(s, text, quoted, f);
    } catch (e) {
      if (e instanceof FieldError) throw new LineFault(a.value.start, e.message, s.name);
      throw e;
    }
  }
  for (const a of assigns.values()) {
    if (seen.has(a.name)) continue;
    const active = [...seen];
    const exists = LAYER_SPECS[kind].fields.some((s) => s.name === a.name);
    const typeSpec = LAYER_SPECS[kind].fields.find((s) => s.name === 'type');
    const type = typeSpec && f.type !== undefined ? ` type ${formatFieldValue(typeSpec, f.type, f)}` : '';
    const why = exists ? `field "${a.name}" does not exist for ${kind}${type}` : `unknown field "${a.name}"${suggest(a.name, active)}`;
    throw new LineFault(a.word.start, `${why}; fields: ${active.join(', ')}`, a.name);
  }
  return { fields, resolved: f };
}

/** Parses one line of layers; never throws. */
export function parseLayers(line: string): LineResult {
  let layerNo: number | null = null;
  let kind: LayerKind | null = null;
  try {
    if (typeof line !== 'string') throw new LineFault(0, 'a line of layers must be text');
    const tokens = tokenize(line);
    const groups: Token[][] = [[]];
    for (const t of tokens) {
      if (t.slash) groups.push([]);
      else groups[groups.length - 1]!.push(t);
    }
    if (tokens.length === 0) throw new LineFault(0, `no layers; e.g. ipv4 dst=127.0.0.1 / icmp / payload "x" (layers: ${LAYER_KINDS.join(', ')})`);
    const layers: Layer[] = [];
    let prev: Layer | null = null;
    let slashAt = 0;
    for (let i = 0; i < groups.length; i++) {
      layerNo = i + 1;
      kind = null;
      const [head, ...rest] = groups[i]!;
      if (i > 0) slashAt = tokens.filter((t) => t.slash)[i - 1]!.start;
      if (!head) throw new LineFault(i > 0 ? slashAt : 0, `empty layer${i > 0 ? ' after "/"' : ' before "/"'}; layers: ${LAYER_KINDS.join(', ')}`);
      const name = unquote(head).text;
      if (!isLayerKind(name)) throw new LineFault(head.start, `unknown layer "${name}"${suggest(name, LAYER_KINDS)}; layers: ${LAYER_KINDS.join(', ')}`);
      kind = name;
      const { fields, resolved } = parseLayer(name, rest);
      if (!canFollow(prev, name)) {
        const allowed = LAYER_SPECS[prev!.kind].follows(prev!.fields);
        throw new LineFault(head.start, `${name} cannot follow ${prev!.kind} (after ${prev!.kind}: ${allowed.join(', ') || 'nothing'})`);
      }
      prev = { kind: name, fields: resolved };
      layers.push({ kind: name, fields });
    }
    return { ok: true, layers };
  } catch (e) {
    const fault = e instanceof LineFault ? e : new LineFault(0, `internal error: ${e instanceof Error ? e.message : String(e)}`);
    const where = layerNo === null ? '' : `layer ${layerNo}${kind ? ` (${kind})` : ''}, `;
    return { ok: false, message: `${where}column ${fault.at + 1}: ${fault.message}`, column: fault.at + 1, layer: layerNo, field: fault.field };
  }
}

/** Several command-line words as one line (`sockbench craft ipv4 ttl=3 / icmp`): joined by spaces. */
export const parseLayerWords = (words: readonly string[]): LineResult => parseLayers(words.join(' '));

// ---- formatting ----

const BARE = /^[A-Za-z0-9_.:,+-]+$/;

const quote = (text: string): string => `"${text.replace(/[\\"\n\r\t]/g, (c) => ({ '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c]!)}"`;

/** A string value as a word: bare when safe, else quoted. */
const word = (text: string): string => (BARE.test(text) && !/^hex:/i.test(text) ? text : quote(text));

/** Bytes: quoted text when printable ASCII, hex: otherwise. */
function formatBytes(b: Uint8Array): string {
  if (b.every((x) => x >= 0x20 && x < 0x7f)) return quote(String.fromCharCode(...b));
  return `hex:${toHex(b, '')}`;
}

/** A value that could not be made canonical, written as close to how it was given as the syntax allows. */
function formatRaw(v: FieldValue): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return word(v);
  if (v instanceof Uint8Array) return formatBytes(v);
  if (v.every((x) => typeof x === 'number')) return formatBytes(Uint8Array.from(v as readonly number[]));
  if (v.every((x) => typeof x === 'string')) return (v as readonly string[]).join(',');
  return formatOptions(v as readonly OptionValue[]);
}

/** A canonical value of field `s` as a word parseLayers reads back to it; `f` the layer's fields before it (for ICMP code names). */
export function formatFieldValue(s: FieldSpec, v: FieldValue, f: Fields = {}): string {
  const t = s.type;
  switch (t.t) {
    case 'uint':
      return typeof v === 'number' && s.name === 'chksum' ? `0x${v.toString(16).padStart(4, '0')}` : formatRaw(v);
    case 'enum': {
      if (typeof v !== 'number') return formatRaw(v);
      const name = t.names(f)[v];
      // A name only when it reads back to the same number.
      if (name !== undefined && BARE.test(name) && !NUM.test(name)) {
        try {
          if (normalize(s, name, f) === v) return name;
        } catch {
          // the number then
        }
      }
      return String(v);
    }
    case 'flags':
      return typeof v === 'number' ? t.names.filter((_, bit) => Math.floor(v / 2 ** bit) % 2 === 1).join(',') || '0' : formatRaw(v);
    case 'bytes':
      return v instanceof Uint8Array ? formatBytes(v) : formatRaw(v);
    case 'options':
      return Array.isArray(v) && v.every((o) => typeof o === 'object' && o !== null) ? formatOptions(v as readonly OptionValue[]) : formatRaw(v);
    default:
      return formatRaw(v);
  }
}

/** One layer as `kind field=value …`: the fields present, in wire order (then any the layer does not have, as given). */
export function formatLayer(layer: Layer): string {
  const kind = layer.kind;
  if (!isLayerKind(kind)) return word(String(kind));
  const given = layer.fields ?? {};
  const parts: string[] = [kind];
  const f: Fields = {};
  const done = new Set<string>();
  for (const s of LAYER_SPECS[kind].fields) {
    if (done.has(s.name) || (s.when && !s.when(f))) continue;
    done.add(s.name);
    const raw = given[s.name];
    let v: FieldValue | undefined;
    try {
      v = raw === undefined ? undefined : s.type.t === 'options' ? raw : normalize(s, raw, f);
      f[s.name] = raw === undefined ? normalize(s, s.default, f) : s.type.t === 'options' ? normalize(s, raw, f) : v!;
    } catch {
      if (raw !== undefined) {
        parts.push(`${s.name}=${formatRaw(raw)}`);
        f[s.name] = raw;
      }
      continue;
    }
    if (raw === undefined) continue;
    const text = formatFieldValue(s, v!, f);
    parts.push(kind === 'payload' && s.name === 'load' ? text : `${s.name}=${text}`);
  }
  for (const [name, raw] of Object.entries(given)) {
    if (!done.has(name) && raw !== undefined) parts.push(`${name}=${formatRaw(raw)}`);
  }
  return parts.join(' ');
}

/** A stack as one line: `ipv4 dst=127.0.0.1 / icmp type=echo-request / payload "x"`. */
export const formatStack = (layers: readonly Layer[]): string => layers.map(formatLayer).join(' / ');
