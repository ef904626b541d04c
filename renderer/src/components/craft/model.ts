// The crafter's editing model, pure (no Vue): a layer is its kind and the
// text the person typed for the fields they set ("given"); every other field
// takes its default or computed value. Text is what is kept, so a bad value
// stays in its input with the codec's error beside it. Conversions between
// codec values (numbers, names, Uint8Array, option lists) and that text live
// here, as does turning edited bytes back into given fields.
import { toHex } from '../../../../shared/codec/index.js';
import {
  LAYER_SPECS, buildStack, canFollow, fieldsOf, formatOptions, parseOptions, parseStack,
  type BuildResult, type FieldSpec, type StackContext, type FieldValue, type Fields, type Layer, type LayerKind, type OptionValue,
} from '../../../../shared/packet/index.js';
import { specOf } from '../../lib/packet-summary.js';

export { specOf };

export interface EditLayer {
  /** Stable key for the list (survives reordering). */
  uid: number;
  kind: LayerKind;
  /** Field name → the text typed; absent = default / computed. */
  given: Record<string, string>;
}

export type EditPacket = EditLayer[];

let nextUid = 1;
export const newUid = (): number => nextUid++;

/** Hex text ("45 00 …", "4500…", with any spaces, colons or new lines) → bytes, or null. */
export function parseHexText(text: string): Uint8Array | null {
  const h = text.replace(/^hex:/i, '').replace(/[\s:,]/g, '');
  if (!/^([0-9a-f]{2})*$/i.test(h)) return null;
  return Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));
}

// ---------- options: the CLI's syntax (MSS:1460,NOP,WScale:7) ----------

