// The one walker over a layer's field table: writes resolved fields, reads
// them back, and records where each field sits; plus the checksum both
// directions share (which bytes, which pseudo-header). buildStack and
// parseStack walk the precomputed layouts (layout.ts: measureSlots,
// writeSlots, readLayer) and sum checksums as numbers (pseudoHeaderSum).
import { formatIPv4, ipv4Bytes, ipv4Word, ipv6Bytes, ipv6BytesShared } from '../net/address.js';
import { protoOf } from './ipv4.js';
import { emptyEncodesEmpty } from './options.js';
import { IPV4, NUM, VAR, layoutOf, noneTaken, takeSlot, type Slot } from './layout.js';
import { type FieldValue, type Fields, type Layer, type LayerCodec, type Span } from './spec.js';
import { ipv4PseudoHeader, ipv6PseudoHeader, pseudoSum, wordSum } from './checksum.js';
import { decodeVar, encodeVar, fixedBits, getBits, putBits } from './values.js';

/** The field a bit of the bytes belongs to (bit 0 = MSB of the byte), innermost layer first: for mapping an edited byte back. */
export function spanAt(spans: readonly Span[], offset: number, bit = 0): Span | undefined {
  const at = offset * 8 + bit;
  let hit: Span | undefined;
  for (const s of spans) {
    const start = s.offset * 8 + s.bitOffset;
    if (at >= start && at < start + s.bitLength && (!hit || s.layer > hit.layer)) hit = s;
  }
  return hit;
}

export type ReadResult = { ok: true; fields: Fields; spans: Span[]; end: number } | { ok: false; reason: string };

/** Reads a layer at byte `at`; a field cut short stops it with a reason. */
export function readLayer(codec: LayerCodec, b: Uint8Array, at: number, layer: number): ReadResult {
  const L = layoutOf(codec);
  const f: Fields = {};
  const spans: Span[] = [];
  const taken = L.dynamic ? noneTaken(L) : null;
  let pos = at * 8;
  for (const s of L.slots) {
    if (taken && !takeSlot(s, f, taken)) continue;
    const left = b.length - pos / 8;
    let bits = s.bits || fixedBits(s.spec);
    if (s.spec.size) {
      const want = s.spec.size(f, left);
      if (want > left) return { ok: false, reason: `${codec.label} ${s.name} needs ${want} bytes, ${left} present` };
      bits = want * 8;
    } else if (pos + bits > b.length * 8) {
      return { ok: false, reason: `${codec.label} header cut short: ${s.name} needs ${Math.ceil((pos + bits) / 8) - at} bytes, ${b.length - at} present` };
    }
    f[s.name] = readSlot(s, b, pos, bits);
    spans.push({ layer, field: s.name, offset: pos >> 3, bitOffset: pos % 8, bitLength: bits });
    pos += bits;
  }
  return { ok: true, fields: f, spans, end: pos / 8 };
}

function readSlot(s: Slot, b: Uint8Array, pos: number, bits: number): FieldValue {
  if (s.wire === NUM) return getBits(b, pos, bits);
  // Straight from the bytes: no subarray per address (the same text formatIPv4 gives for one).
  if (s.wire === IPV4 && !s.spec.size) return formatIPv4(b, pos >> 3);
  return decodeVar(s.spec, b.subarray(pos / 8, pos / 8 + bits / 8));
}

/** A resolved layer measured for writing: its active slots, the bytes of each variable one, and its size. */
export interface Measured {
  slots: readonly Slot[];
  vars: (Uint8Array | undefined)[];
  size: number;
}

/** measure, on a layout's slots: addresses as fixed 32-bit fields, IPv6 addresses from the shared cache. */
export function measureSlots(slots: readonly Slot[], f: Fields): Measured {
  let bits = 0;
  const vars: (Uint8Array | undefined)[] = [];
  for (const s of slots) {
    if (s.wire !== VAR) {
      bits += s.bits;
      vars.push(undefined);
      continue;
    }
    const v = varBytes(s, f[s.name]!);
    vars.push(v);
    bits += v.length * 8;
  }
  return { slots, vars, size: bits / 8 };
}

