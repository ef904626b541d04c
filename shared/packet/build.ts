// Building a layer stack: each layer's fields resolved (what the user set,
// checked and made canonical; defaults for the rest), then lengths and next
// protocols from the layers after it, then the bytes, then checksums from
// the last layer up (an ICMP error's checksum covers the datagram it quotes).
// A checksum or length the user set is written as is.
import { put16 } from './bytes.js';
import { ipv4Word } from '../net/address.js';
import { LAYER_KINDS, LAYER_SPECS, isLayerKind } from './layers.js';
import { IPV4, LAYOUTS, NUM, noneTaken, takeSlot, type Slot } from './layout.js';
import { FieldError, type FieldValue, type Fields, type Layer, type LayerKind, type Span } from './spec.js';
import { fold, wordSum } from './checksum.js';
import { normalize } from './values.js';
import { measureSlots, pseudoAddresses, pseudoHeaderSum, writeSlots, type Addresses } from './wire.js';

/** Addresses for the pseudo-header when the stack has no IP layer (a raw ICMPv6/TCP/UDP socket sends it). */
export type StackContext = Partial<Addresses>;

export type StackError = { ok: false; layer: number; field: string | null; message: string };
export type BuildResult = { ok: true; bytes: Uint8Array; spans: Span[]; layers: Layer[] } | StackError;
export type ResolveResult = { ok: true; layers: Layer[] } | StackError;

export const MAX_PACKET = 65535;

const fail = (layer: number, field: string | null, message: string): StackError => ({ ok: false, layer, field, message });

interface Resolved {
  f: Fields;
  given: Fields;
  /** The fields that exist for these values (the layout's own list when that never varies). */
  active: readonly Slot[];
}

/** Defaults and canonical values, in wire order (a field's `when` sees the fields before it). */
function resolveFields(kind: Layer['kind'], raw: Fields): Resolved {
  const L = LAYOUTS[kind];
  const f: Fields = {};
  const given: Fields = {};
  const taken = L.dynamic ? noneTaken(L) : null;
  const active: Slot[] = taken ? [] : (L.slots as Slot[]);
  for (const s of L.slots) {
    if (taken) {
      if (!takeSlot(s, f, taken)) continue;
      active.push(s);
    }
    const v = raw[s.name];
    const value = v === undefined ? s.spec.default : v;
    f[s.name] = isCanonical(s, value) ? value : normalize(s.spec, value, f);
    if (v !== undefined) given[s.name] = f[s.name]!;
  }
  for (const name of Object.keys(raw)) {
    const id = L.names.get(name);
    if (raw[name] === undefined || (id !== undefined && (!taken || taken[id]))) continue;
    const names = active.map((s) => s.name).join(', ');
    const why = id !== undefined ? `${name} is not a field of ${kind} type ${String(f.type)}` : `unknown field ${name} of ${kind}`;
    throw new FieldError(name, `${why} (fields: ${names})`);
  }
  return { f, given, active };
}

/** Values normalize would return unchanged, told apart cheaply: in-range integers, valid dotted quads (which have no other spelling). */
function isCanonical(s: Slot, v: FieldValue): boolean {
  if (s.wire === NUM) return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= s.max;
  return s.wire === IPV4 && typeof v === 'string' && ipv4Word(v) >= 0;
}

/** canFollow for a resolved previous layer, whose enum and flag fields are numbers already. */
function follows(prev: Layer | null, kind: LayerKind): boolean {
  return prev === null || LAYER_SPECS[prev.kind].follows(prev.fields).includes(kind);
}