export function parseOptionsText(text: string): OptionValue[] | string {
  try {
    return parseOptions(text.trim());
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

// ---------- values ↔ text ----------

/** The name an enum value has here, if any. */
export function enumName(s: FieldSpec, v: number, f: Fields): string | undefined {
  return s.type.t === 'enum' ? s.type.names(f)[v] : undefined;
}

/** A codec value as the text an input shows (and the given text it would be). */
export function valueText(s: FieldSpec, v: FieldValue | undefined, f: Fields = {}): string {
  if (v === undefined) return '';
  switch (s.type.t) {
    case 'uint':
      // Checksums read better in hex, as the CLI line writes them.
      return s.name === 'chksum' && typeof v === 'number' ? `0x${v.toString(16).padStart(4, '0')}` : String(v);
    case 'enum':
      return typeof v === 'number' ? (enumName(s, v, f) ?? String(v)) : String(v);
    case 'flags': {
      if (typeof v !== 'number') return String(v);
      const names = s.type.names;
      return names.filter((_, i) => (v >> i) & 1).join(',');
    }
    case 'ipv4':
    case 'ipv6':
      return String(v);
    case 'ipv6list':
      return Array.isArray(v) ? (v as string[]).join(' ') : String(v);
    case 'bytes':
      if (v instanceof Uint8Array) return `hex:${toHex(v)}`;
      if (Array.isArray(v)) return `hex:${toHex(Uint8Array.from(v as number[]))}`;
      return String(v);
    case 'options':
      return Array.isArray(v) ? formatOptions(v as OptionValue[]) : String(v);
  }
}

/** The given text as the value the codec takes (options are parsed here; their errors become a string). */
export function textValue(s: FieldSpec, text: string): FieldValue | { error: string } {
  switch (s.type.t) {
    case 'ipv6list':
      return text.split(/[\s,]+/).filter((x) => x !== '');
    case 'options': {
      const r = parseOptionsText(text);
      return typeof r === 'string' ? { error: r } : r;
    }
    case 'uint':
    case 'enum':
    case 'flags':
    case 'ipv4':
    case 'ipv6':
      return text.trim();
    case 'bytes':
      return text;
  }
}

/** Layers for the codec from the edit model; an option text that cannot be read is an error on its field. */
export function toLayers(packet: readonly EditLayer[]): { layers: Layer[] } | { layer: number; field: string; message: string } {
  const layers: Layer[] = [];
  for (let i = 0; i < packet.length; i++) {
    const l = packet[i]!;
    const fields: Fields = {};
    for (const [name, text] of Object.entries(l.given)) {
      const s = specOf(l.kind, name);
      if (!s) continue;
      const v = textValue(s, text);
      if (typeof v === 'object' && v !== null && 'error' in v) return { layer: i, field: name, message: v.error };
      fields[name] = v as FieldValue;
    }
    layers.push({ kind: l.kind, fields });
  }
  return { layers };
}

export type Built = BuildResult | { ok: false; layer: number; field: string | null; message: string };

export function build(packet: readonly EditLayer[], ctx?: StackContext): Built {
  const l = toLayers(packet);
  if (!('layers' in l)) return { ok: false, ...l };
  return buildStack(l.layers, ctx);
}

/** An edit model from codec layers (a template): their fields become given text. */
export function fromLayers(layers: readonly Layer[]): EditPacket {
  return layers.map((l) => {
    const given: Record<string, string> = {};
    for (const [name, v] of Object.entries(l.fields)) {
      const s = specOf(l.kind, name, l.fields);
      if (s) given[name] = valueText(s, v, l.fields);
    }
    return { uid: newUid(), kind: l.kind, given };
  });
}

/**
 * Edited bytes → an edit model whose build gives those bytes back: every
 * plain field as parsed; an auto field (length, checksum, protocol) stays
 * computed when the computed value is the one in the bytes, and is set
 * (overridden) when it differs.
 */
export function fromBytes(bytes: Uint8Array, first: LayerKind, ctx?: StackContext): { packet: EditPacket; stoppedAt?: { offset: number; reason: string } } {
  const parsed = parseStack(bytes, first, ctx);
  const packet: EditPacket = parsed.layers.map((l) => {
    const given: Record<string, string> = {};
    for (const s of fieldsOf(l.kind, l.fields)) {
      if (s.auto || l.fields[s.name] === undefined) continue;
      if (isDefault(s, l.fields[s.name]!)) continue;
      given[s.name] = valueText(s, l.fields[s.name], l.fields);
    }
    return { uid: newUid(), kind: l.kind, given };
  });
  // Auto fields: set those whose computed value differs, until the build agrees (a set length changes a checksum).
  for (let pass = 0; pass < 4; pass++) {
    const b = build(packet, ctx);
    if (!b.ok) break;
    let changed = false;
    b.layers.forEach((bl, i) => {
      const pl = parsed.layers[i];
      if (!pl || pl.kind !== bl.kind) return;
      for (const s of fieldsOf(bl.kind, bl.fields)) {
        if (!s.auto || s.name in packet[i]!.given) continue;
        if (bl.fields[s.name] !== pl.fields[s.name] && pl.fields[s.name] !== undefined) {
          packet[i]!.given[s.name] = valueText(s, pl.fields[s.name], pl.fields);
          changed = true;
        }
      }
    });
    if (!changed) break;
  }
  return parsed.stoppedAt ? { packet, stoppedAt: parsed.stoppedAt } : { packet };
}

function isDefault(s: FieldSpec, v: FieldValue): boolean {
  const d = s.default;
  if (typeof v === 'number' || typeof v === 'string') return v === d;
  if (v instanceof Uint8Array) return d instanceof Uint8Array && d.length === v.length && d.every((x, i) => x === v[i]);
  if (Array.isArray(v)) return Array.isArray(d) && v.length === 0 && d.length === 0;
  return false;
}

/** Why this stack order is not legal (null when it is): the first pair that cannot follow. */
export function orderProblem(packet: readonly EditLayer[]): string | null {
  const l = toLayers(packet);
  const layers = 'layers' in l ? l.layers : packet.map((p) => ({ kind: p.kind, fields: {} }));
  for (let i = 1; i < layers.length; i++) {
    if (!canFollow(layers[i - 1]!, layers[i]!.kind)) return `${layers[i]!.kind} cannot follow ${layers[i - 1]!.kind}`;
  }
  return null;
}

/** Kinds that may come after the last layer (any kind for an empty stack). */
export function addable(packet: readonly EditLayer[], resolved: readonly Layer[] | null): LayerKind[] {
  const kinds = Object.keys(LAYER_SPECS) as LayerKind[];
  if (packet.length === 0) return kinds;
  const last = resolved?.[packet.length - 1];
  const lastLayer: Layer = last && last.kind === packet[packet.length - 1]!.kind ? last : { kind: packet[packet.length - 1]!.kind, fields: {} };
  return kinds.filter((k) => canFollow(lastLayer, k));
}

/** The byte range [start, end) a span covers. */
export function spanBytes(s: { offset: number; bitOffset: number; bitLength: number }): [number, number] {
  return [s.offset, s.offset + Math.ceil((s.bitOffset + s.bitLength) / 8)];
}

/**
 * Values to decide which fields exist (ICMP type → id/seq or gateway …):
 * the resolved ones when the packet built, else the given text with enum
 * names turned into numbers as far as they go.
 */
export function looseFields(layer: EditLayer, resolved: Layer | undefined): Fields {
  if (resolved && resolved.kind === layer.kind) return resolved.fields;
  const f: Fields = {};
  for (const s of LAYER_SPECS[layer.kind].fields) {
    const g = layer.given[s.name];
    if (g === undefined || s.name in f) continue;
    if (s.type.t === 'enum') {
      const hit = Object.entries(s.type.names(f)).find(([, n]) => n === g) ?? Object.entries(s.type.aliases ?? {}).find(([n]) => n === g)?.reverse();
      f[s.name] = hit ? Number(hit[0]) : /^\d+$/.test(g) ? Number(g) : g;
    } else if (s.type.t === 'uint') f[s.name] = /^\d+$/.test(g) ? Number(g) : g;
  }
  for (const s of LAYER_SPECS[layer.kind].fields) if (!(s.name in f)) f[s.name] = s.default;
  return f;
}