/** No bytes, for the empty option lists of most layers; only ever read (written into packets). */
const NO_BYTES = new Uint8Array(0);

/** encodeVar without the allocations a flood would repeat: IPv6 addresses from the cache, empty option lists as NO_BYTES. */
function varBytes(s: Slot, v: FieldValue): Uint8Array {
  const t = s.spec.type;
  if (t.t === 'ipv6') return ipv6BytesShared(v as string)!;
  if (t.t === 'options' && Array.isArray(v) && v.length === 0 && emptyEncodesEmpty(t.list)) return NO_BYTES;
  return encodeVar(s.spec, v);
}

/**
 * writeLayer, on measured slots: writes at byte `at`, appends the fields'
 * spans to `spans`, and returns the byte offset of the field named `mark`
 * (the checksum, to fill in later), or -1.
 */
export function writeSlots(m: Measured, f: Fields, out: Uint8Array, at: number, layer: number, spans: Span[], mark: string | undefined): number {
  let pos = at * 8;
  let marked = -1;
  for (let k = 0; k < m.slots.length; k++) {
    const s = m.slots[k]!;
    const v = m.vars[k];
    const bits = v ? v.length * 8 : s.bits;
    if (v) out.set(v, pos / 8);
    else putBits(out, pos, bits, s.wire === IPV4 ? ipv4Word(f[s.name] as string) : (f[s.name] as number));
    if (s.name === mark) marked = pos >> 3;
    spans.push({ layer, field: s.name, offset: pos >> 3, bitOffset: pos % 8, bitLength: bits });
    pos += bits;
  }
  return marked;
}

export interface Addresses {
  src: string;
  dst: string;
}

/**
 * The addresses of the pseudo-header for layer i: those of the nearest IP
 * layer before it (the final routing-header address as destination, RFC 8200
 * §8.1), else the context's.
 */
export function pseudoAddresses(layers: readonly Layer[], i: number, ctx: Partial<Addresses> | undefined): { a: Addresses; ip: number } | null {
  let dst: string | undefined;
  for (let j = i - 1; j >= 0; j--) {
    const l = layers[j]!;
    if (l.kind === 'routing' && dst === undefined && (l.fields.segleft as number) > 0) {
      const list = l.fields.addresses as string[] | undefined;
      if (list?.length) dst = list[list.length - 1];
    }
    if (l.kind === 'ipv4' || l.kind === 'ipv6') return { a: { src: l.fields.src as string, dst: dst ?? (l.fields.dst as string) }, ip: j };
  }
  return ctx?.src !== undefined && ctx.dst !== undefined ? { a: { src: ctx.src, dst: ctx.dst }, ip: -1 } : null;
}

/** The pseudo-header for these addresses, or a sentence saying why there is none. */
export function pseudoHeader(a: Addresses, layer: Layer, length: number): Uint8Array | string {
  const proto = protoOf(layer.kind)!;
  const s4 = ipv4Bytes(a.src);
  const d4 = ipv4Bytes(a.dst);
  if (s4 && d4 && layer.kind !== 'icmpv6') return ipv4PseudoHeader(s4, d4, proto, length);
  const s6 = ipv6Bytes(a.src);
  const d6 = ipv6Bytes(a.dst);
  if (s6 && d6) return ipv6PseudoHeader(s6, d6, proto, length);
  return `${layer.kind} needs two IPv${layer.kind === 'icmpv6' ? 6 : '4 or two IPv6'} addresses for its pseudo-header, got ${a.src} and ${a.dst}`;
}

/** The sum of the pseudo-header pseudoHeader gives, computed without building it; or its sentence. */
export function pseudoHeaderSum(a: Addresses, layer: Layer, length: number): number | string {
  const sum = pseudoSum(a.src, a.dst, protoOf(layer.kind)!, length);
  if (sum >= 0) return sum;
  const h = pseudoHeader(a, layer, length);
  return typeof h === 'string' ? h : wordSum(h, 0, h.length);
}
