// Parsing bytes into a layer stack with every field filled in, the same
// form resolveStack gives, so parse(build(p)) compares with resolve(p).
// Length fields are reported, not obeyed: every byte present is parsed, so
// a packet built with a wrong length reads back as built. Never throws:
// where a layer cannot be read, the rest becomes a payload layer and
// stoppedAt says where and why.
import { LAYER_SPECS } from './layers.js';
import type { StackContext } from './build.js';
import type { ChecksumStatus, Layer, LayerCodec, LayerKind, Span } from './spec.js';
import { checksumSum, pseudoAddresses, pseudoHeader, readLayer } from './wire.js';

export interface ParseResult {
  layers: Layer[];
  spans: Span[];
  /** Per layer: the checksum's state, or null for a layer without one. */
  checksums: (ChecksumStatus | null)[];
  stoppedAt?: { offset: number; reason: string };
}

/** More layers than this is not a packet anyone built (nested quotes, extension header chains). */
const MAX_LAYERS = 64;

export function parseStack(bytes: Uint8Array, first: LayerKind, ctx?: StackContext): ParseResult {
  const out: ParseResult = { layers: [], spans: [], checksums: [] };
  const starts: number[] = [];
  let at = 0;
  let kind: LayerKind | null = first;
  const stop = (reason: string): void => {
    out.stoppedAt = { offset: at, reason };
    const span = { layer: out.layers.length, field: 'load', offset: at, bitOffset: 0, bitLength: (bytes.length - at) * 8 };
    if (at < bytes.length) push('payload', { load: bytes.slice(at) }, [span], bytes.length);
  };
  const push = (k: LayerKind, fields: Layer['fields'], spans: Span[], end: number): void => {
    starts.push(at);
    out.layers.push({ kind: k, fields });
    out.spans.push(...spans);
    out.checksums.push(null);
    at = end;
  };
  try {
    if (!(bytes instanceof Uint8Array)) return { ...out, stoppedAt: { offset: 0, reason: 'not a byte array' } };
    if (!Object.hasOwn(LAYER_SPECS, first)) {
      stop(`unknown layer kind ${JSON.stringify(first)}`);
      return out;
    }
    while (kind !== null && (at < bytes.length || out.layers.length === 0)) {
      if (out.layers.length >= MAX_LAYERS) {
        stop(`more than ${MAX_LAYERS} layers`);
        break;
      }
      const codec: LayerCodec = LAYER_SPECS[kind];
      const r = readLayer(codec, bytes, at, out.layers.length);
      if (!r.ok) {
        stop(r.reason);
        break;
      }
      const start = at;
      push(kind, r.fields, r.spans, r.end);
      out.checksums[out.layers.length - 1] = checksumStatus(out.layers, starts, out.layers.length - 1, bytes, r.end - start, ctx);
      if (kind === 'payload') break;
      kind = codec.next?.(r.fields, bytes.subarray(at)) ?? 'payload';
    }
  } catch (e) {
    // A bug, not bad input: still answer, with what was read so far.
    stop(`internal error: ${e instanceof Error ? e.message : String(e)}`);
  }
  return out;
}

function checksumStatus(layers: Layer[], starts: number[], i: number, b: Uint8Array, header: number, ctx?: StackContext): ChecksumStatus | null {
  const l = layers[i]!;
  const codec = LAYER_SPECS[l.kind];
  const c = codec.checksum;
  if (!c) return null;
  let pseudo: Uint8Array | null = null;
  if (c.scope === 'all') {
    // The message must be whole: not a fragment, not cut short (a quoted datagram usually is).
    if (wrapped(layers, starts, i, b.length)) return 'unknown';
    if (l.kind === 'udp' && (l.fields.len as number) > b.length - starts[i]!) return 'unknown';
  }
  if (c.pseudo) {
    const p = pseudoAddresses(layers, i, ctx);
    if (!p) return 'unknown';
    const h = pseudoHeader(p.a, l, b.length - starts[i]!);
    if (typeof h === 'string') return 'unknown';
    if (c.zeroIsNone && l.fields[c.field] === 0 && h.length === 12) return 'unknown';
    pseudo = h;
  }
  return checksumSum(codec, b, starts[i]!, starts[i]! + header, pseudo) === 0xffff ? 'good' : 'bad';
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
