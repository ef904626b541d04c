// Building a layer stack: each layer's fields resolved (what the user set,
// checked and made canonical; defaults for the rest), then lengths and next
// protocols from the layers after it, then the bytes, then checksums from
// the last layer up (an ICMP error's checksum covers the datagram it quotes).
// A checksum or length the user set is written as is.
import { put16 } from '../result.js';
import { LAYER_KINDS, LAYER_SPECS, canFollow, isLayerKind } from './layers.js';
import { FieldError, type FieldSpec, type Fields, type Layer, type Span } from './spec.js';
import { fixedBits, isNumeric, normalize } from './values.js';
import { checksumSum, measure, pseudoAddresses, pseudoHeader, writeLayer, type Addresses } from './wire.js';

/** Addresses for the pseudo-header when the stack has no IP layer (a raw ICMPv6/TCP/UDP socket sends it). */
export type StackContext = Partial<Addresses>;

export type StackError = { ok: false; layer: number; field: string | null; message: string };
export type BuildResult = { ok: true; bytes: Uint8Array; spans: Span[]; layers: Layer[] } | StackError;
export type ResolveResult = { ok: true; layers: Layer[] } | StackError;

export const MAX_PACKET = 65535;

const fail = (layer: number, field: string | null, message: string): StackError => ({ ok: false, layer, field, message });

/** Defaults and canonical values, in wire order (a field's `when` sees the fields before it). */
function resolveFields(kind: Layer['kind'], raw: Fields): { f: Fields; given: Fields; active: FieldSpec[] } {
  const specs = LAYER_SPECS[kind].fields;
  const f: Fields = {};
  const given: Fields = {};
  const active: FieldSpec[] = [];
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.name) || (s.when && !s.when(f))) continue;
    seen.add(s.name);
    active.push(s);
    const v = raw[s.name];
    f[s.name] = normalize(s, v === undefined ? s.default : v, f);
    if (v !== undefined) given[s.name] = f[s.name]!;
  }
  for (const [name, v] of Object.entries(raw)) {
    if (v === undefined || seen.has(name)) continue;
    const exists = specs.some((s) => s.name === name);
    const names = active.map((s) => s.name).join(', ');
    const why = exists ? `${name} is not a field of ${kind} type ${String(f.type)}` : `unknown field ${name} of ${kind}`;
    throw new FieldError(name, `${why} (fields: ${names})`);
  }
  return { f, given, active };
}

function compile(input: readonly Layer[], ctx?: StackContext): BuildResult {
  if (!Array.isArray(input)) return fail(-1, null, 'a stack is a list of layers');
  const layers: Layer[] = [];
  const given: Fields[] = [];
  const active: FieldSpec[][] = [];
  let i = 0;
  try {
    for (; i < input.length; i++) {
      const { kind, fields } = input[i] ?? ({} as Layer);
      if (fields !== undefined && (typeof fields !== 'object' || fields === null)) return fail(i, null, 'a layer\'s fields are an object');
      if (!isLayerKind(kind)) return fail(i, null, `unknown layer kind ${JSON.stringify(kind)} (known: ${LAYER_KINDS.join(', ')})`);
      const r = resolveFields(kind, fields ?? {});
      const prev = layers[i - 1] ?? null;
      if (!canFollow(prev, kind)) {
        const allowed = LAYER_SPECS[prev!.kind].follows(prev!.fields).join(', ') || 'nothing';
        const what = prev!.kind.startsWith('icmp') ? `${prev!.kind} type ${String(prev!.fields.type)}` : prev!.kind;
        return fail(i, null, `${kind} cannot follow ${what} (allowed: ${allowed})`);
      }
      layers.push({ kind, fields: r.f });
      given.push(r.given);
      active.push(r.active);
    }
    const measured = layers.map((l, j) => measure(active[j]!, l.fields));
    const total = measured.reduce((n, m) => n + m.size, 0);
    if (total > MAX_PACKET) return fail(0, null, `the packet would be ${total} bytes; an IP packet holds at most ${MAX_PACKET}`);
    let rest = total;
    for (i = 0; i < layers.length; i++) {
      const header = measured[i]!.size;
      rest -= header;
      LAYER_SPECS[layers[i]!.kind].auto?.(layers[i]!.fields, given[i]!, { header, rest, next: layers[i + 1] });
      checkComputed(active[i]!, layers[i]!.fields);
    }
    const bytes = new Uint8Array(total);
    const spans: Span[] = [];
    const starts: number[] = [];
    let at = 0;
    for (i = 0; i < layers.length; i++) {
      starts.push(at);
      spans.push(...writeLayer(active[i]!, layers[i]!.fields, measured[i]!.vars, bytes, at, i));
      at += measured[i]!.size;
    }
    for (i = layers.length - 1; i >= 0; i--) {
      const l = layers[i]!;
      const c = LAYER_SPECS[l.kind].checksum;
      if (!c || c.field in given[i]!) continue;
      let pseudo: Uint8Array | null = null;
      if (c.pseudo) {
        const p = pseudoAddresses(layers, i, ctx);
        const how = `put an IP layer before it, give the context { src, dst }, or set ${c.field}`;
        if (!p) throw new FieldError(c.field, `${l.kind} needs IP addresses for its checksum: ${how}`);
        const h = pseudoHeader(p.a, l, total - starts[i]!);
        if (typeof h === 'string') throw new FieldError(c.field, h);
        pseudo = h;
      }
      const sum = ~checksumSum(LAYER_SPECS[l.kind], bytes, starts[i]!, starts[i]! + measured[i]!.size, pseudo) & 0xffff;
      l.fields[c.field] = sum === 0 && c.zeroIsNone ? 0xffff : sum;
      put16(bytes, spans.find((s) => s.layer === i && s.field === c.field)!.offset, l.fields[c.field] as number);
    }
    return { ok: true, bytes, spans, layers };
  } catch (e) {
    if (e instanceof FieldError) return fail(i, e.field, e.message);
    return fail(i, null, e instanceof Error ? e.message : String(e));
  }
}

/** Computed lengths must fit their fields too (e.g. a routing header with too many addresses). */
function checkComputed(specs: readonly FieldSpec[], f: Fields): void {
  for (const s of specs) {
    if (!s.auto || !isNumeric(s)) continue;
    const max = 2 ** fixedBits(s) - 1;
    if ((f[s.name] as number) > max) throw new FieldError(s.name, `${s.name} would be ${String(f[s.name])}, more than its ${fixedBits(s)} bits hold (${max})`);
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

