// Parsed packets (shared/packet's parseStack) as people read them: a
// one-line summary of the layers ("IPv4 127.0.0.1 → 127.0.0.1 ttl 64 · ICMP
// echo-reply id 1 seq 1 · 8 B"), used by the crafter for what it sent and
// heard, and a received packet decoded layer by layer for the Raw view:
// each layer's summary, byte range and checksum state, and where parsing
// stopped (the rest stays hex).
import {
  LAYER_SPECS, fieldsOf, parseStack,
  type ChecksumStatus, type FieldSpec, type Fields, type Layer, type LayerKind, type ParseResult, type StackContext,
} from '../../../shared/packet/index.js';

export interface SummaryOptions {
  /** Leave out IP addresses (when the source is shown beside the summary). Default true. */
  addresses?: boolean;
}

/** The spec of a field by name as it exists for these values, else the first of that name (ICMP's "unused" has several widths). */
export function specOf(kind: LayerKind, name: string, f: Fields = {}): FieldSpec | undefined {
  return fieldsOf(kind, f).find((s) => s.name === name) ?? LAYER_SPECS[kind].fields.find((s) => s.name === name);
}

function enumName(kind: LayerKind, name: string, f: Fields): string | undefined {
  const s = specOf(kind, name, f);
  const v = f[name];
  return s?.type.t === 'enum' && typeof v === 'number' ? s.type.names(f)[v] : undefined;
}

function flagNames(kind: LayerKind, name: string, f: Fields): string {
  const s = specOf(kind, name, f);
  const v = f[name];
  if (s?.type.t !== 'flags' || typeof v !== 'number') return String(v);
  return s.type.names.filter((_, i) => (v >> i) & 1).join(',');
}

/** One layer's summary without its label: "127.0.0.1 → 127.0.0.1 ttl 64", "echo-reply id 1 seq 1", "8 B". */
export function layerText(l: Layer, opts: SummaryOptions = {}): string {
  const f = l.fields;
  switch (l.kind) {
    case 'ipv4':
    case 'ipv6':
      return `${opts.addresses === false ? '' : `${String(f.src)} → ${String(f.dst)} `}${l.kind === 'ipv4' ? `ttl ${String(f.ttl)}` : `hlim ${String(f.hlim)}`}`;
    case 'icmp':
    case 'icmpv6': {
      const type = enumName(l.kind, 'type', f) ?? String(f.type);
      const code = enumName(l.kind, 'code', f);
      const idSeq = f.id !== undefined && f.seq !== undefined ? ` id ${String(f.id)} seq ${String(f.seq)}` : '';
      // Neighbour discovery and redirects: the address it is about.
      const target = f.tgt !== undefined ? ` tgt ${String(f.tgt)}` : '';
      return `${type}${code && f.code !== 0 ? ` ${code}` : ''}${idSeq}${target}`;
    }
    case 'tcp':
      return `${String(f.sport)} → ${String(f.dport)} [${flagNames('tcp', 'flags', f)}] seq ${String(f.seq)}`;
    case 'udp':
      return `${String(f.sport)} → ${String(f.dport)} len ${String(f.len)}`;
    case 'payload':
      return `${(f.load as Uint8Array).length} B`;
    default:
      return '';
  }
}

/** A layer's summary with its label (a payload is just its size). */
function layerLine(l: Layer, opts: SummaryOptions): string {
  if (l.kind === 'payload') return layerText(l, opts);
  const text = layerText(l, opts);
  return text ? `${LAYER_SPECS[l.kind].label} ${text}` : LAYER_SPECS[l.kind].label;
}

/** A one-line summary of parsed layers: "IPv4 127.0.0.1 → 127.0.0.1 ttl 64 · ICMP echo-reply id 1 seq 1 · 8 B". */
export function summarize(layers: readonly Layer[], opts: SummaryOptions = {}): string {
  return layers.map((l) => layerLine(l, opts)).join(' · ');
}

// ---------- a received packet, decoded ----------

export interface DecodedLayer {
  kind: LayerKind;
  label: string;
  /** The layer's summary without its label. */
  text: string;
  /** The bytes it covers: [start, end). */
  start: number;
  end: number;
  /** Its checksum's state, or null for a layer without one. */
  checksum: ChecksumStatus | null;
}

export interface DecodedPacket {
  /** The layers read, innermost last; a payload that was read as such is one (bytes parsing gave up on are not). */
  layers: DecodedLayer[];
  /** The one-line summary, ending with why parsing stopped, if it did. */
  summary: string;
  /** Where the bytes without a header start (the payload, or what could not be parsed): shown as hex. */
  restOffset: number;
  /** Where and why parsing stopped early. */
  stoppedAt?: { offset: number; reason: string };
  /** A layer's checksum is wrong. */
  badChecksum: boolean;
}

/** The first layer of what a raw socket of this IP protocol number delivers without an IP header. */
const FIRST_BY_PROTOCOL: Readonly<Record<number, LayerKind>> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6' };

/**
 * Which layer a received packet starts with: its IP header when it has one
 * (IPv4 raw sockets; an IPv6 header by its version nibble), else the
 * transport the socket was opened for (ICMPv6 raw sockets), else payload.
 */
export function firstLayer(bytes: Uint8Array, ipHeader: boolean, protocol: number): LayerKind {
  if (ipHeader) return bytes.length > 0 && bytes[0]! >> 4 === 6 ? 'ipv6' : 'ipv4';
  return FIRST_BY_PROTOCOL[protocol] ?? 'payload';
}

/** Per layer the byte range its spans cover (layers follow each other, so a layer without spans starts where the last ended). */
function layerRanges(p: ParseResult): [number, number][] {
  const ranges = p.layers.map((): [number, number] => [Infinity, -Infinity]);
  for (const s of p.spans) {
    const r = ranges[s.layer];
    if (!r) continue;
    r[0] = Math.min(r[0], s.offset);
    r[1] = Math.max(r[1], s.offset + Math.ceil((s.bitOffset + s.bitLength) / 8));
  }
  let at = 0;
  for (const r of ranges) {
    if (r[0] === Infinity) r[0] = r[1] = at;
    at = r[1];
  }
  return ranges;
}

/** A received packet through parseStack: per layer its summary, bytes and checksum; the rest as hex with why. */
export function decodePacket(bytes: Uint8Array, first: LayerKind, ctx?: StackContext): DecodedPacket {
  const p = parseStack(bytes, first, ctx);
  const ranges = layerRanges(p);
  let layers: DecodedLayer[] = p.layers.map((l, i) => ({
    kind: l.kind,
    label: LAYER_SPECS[l.kind].label,
    text: layerText(l),
    start: ranges[i]![0],
    end: ranges[i]![1],
    checksum: p.checksums[i] ?? null,
  }));
  // What parseStack turned into a payload because it could not read it is the rest, not a layer.
  const last = layers[layers.length - 1];
  const stopped = p.stoppedAt;
  let restOffset = bytes.length;
  if (stopped) {
    if (last?.kind === 'payload' && last.start === stopped.offset) layers = layers.slice(0, -1);
    restOffset = stopped.offset;
  } else if (last?.kind === 'payload') restOffset = last.start;
  const parsed = stopped && layers.length < p.layers.length ? p.layers.slice(0, -1) : p.layers;
  const summary = [summarize(parsed), stopped?.reason ?? ''].filter((s) => s !== '').join(' · ');
  return {
    layers,
    summary,
    restOffset,
    ...(stopped ? { stoppedAt: stopped } : {}),
    badChecksum: layers.some((l) => l.checksum === 'bad'),
  };
}
