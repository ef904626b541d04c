// The table of layer kinds (LAYER_SPECS) and which may follow which, for
// the codecs themselves, the crafter's editors and the CLI's layer syntax.
import { ICMP } from './icmp.js';
import { ICMPV6 } from './icmpv6.js';
import { IPV4 } from './ipv4.js';
import { DESTOPTS, FRAGMENT, HOPOPTS, IPV6, ROUTING } from './ipv6.js';
import { activeFields, type FieldSpec, type Fields, type Layer, type LayerCodec, type LayerKind } from './spec.js';
import { fixedBits, isNumeric, normalize } from './values.js';
import { PAYLOAD, TCP, UDP } from './transport.js';

export const LAYER_SPECS: Readonly<Record<LayerKind, LayerCodec>> = {
  ipv4: IPV4, ipv6: IPV6, hopopts: HOPOPTS, routing: ROUTING, fragment: FRAGMENT, destopts: DESTOPTS,
  icmp: ICMP, icmpv6: ICMPV6, tcp: TCP, udp: UDP, payload: PAYLOAD,
};

export const LAYER_KINDS = Object.keys(LAYER_SPECS) as LayerKind[];

export const isLayerKind = (k: unknown): k is LayerKind => typeof k === 'string' && Object.hasOwn(LAYER_SPECS, k);

/**
 * True when `next` may follow `prev` (null: `next` starts the stack, which any
 * layer may). Given a whole layer, its fields count: only an ICMP error may be
 * followed by the datagram it quotes.
 */
export function canFollow(prev: Layer | LayerKind | null, next: LayerKind): boolean {
  if (prev === null) return isLayerKind(next);
  const kind = typeof prev === 'string' ? prev : prev.kind;
  if (!isLayerKind(kind)) return false;
  return LAYER_SPECS[kind].follows(typeof prev === 'string' ? null : numeric(kind, prev.fields)).includes(next);
}

/** Enum and flag fields as numbers ("dest-unreach" → 3), so rules can test them; bad values are left for the builder to report. */
function numeric(kind: LayerKind, f: Fields): Fields {
  const out: Fields = { ...f };
  for (const s of LAYER_SPECS[kind].fields) {
    if (!isNumeric(s) || out[s.name] === undefined) continue;
    try {
      out[s.name] = normalize(s, out[s.name]!, out);
    } catch {
      // reported by buildStack
    }
  }
  return out;
}

/** The fields a layer has for these values (an ICMP echo has id and seq, a redirect gw). */
export function fieldsOf(kind: LayerKind, values: Fields = {}): FieldSpec[] {
  return activeFields(LAYER_SPECS[kind].fields, values);
}

/** The allowed range of a numeric field, e.g. for "ttl must be 0..255". */
export function fieldRange(s: FieldSpec): { min: number; max: number } | null {
  return isNumeric(s) ? { min: 0, max: 2 ** fixedBits(s) - 1 } : null;
}
