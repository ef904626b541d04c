// The one walker over a layer's field table: writes resolved fields, reads
// them back, and records where each field sits; plus the checksum both
// directions share (which bytes, which pseudo-header).
import { ipv4Bytes, ipv6Bytes } from '../address.js';
import { ipv4PseudoHeader, ipv6PseudoHeader, onesComplementSum } from '../checksum.js';
import { protoOf } from './ipv4.js';
import { type FieldSpec, type Fields, type Layer, type LayerCodec, type Span } from './spec.js';
import { decodeVar, encodeVar, fixedBits, getBits, isNumeric, putBits } from './values.js';

/** Bytes of each variable field of a resolved layer, and the header size. */
export function measure(fields: readonly FieldSpec[], f: Fields): { size: number; vars: Map<string, Uint8Array> } {
  let bits = 0;
  const vars = new Map<string, Uint8Array>();
  for (const s of fields) {
    const b = fixedBits(s);
    if (isNumeric(s)) bits += b;
    else {
      const v = encodeVar(s, f[s.name]!);
      vars.set(s.name, v);
      bits += v.length * 8;
    }
  }
  return { size: bits / 8, vars };
}

/** Writes a resolved layer at byte `at`; returns the spans of its fields. */
export function writeLayer(fields: readonly FieldSpec[], f: Fields, vars: Map<string, Uint8Array>, out: Uint8Array, at: number, layer: number): Span[] {
  const spans: Span[] = [];
  let pos = at * 8;
  for (const s of fields) {
    const v = vars.get(s.name);
    const bits = v ? v.length * 8 : fixedBits(s);
    if (v) out.set(v, pos / 8);
    else putBits(out, pos, bits, f[s.name] as number);
    spans.push({ layer, field: s.name, offset: pos >> 3, bitOffset: pos % 8, bitLength: bits });
    pos += bits;
  }
  return spans;
}

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
  const f: Fields = {};
  const spans: Span[] = [];
  let pos = at * 8;
  const seen = new Set<string>();
  for (const s of codec.fields) {
    if (seen.has(s.name) || (s.when && !s.when(f))) continue;
    seen.add(s.name);
    const left = b.length - pos / 8;
    let bits = fixedBits(s);
    if (s.size) {
      const want = s.size(f, left);
      if (want > left) return { ok: false, reason: `${codec.label} ${s.name} needs ${want} bytes, ${left} present` };
      bits = want * 8;
    } else if (pos + bits > b.length * 8) {
      return { ok: false, reason: `${codec.label} header cut short: ${s.name} needs ${Math.ceil((pos + bits) / 8) - at} bytes, ${b.length - at} present` };
    }
    f[s.name] = isNumeric(s) ? getBits(b, pos, bits) : decodeVar(s, b.subarray(pos / 8, pos / 8 + bits / 8));
    spans.push({ layer, field: s.name, offset: pos >> 3, bitOffset: pos % 8, bitLength: bits });
    pos += bits;
  }
  return { ok: true, fields: f, spans, end: pos / 8 };
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

/** The ones' complement sum a checksum covers (with its field as it is in `b`). */
export function checksumSum(codec: LayerCodec, b: Uint8Array, start: number, headerEnd: number, pseudo: Uint8Array | null): number {
  const part = b.subarray(start, codec.checksum!.scope === 'header' ? headerEnd : b.length);
  return onesComplementSum(pseudo ? [pseudo, part] : [part]);
}
