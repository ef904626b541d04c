// Option lists as type-length-value items: IPv4 and TCP options (length
// counts the 2-byte head), IPv6 hop-by-hop/destination options (length
// counts the data only) and neighbour discovery options (length in units of
// 8 bytes). One walker per direction; a list differs only in its table.
// Decoding never fails: a malformed tail becomes one { kind: 'raw' } item.
import { toHex } from '../codec/hex.js';
import { put16, put32, u16, u32 } from './bytes.js';
import { FieldError, type OptionListKind, type OptionValue } from './spec.js';

interface Named {
  name: string;
  code: number;
  /** Data from the option's values; absent: the option carries raw `data`. */
  enc?: (o: OptionValue) => Uint8Array;
  /** Values from the data, or null when the data does not fit (then kept raw). */
  dec?: (d: Uint8Array) => OptionValue | null;
}

interface ListCodec {
  /** One-byte options (no length). */
  single: Readonly<Record<number, string>>;
  named: readonly Named[];
  /** The length byte for `n` data bytes, or null when n is not allowed. */
  lenByte: (n: number) => number | null;
  /** Data bytes for a length byte, or null when the byte is malformed. */
  dataLen: (len: number) => number | null;
  /** Padding appended so the list (after `head` bytes of header) fills whole units. */
  pad: (missing: number) => OptionValue[];
  unit: number;
  head: number;
  max: number;
}

const num = (v: unknown, bits: number, what: string): number => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 2 ** bits - 1) {
    throw new FieldError('options', `${what} must be 0..${2 ** bits - 1}, got ${String(v)}`);
  }
  return v;
};

const be = (bytes: number, v: number): Uint8Array => {
  const d = new Uint8Array(bytes);
  if (bytes === 1) d[0] = v;
  else if (bytes === 2) put16(d, 0, v);
  else put32(d, 0, v);
  return d;
};

/** A scalar option (MSS, window scale) of `bytes` bytes. */
const scalar = (name: string, code: number, bytes: number): Named => ({
  name,
  code,
  enc: (o) => be(bytes, num(o.value, bytes * 8, `${name} value`)),
  dec: (d) => (d.length === bytes ? { kind: name, value: bytes === 1 ? d[0]! : bytes === 2 ? u16(d, 0) : u32(d, 0) } : null),
});

const empty = (name: string, code: number): Named => ({ name, code, enc: () => new Uint8Array(0), dec: (d) => (d.length === 0 ? { kind: name } : null) });

const MAC = /^([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2})$/i;
const lladdr = (name: string, code: number): Named => ({
  name,
  code,
  enc: (o) => {
    const m = MAC.exec(String(o.lladdr ?? ''));
    if (!m) throw new FieldError('options', `${name} needs lladdr like 02:00:00:00:00:01, got ${String(o.lladdr)}`);
    return Uint8Array.from(m.slice(1), (h) => parseInt(h, 16));
  },
  dec: (d) => (d.length === 6 ? { kind: name, lladdr: toHex(d, ':') } : null),
});

const TCP_NAMED: readonly Named[] = [
  scalar('MSS', 2, 2),
  scalar('WScale', 3, 1),
  empty('SAckOK', 4),
  {
    name: 'SAck',
    code: 5,
    enc: (o) => {
      const blocks = o.blocks ?? [];
      if (blocks.length > 4) throw new FieldError('options', `SAck holds at most 4 blocks, got ${blocks.length}`);
      const d = new Uint8Array(blocks.length * 8);
      blocks.forEach(([l, r], i) => {
        put32(d, i * 8, num(l, 32, 'SAck left edge'));
        put32(d, i * 8 + 4, num(r, 32, 'SAck right edge'));
      });
      return d;
    },
    dec: (d) => {
      if (d.length % 8 !== 0) return null;
      const blocks: [number, number][] = [];
      for (let i = 0; i < d.length; i += 8) blocks.push([u32(d, i), u32(d, i + 4)]);
      return { kind: 'SAck', blocks };
    },
  },
  {
    name: 'Timestamp',
    code: 8,
    enc: (o) => {
      const d = new Uint8Array(8);
      put32(d, 0, num(o.tsval ?? 0, 32, 'Timestamp tsval'));
      put32(d, 4, num(o.tsecr ?? 0, 32, 'Timestamp tsecr'));
      return d;
    },
    dec: (d) => (d.length === 8 ? { kind: 'Timestamp', tsval: u32(d, 0), tsecr: u32(d, 4) } : null),
  },
];

// Named for reading; their data stays raw (pointer, addresses, flags as on the wire).
const IPV4_NAMED: readonly Named[] = [
  { name: 'RR', code: 7 }, { name: 'Timestamp', code: 68 }, { name: 'LSRR', code: 131 }, { name: 'SSRR', code: 137 }, { name: 'RouterAlert', code: 148 },
];

const eolPad = (missing: number): OptionValue[] => Array.from({ length: missing }, () => ({ kind: 'EOL' }));
const inclusive = { lenByte: (n: number) => (n + 2 <= 255 ? n + 2 : null), dataLen: (l: number) => (l >= 2 ? l - 2 : null) };

