// What `sockbench craft` prints: a packet decoded a line a layer (every
// field in the layer syntax, checksums marked good / bad / forced), a hex
// dump, JSON-safe layers; and the synthetic IP header a stack without one
// gets for export. Pure: tested without a terminal.
import {
  LAYER_SPECS, formatFieldValue, isLayerKind, parseStack, type ChecksumStatus, type FieldValue, type Fields, type Layer, type LayerKind, type ParseResult,
  type StackContext,
} from '../../shared/packet/index.js';
import { hexdumpLine, hexdumpLineCount, toHex } from '../../shared/codec/index.js';
import { ipFamily } from '../../shared/net/address.js';

/** Kinds that only exist inside IPv6. */
const V6_ONLY: readonly LayerKind[] = ['icmpv6', 'hopopts', 'routing', 'fragment', 'destopts'];

export interface Wrapped {
  /** The stack as exported: the given one, or inside a synthetic IP header. */
  layers: Layer[];
  family: 4 | 6;
  /** True when the IP header was added. */
  synthetic: boolean;
  /** Pseudo-header addresses for the given stack when it has no IP layer. */
  ctx?: StackContext;
}

/**
 * A stack ready for pcapng: one starting with ipv4 / ipv6 as is; any other
 * inside a synthetic IPv4 header from 127.0.0.1 (IPv6 from ::1 for ICMPv6 and
 * extension headers, or when `address` is IPv6) to `address` or the same
 * loopback address. Returns a message when they do not fit together.
 */
export function wrapInIp(layers: readonly Layer[], address?: string): Wrapped | string {
  const first = layers[0]?.kind;
  if (first === 'ipv4' || first === 'ipv6') return { layers: [...layers], family: first === 'ipv4' ? 4 : 6, synthetic: false };
  const needs6 = first !== undefined && V6_ONLY.includes(first);
  const given = address === undefined ? null : ipFamily(address);
  if (given === 4 && needs6) return `${first} goes inside IPv6, but --address ${address} is IPv4`;
  const family: 4 | 6 = given ?? (needs6 ? 6 : 4);
  const src = family === 4 ? '127.0.0.1' : '::1';
  const dst = address ?? src;
  return { layers: [{ kind: family === 4 ? 'ipv4' : 'ipv6', fields: { src, dst } }, ...layers], family, synthetic: true, ctx: { src, dst } };
}

const LABEL_WIDTH = 8;

function checksumNote(status: ChecksumStatus | null, forced: boolean): string {
  if (status === null) return '';
  if (forced) return status === 'good' ? ' (forced, good)' : status === 'bad' ? ' (forced, bad)' : ' (forced)';
  return ` (${status === 'unknown' ? 'not checked' : status})`;
}

/** A field is shown unless it is an empty list (no options) in a layer where that is the norm. */
const shown = (v: FieldValue): boolean => !(Array.isArray(v) && v.length === 0);

/**
 * One line a layer of a parsed packet: `ipv4     version=4 … chksum=0x7ccb (good) src=… dst=…`.
 * `forced[i]` says layer i's checksum was set by hand.
 */
export function decodeLines(p: ParseResult, forced: readonly boolean[] = []): string[] {
  const lines = p.layers.map((l, i) => {
    const codec = LAYER_SPECS[l.kind];
    const f: Fields = {};
    const parts: string[] = [];
    const done = new Set<string>();
    for (const s of codec.fields) {
      if (done.has(s.name) || (s.when && !s.when(f)) || l.fields[s.name] === undefined) continue;
      done.add(s.name);
      const v = l.fields[s.name]!;
      f[s.name] = v;
      if (!shown(v)) continue;
      let text = `${s.name}=${formatFieldValue(s, v, f)}`;
      if (s.name === codec.checksum?.field) text += checksumNote(p.checksums[i] ?? null, forced[i] ?? false);
      if (s.type.t === 'bytes' && v instanceof Uint8Array) text += ` (${v.length} byte${v.length === 1 ? '' : 's'})`;
      parts.push(text);
    }
    return `${l.kind.padEnd(LABEL_WIDTH)}${parts.join(' ')}`;
  });
  if (p.stoppedAt) lines.push(`(stopped at byte ${p.stoppedAt.offset}: ${p.stoppedAt.reason})`);
  return lines;
}

/** Parses bytes built from `given` and decodes them; a layer's checksum counts as forced when `given` set it. */
export function decodePacket(bytes: Uint8Array, first: LayerKind, given: readonly Layer[] = [], ctx?: StackContext): { parsed: ParseResult; lines: string[] } {
  const parsed = parseStack(bytes, first, ctx);
  const forced = parsed.layers.map((l, i) => {
    const g = given[i];
    const field = LAYER_SPECS[l.kind].checksum?.field;
    return g !== undefined && g.kind === l.kind && field !== undefined && g.fields[field] !== undefined;
  });
  return { parsed, lines: decodeLines(parsed, forced) };
}

/** `0000  45 00 00 20 00 01 00 00  40 01 7c cb 7f 00 00 01  E.. ....@.|.....` */
export function hexDump(b: Uint8Array): string[] {
  return Array.from({ length: hexdumpLineCount(b.length) }, (_, l) => {
    const { hex, ascii } = hexdumpLine(b, l);
    return `${(l * 16).toString(16).padStart(4, '0')}  ${hex}  ${ascii}`;
  });
}

/** A field value for JSON: bytes as hex text, the rest as is (option data as hex too). */
function jsonValue(v: FieldValue): unknown {
  if (v instanceof Uint8Array) return hexOf(v);
  if (Array.isArray(v)) {
    return v.map((x: unknown) => (x && typeof x === 'object' && 'data' in x && (x as { data?: unknown }).data instanceof Uint8Array
      ? { ...(x as object), data: hexOf((x as { data: Uint8Array }).data) }
      : x));
  }
  return v;
}

export function jsonLayers(p: ParseResult): { kind: string; fields: Record<string, unknown>; checksum?: ChecksumStatus }[] {
  return p.layers.map((l, i) => ({
    kind: l.kind,
    fields: Object.fromEntries(Object.entries(l.fields).map(([k, v]) => [k, jsonValue(v)])),
    ...(p.checksums[i] ? { checksum: p.checksums[i]! } : {}),
  }));
}

/** The bytes as one line of hex: `4500…`. */
export const hexOf = (b: Uint8Array): string => toHex(b, '');

/** A layer kind the reply says it starts with, checked (the event's own schema allows only these). */
export const firstKind = (k: string): LayerKind => (isLayerKind(k) ? k : 'payload');
