// Parsing bytes into a layer stack with every field filled in, the same
// form resolveStack gives, so parse(build(p)) compares with resolve(p).
// Length fields are reported, not obeyed: every byte present is parsed, so
// a packet built with a wrong length reads back as built. Never throws:
// where a layer cannot be read, the rest becomes a payload layer and
// stoppedAt says where and why.
import { LAYER_SPECS } from './layers.js';
import type { StackContext } from './build.js';
import type { ChecksumStatus, Layer, LayerCodec, LayerKind, Span } from './spec.js';
import { fold, wordSum } from './checksum.js';
import { pseudoAddresses, pseudoHeader, pseudoHeaderSum, readLayer } from './wire.js';

export interface ParseResult {
  layers: Layer[];
  spans: Span[];
  /** Per layer: the checksum's state, or null for a layer without one. */
  checksums: (ChecksumStatus | null)[];
  stoppedAt?: { offset: number; reason: string };
}

/** More layers than this is not a packet anyone built (nested quotes, extension header chains). */
const MAX_LAYERS = 64;

/** Where a parse is: what it has read so far and the byte it is at. */
interface Reading {
  bytes: Uint8Array;
  out: ParseResult;
  starts: number[];
  at: number;
}

export function parseStack(bytes: Uint8Array, first: LayerKind, ctx?: StackContext): ParseResult {
  const r: Reading = { bytes, out: { layers: [], spans: [], checksums: [] }, starts: [], at: 0 };
  const out = r.out;
  let kind: LayerKind | null = first;
  try {
    if (!(bytes instanceof Uint8Array)) return { ...out, stoppedAt: { offset: 0, reason: 'not a byte array' } };
    if (!Object.hasOwn(LAYER_SPECS, first)) {
      stop(r, `unknown layer kind ${JSON.stringify(first)}`);
      return out;
    }
    while (kind !== null && (r.at < bytes.length || out.layers.length === 0)) {
      if (out.layers.length >= MAX_LAYERS) {
        stop(r, `more than ${MAX_LAYERS} layers`);
        break;
      }
      const codec: LayerCodec = LAYER_SPECS[kind];
      const l = readLayer(codec, bytes, r.at, out.layers.length);
      if (!l.ok) {
        stop(r, l.reason);
        break;
      }
      const start = r.at;
      push(r, kind, l.fields, l.spans, l.end);
      out.checksums[out.layers.length - 1] = checksumStatus(out.layers, r.starts, out.layers.length - 1, bytes, l.end - start, ctx);
      if (kind === 'payload') break;
      kind = codec.next?.(l.fields, bytes.subarray(r.at)) ?? 'payload';
    }
  } catch (e) {
    // A bug, not bad input: still answer, with what was read so far.
    stop(r, `internal error: ${e instanceof Error ? e.message : String(e)}`);
  }
  return out;
}

function push(r: Reading, k: LayerKind, fields: Layer['fields'], spans: Span[], end: number): void {
  r.starts.push(r.at);
  r.out.layers.push({ kind: k, fields });
  for (const s of spans) r.out.spans.push(s);
  r.out.checksums.push(null);
  r.at = end;
}

/** Ends the parse at r.at: the rest, if any, becomes a payload layer. */
function stop(r: Reading, reason: string): void {
  const { at, bytes } = r;
  r.out.stoppedAt = { offset: at, reason };
  const span = { layer: r.out.layers.length, field: 'load', offset: at, bitOffset: 0, bitLength: (bytes.length - at) * 8 };
  if (at < bytes.length) push(r, 'payload', { load: bytes.slice(at) }, [span], bytes.length);
}

function checksumStatus(layers: Layer[], starts: number[], i: number, b: Uint8Array, header: number, ctx?: StackContext): ChecksumStatus | null {
  const l = layers[i]!;
  const codec = LAYER_SPECS[l.kind];
  const c = codec.checksum;
  if (!c) return null;
  let pseudo = 0;
  if (c.scope === 'all') {
    // The message must be whole: not a fragment, not cut short (a quoted datagram usually is).
    if (wrapped(layers, starts, i, b.length)) return 'unknown';
    if (l.kind === 'udp' && (l.fields.len as number) > b.length - starts[i]!) return 'unknown';
  }
  if (c.pseudo) {
    const p = pseudoAddresses(layers, i, ctx);
    if (!p) return 'unknown';
    const h = pseudoHeaderSum(p.a, l, b.length - starts[i]!);
    if (typeof h === 'string') return 'unknown';
    // A zero UDP checksum over IPv4 means "none" (rare: ask for the header itself to tell the family).
    if (c.zeroIsNone && l.fields[c.field] === 0 && (pseudoHeader(p.a, l, b.length - starts[i]!) as Uint8Array).length === 12) return 'unknown';
    pseudo = h;
  }
  const end = c.scope === 'header' ? starts[i]! + header : b.length;
  return fold(pseudo + wordSum(b, starts[i]!, end)) === 0xffff ? 'good' : 'bad';
}

/** True when an IP layer or extension header before layer i says its payload is partial or longer than what is present. */
function wrapped(layers: Layer[], starts: number[], i: number, present: number): boolean {
  for (let j = i - 1; j >= 0; j--) {
    const l = layers[j]!;
    if (LAYER_SPECS[l.kind].partial?.(l.fields)) return true;
    if (l.kind === 'ipv4') return starts[j]! + (l.fields.len as number) > present;
    if (l.kind === 'ipv6') return starts[j]! + 40 + (l.fields.plen as number) > present;
  }
  return false;
}