function compile(input: readonly Layer[], ctx?: StackContext): BuildResult {
  if (!Array.isArray(input)) return fail(-1, null, 'a stack is a list of layers');
  const layers: Layer[] = [];
  const resolved: Resolved[] = [];
  let i = 0;
  try {
    for (; i < input.length; i++) {
      const { kind, fields } = input[i] ?? ({} as Layer);
      if (fields !== undefined && (typeof fields !== 'object' || fields === null)) return fail(i, null, 'a layer\'s fields are an object');
      if (!isLayerKind(kind)) return fail(i, null, `unknown layer kind ${JSON.stringify(kind)} (known: ${LAYER_KINDS.join(', ')})`);
      const r = resolveFields(kind, fields ?? {});
      const prev = layers[i - 1] ?? null;
      if (!follows(prev, kind)) {
        const allowed = LAYER_SPECS[prev!.kind].follows(prev!.fields).join(', ') || 'nothing';
        const what = prev!.kind.startsWith('icmp') ? `${prev!.kind} type ${String(prev!.fields.type)}` : prev!.kind;
        return fail(i, null, `${kind} cannot follow ${what} (allowed: ${allowed})`);
      }
      layers.push({ kind, fields: r.f });
      resolved.push(r);
    }
    const measured = layers.map((l, j) => measureSlots(resolved[j]!.active, l.fields));
    let total = 0;
    for (const m of measured) total += m.size;
    if (total > MAX_PACKET) return fail(0, null, `the packet would be ${total} bytes; an IP packet holds at most ${MAX_PACKET}`);
    let rest = total;
    for (i = 0; i < layers.length; i++) {
      const header = measured[i]!.size;
      rest -= header;
      LAYER_SPECS[layers[i]!.kind].auto?.(layers[i]!.fields, resolved[i]!.given, { header, rest, next: layers[i + 1] });
      checkComputed(resolved[i]!.active, layers[i]!.fields);
    }
    const bytes = new Uint8Array(total);
    const spans: Span[] = [];
    const starts: number[] = [];
    const sumAt: number[] = [];
    let at = 0;
    for (i = 0; i < layers.length; i++) {
      starts.push(at);
      sumAt.push(writeSlots(measured[i]!, layers[i]!.fields, bytes, at, i, spans, LAYER_SPECS[layers[i]!.kind].checksum?.field));
      at += measured[i]!.size;
    }
    for (i = layers.length - 1; i >= 0; i--) fillChecksum(layers, i, { bytes, starts, sumAt, header: measured[i]!.size, given: resolved[i]!.given }, ctx);
    return { ok: true, bytes, spans, layers };
  } catch (e) {
    if (e instanceof FieldError) return fail(i, e.field, e.message);
    return fail(i, null, e instanceof Error ? e.message : String(e));
  }
}

/**
 * Computes layer i's checksum, unless the user set it, over the final bytes
 * (the layers after it already have theirs) and writes it in place.
 */
function fillChecksum(layers: Layer[], i: number, w: { bytes: Uint8Array; starts: number[]; sumAt: number[]; header: number; given: Fields }, ctx?: StackContext): void {
  const l = layers[i]!;
  const c = LAYER_SPECS[l.kind].checksum;
  if (!c || c.field in w.given) return;
  const start = w.starts[i]!;
  let pseudo = 0;
  if (c.pseudo) {
    const p = pseudoAddresses(layers, i, ctx);
    const how = `put an IP layer before it, give the context { src, dst }, or set ${c.field}`;
    if (!p) throw new FieldError(c.field, `${l.kind} needs IP addresses for its checksum: ${how}`);
    const h = pseudoHeaderSum(p.a, l, w.bytes.length - start);
    if (typeof h === 'string') throw new FieldError(c.field, h);
    pseudo = h;
  }
  const end = c.scope === 'header' ? start + w.header : w.bytes.length;
  const sum = ~fold(pseudo + wordSum(w.bytes, start, end)) & 0xffff;
  l.fields[c.field] = sum === 0 && c.zeroIsNone ? 0xffff : sum;
  const at = w.sumAt[i]!;
  if (at < 0) throw new Error(`${l.kind} has no ${c.field} field for these values`);
  put16(w.bytes, at, l.fields[c.field] as number);
}

/** Computed lengths must fit their fields too (e.g. a routing header with too many addresses). */
function checkComputed(slots: readonly Slot[], f: Fields): void {
  for (const s of slots) {
    if (!s.spec.auto || s.wire !== NUM) continue;
    if ((f[s.name] as number) > s.max) throw new FieldError(s.name, `${s.name} would be ${String(f[s.name])}, more than its ${s.bits} bits hold (${s.max})`);
  }
}

/** The bytes of a stack and where each field lies; never throws: bad input gives { ok: false } naming the layer and field. */
export function buildStack(layers: readonly Layer[], ctx?: StackContext): BuildResult {
  return compile(layers, ctx);
}

/** Every field of every layer, defaults and computed values filled in: what parseStack gives back for the built bytes. */
export function resolveStack(layers: readonly Layer[], ctx?: StackContext): ResolveResult {
  const r = compile(layers, ctx);
  return r.ok ? { ok: true, layers: r.layers } : r;
}

/**
 * The bytes of a stack the program writes itself (ping's echo requests,
 * traceroute's probes, tests), where a build error is a bug: thrown as a
 * RangeError naming the layer and field.
 */
export function stackBytes(layers: readonly Layer[], ctx?: StackContext): Uint8Array {
  const r = compile(layers, ctx);
  if (!r.ok) throw new RangeError(`layer ${r.layer}${r.field === null ? '' : ` (${r.field})`}: ${r.message}`);
  return r.bytes;
}