const LISTS: Record<OptionListKind, ListCodec> = {
  ipv4: { single: { 0: 'EOL', 1: 'NOP' }, named: IPV4_NAMED, ...inclusive, pad: eolPad, unit: 4, head: 0, max: 40 },
  tcp: { single: { 0: 'EOL', 1: 'NOP' }, named: TCP_NAMED, ...inclusive, pad: eolPad, unit: 4, head: 0, max: 40 },
  ipv6: {
    single: { 0: 'Pad1' },
    named: [{ name: 'PadN', code: 1 }, { name: 'RouterAlert', code: 5 }, { name: 'Jumbo', code: 0xc2 }],
    lenByte: (n) => (n <= 255 ? n : null),
    dataLen: (l) => l,
    pad: (m) => (m === 0 ? [] : m === 1 ? [{ kind: 'Pad1' }] : [{ kind: 'PadN', data: new Uint8Array(m - 2) }]),
    unit: 8,
    head: 2,
    max: 2046,
  },
  nd: {
    single: {},
    named: [lladdr('src-lladdr', 1), lladdr('tgt-lladdr', 2), { name: 'mtu', code: 5 }],
    lenByte: (n) => ((n + 2) % 8 === 0 && n + 2 <= 255 * 8 ? (n + 2) / 8 : null),
    dataLen: (l) => (l > 0 ? l * 8 - 2 : null),
    pad: () => [],
    unit: 1,
    head: 0,
    max: 65535,
  },
};

const codeOf = (list: ListCodec, kind: string | number): { single: boolean; code: number; named?: Named } | null => {
  if (typeof kind === 'number') {
    if (!Number.isInteger(kind) || kind < 0 || kind > 255) return null;
    return { single: kind in list.single, code: kind, named: list.named.find((n) => n.code === kind) };
  }
  const s = Object.entries(list.single).find(([, n]) => n === kind);
  if (s) return { single: true, code: Number(s[0]) };
  const named = list.named.find((n) => n.name === kind);
  return named ? { single: false, code: named.code, named } : null;
};

function encodeOne(list: ListCodec, which: OptionListKind, o: OptionValue): Uint8Array {
  if (o.kind === 'raw') return o.data ?? new Uint8Array(0);
  const c = codeOf(list, o.kind);
  const known = [...Object.values(list.single), ...list.named.map((n) => n.name)].join(', ');
  if (!c) throw new FieldError('options', `unknown ${which} option ${String(o.kind)} (known: ${known}, raw, or a number 0..255)`);
  if (c.single) return Uint8Array.of(c.code);
  const data = c.named?.enc && o.data === undefined ? c.named.enc(o) : (o.data ?? new Uint8Array(0));
  const len = list.lenByte(data.length);
  if (len === null) throw new FieldError('options', `${which} option ${String(o.kind)} cannot carry ${data.length} data bytes`);
  const out = new Uint8Array(2 + data.length);
  out[0] = c.code;
  out[1] = len;
  out.set(data, 2);
  return out;
}

/** True when an empty list of this kind encodes to no bytes (needs no padding): true of all but IPv6 TLV lists. */
export const emptyEncodesEmpty = (which: OptionListKind): boolean => LISTS[which].head % LISTS[which].unit === 0;

/** The bytes of a list, padded to whole units, or a FieldError. */
export function encodeOptions(which: OptionListKind, opts: readonly OptionValue[]): Uint8Array {
  const list = LISTS[which];
  if (!Array.isArray(opts)) throw new FieldError('options', `options must be a list, got ${typeof opts}`);
  // Every IPv4 and TCP header of a flood has an empty list: no parts to join.
  if (opts.length === 0 && emptyEncodesEmpty(which)) return new Uint8Array(0);
  const parts = opts.map((o) => encodeOne(list, which, o));
  const n = parts.reduce((s, p) => s + p.length, 0);
  const missing = (list.unit - ((n + list.head) % list.unit)) % list.unit;
  parts.push(...list.pad(missing).map((o) => encodeOne(list, which, o)));
  const out = Uint8Array.from(parts.flatMap((p) => [...p]));
  if (out.length > list.max) throw new FieldError('options', `${which} options take ${out.length} bytes, at most ${list.max}`);
  return out;
}

/** The items of a list; never fails (a malformed tail is one raw item). */
export function decodeOptions(which: OptionListKind, b: Uint8Array): OptionValue[] {
  const list = LISTS[which];
  const out: OptionValue[] = [];
  for (let i = 0; i < b.length; ) {
    const code = b[i]!;
    const single = list.single[code];
    if (single !== undefined) {
      out.push({ kind: single });
      i++;
      continue;
    }
    const n = i + 1 < b.length ? list.dataLen(b[i + 1]!) : null;
    if (n === null || i + 2 + n > b.length) {
      out.push({ kind: 'raw', data: b.slice(i) });
      break;
    }
    const data = b.slice(i + 2, i + 2 + n);
    const named = list.named.find((x) => x.code === code);
    out.push(named?.dec?.(data) ?? { kind: named && !named.dec ? named.name : code, data });
    i += 2 + n;
  }
  return out;
}

/** A readable one-line form, e.g. "MSS=1460 NOP WScale=7" (for lists and the CLI). */
export function formatOption(o: OptionValue): string {
  if (o.value !== undefined) return `${o.kind}=${o.value}`;
  if (o.tsval !== undefined) return `${o.kind}=${o.tsval},${o.tsecr}`;
  if (o.blocks) return `${o.kind}=${o.blocks.map(([l, r]) => `${l}-${r}`).join(',')}`;
  if (o.lladdr) return `${o.kind}=${o.lladdr}`;
  return o.data ? `${o.kind}:${toHex(o.data, '')}` : String(o.kind);
}
