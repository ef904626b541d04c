// The codecs' vocabulary: layers as { kind, fields }, field metadata for
// the crafter's UI and CLI, and the table each layer codec is made of. A field list is
// the wire layout itself: fields in order, each with its width (or a size
// that depends on fields before it), so one generic walker builds, parses
// and records spans for every layer.

export type LayerKind =
  | 'ipv4' | 'ipv6' | 'hopopts' | 'routing' | 'fragment' | 'destopts'
  | 'icmp' | 'icmpv6' | 'tcp' | 'udp' | 'payload';

/** One option of an IPv4, TCP, IPv6 TLV or ND option list. */
export interface OptionValue {
  /** A name ('MSS', 'NOP', 'PadN', 'src-lladdr', 'raw' …) or the option's number. */
  kind: string | number;
  data?: Uint8Array;
  value?: number;
  blocks?: [number, number][];
  tsval?: number;
  tsecr?: number;
  lladdr?: string;
}

export type FieldValue = number | string | Uint8Array | readonly string[] | readonly OptionValue[] | readonly number[];
export type Fields = Record<string, FieldValue>;

export interface Layer {
  kind: LayerKind;
  fields: Fields;
}

export type OptionListKind = 'ipv4' | 'tcp' | 'ipv6' | 'nd';

export type FieldType =
  | { t: 'uint'; bits: number }
  /** Names by number; ICMP codes depend on the type, hence the function. */
  | { t: 'enum'; bits: number; names: (f: Fields) => Readonly<Record<number, string>>; aliases?: Readonly<Record<string, number>> }
  /** Flag names from the least significant bit up, as Scapy lists them. */
  | { t: 'flags'; bits: number; names: readonly string[] }
  | { t: 'ipv4' }
  | { t: 'ipv6' }
  | { t: 'ipv6list' }
  | { t: 'bytes' }
  | { t: 'options'; list: OptionListKind };

export interface FieldSpec {
  name: string;
  label: string;
  help: string;
  type: FieldType;
  default: FieldValue;
  /** Computed from the rest of the stack (lengths, checksums, next protocol) unless the user sets it. */
  auto?: boolean;
  /** The field exists only for some values of fields before it (ICMP type, routing type). */
  when?: (f: Fields) => boolean;
  /**
   * Bytes on the wire for variable fields when parsing, from the fields read
   * so far and the bytes left in the layer's buffer. Built variable fields
   * take the length of their value.
   */
  size?: (f: Fields, left: number) => number;
}

export type ChecksumStatus = 'good' | 'bad' | 'unknown';

export interface LayerCodec {
  kind: LayerKind;
  label: string;
  help: string;
  fields: readonly FieldSpec[];
  /** Kinds that may follow a layer with these (resolved) fields. */
  follows: (f: Fields | null) => readonly LayerKind[];
  /** The next layer when parsing, or null for "the rest is payload". */
  next?: (f: Fields, rest: Uint8Array) => LayerKind | null;
  /**
   * Fills auto fields other than the checksum that the user left unset.
   * `header` is this layer's size, `rest` the bytes after it, `next` the next layer.
   */
  auto?: (f: Fields, given: Fields, a: { header: number; rest: number; next: Layer | undefined }) => void;
  /** Where the checksum lives and what it covers. */
  checksum?: { field: string; scope: 'header' | 'all'; pseudo: boolean; zeroIsNone?: boolean };
  /** True when the bytes after this layer are not its whole payload (a fragment), so transport checksums cannot be checked. */
  partial?: (f: Fields) => boolean;
}

/** A field's place in the built bytes, for highlighting: bit offsets count from the MSB of byte `offset`. */
export interface Span {
  layer: number;
  field: string;
  offset: number;
  bitOffset: number;
  bitLength: number;
}

/** A validation error, caught by buildStack and returned with the layer index. */
export class FieldError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

// Field spec shorthands: keep the layer tables one line a field.
type Extra = Partial<Pick<FieldSpec, 'auto' | 'when' | 'size'>>;
export const uint = (name: string, bits: number, label: string, help: string, def = 0, x: Extra = {}): FieldSpec =>
  ({ name, label, help, type: { t: 'uint', bits }, default: def, ...x });
export const field = (name: string, type: FieldType, label: string, help: string, def: FieldValue, x: Extra = {}): FieldSpec =>
  ({ name, label, help, type, default: def, ...x });
export const oneOf = (...types: number[]) => (f: Fields): boolean => types.includes(f.type as number);
/** A field that exists only for these ICMP / routing types. */
export const typed = (...types: number[]): Extra => ({ when: oneOf(...types) });

/** type, code and chksum: the head of ICMP and ICMPv6, whose code names depend on the type. */
export function icmpHead(
  types: Readonly<Record<number, string>>,
  aliases: Readonly<Record<string, number>>,
  codes: Readonly<Record<number, Readonly<Record<number, string>>>>,
  defaultType: number,
  checksumHelp: string,
): FieldSpec[] {
  return [
    field('type', { t: 'enum', bits: 8, names: () => types, aliases }, 'Type', 'Message type, by name or number.', defaultType),
    field('code', { t: 'enum', bits: 8, names: (f) => codes[f.type as number] ?? {} }, 'Code', 'Reason within the type, by name or number.', 0),
    uint('chksum', 16, 'Checksum', checksumHelp, 0, { auto: true }),
  ];
}

/** Source and destination port (TCP, UDP), with Scapy's defaults for each. */
export const ports = (sport: number, dport: number): FieldSpec[] => [
  uint('sport', 16, 'Source port', 'Port of the sender.', sport),
  uint('dport', 16, 'Destination port', 'Port of the receiver.', dport),
];

/** The fields that exist for these values (each name once: the first whose `when` holds). */
export function activeFields(specs: readonly FieldSpec[], f: Fields): FieldSpec[] {
  const seen = new Set<string>();
  const out: FieldSpec[] = [];
  for (const s of specs) {
    if (seen.has(s.name) || (s.when && !s.when(f))) continue;
    seen.add(s.name);
    out.push(s);
  }
  return out;
}
