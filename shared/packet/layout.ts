// Each codec's field table, digested once at load into the facts the hot
// walkers (resolve, write, read) would otherwise work out per field per
// packet: the field's wire class and width, its largest value, and whether
// the table needs `when` / duplicate-name checks at all. Most tables (IPv4,
// TCP, UDP, payload) have every field always present, so their walkers skip
// the active-field bookkeeping entirely.
import { LAYER_SPECS } from './layers.js';
import type { FieldSpec, Fields, LayerCodec, LayerKind } from './spec.js';
import { fixedBits, isNumeric } from './values.js';

/** How a field goes on the wire: a number of `bits`, a dotted quad (32 bits), or variable bytes (IPv6 addresses, bytes, options). */
export const NUM = 0;
export const IPV4 = 1;
export const VAR = 2;

export interface Slot {
  spec: FieldSpec;
  name: string;
  wire: typeof NUM | typeof IPV4 | typeof VAR;
  /** Bits on the wire for NUM and IPV4; 0 for VAR. */
  bits: number;
  /** The largest value of a NUM field. */
  max: number;
  /** Index of the field's name among the table's distinct names. */
  nameId: number;
  /** An earlier field has the same name, so this one exists only when that one does not. */
  dup: boolean;
}

export interface Layout {
  codec: LayerCodec;
  slots: readonly Slot[];
  /** Some field has a `when` or shares its name: which fields exist depends on the values. */
  dynamic: boolean;
  /** Distinct field names → nameId. */
  names: ReadonlyMap<string, number>;
}

function digest(codec: LayerCodec): Layout {
  const names = new Map<string, number>();
  const slots: Slot[] = codec.fields.map((spec) => {
    const dup = names.has(spec.name);
    if (!dup) names.set(spec.name, names.size);
    const wire = isNumeric(spec) ? NUM : spec.type.t === 'ipv4' ? IPV4 : VAR;
    const bits = wire === VAR ? 0 : fixedBits(spec);
    return { spec, name: spec.name, wire, bits, max: 2 ** bits - 1, nameId: names.get(spec.name)!, dup };
  });
  const dynamic = slots.some((s) => s.dup || s.spec.when !== undefined);
  return { codec, slots, dynamic, names };
}

export const LAYOUTS: Readonly<Record<LayerKind, Layout>> = Object.fromEntries(
  Object.entries(LAYER_SPECS).map(([kind, codec]) => [kind, digest(codec)]),
) as Record<LayerKind, Layout>;

/** The layout of a codec: the precomputed one for the codecs of LAYER_SPECS. */
export function layoutOf(codec: LayerCodec): Layout {
  const l = LAYOUTS[codec.kind] as Layout | undefined;
  return l?.codec === codec ? l : digest(codec);
}

/**
 * For dynamic layouts: true when slot s exists given the fields so far, in
 * which case its name is marked taken in `taken` (the first field of a name
 * whose `when` holds wins, as activeFields has it).
 */
export function takeSlot(s: Slot, f: Fields, taken: boolean[]): boolean {
  if (taken[s.nameId] || (s.spec.when && !s.spec.when(f))) return false;
  taken[s.nameId] = true;
  return true;
}

/** A fresh "no name taken yet" list for a dynamic layout. */
export const noneTaken = (l: Layout): boolean[] => new Array<boolean>(l.names.size).fill(false);
