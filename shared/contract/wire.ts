// Binary framing for the WebSocket transport. A frame is
//   [u32 big-endian JSON length][JSON text][blob bytes…]
// and every Uint8Array inside the message travels as raw bytes in the blob
// part, replaced in the JSON by {"$b":[offset,length]}. So received data is
// never turned into JSON arrays of numbers.
import type { AnyEvent, Reply } from './index.js';

export type ClientFrame = { id: number; method: string; params: unknown };
export type ServerFrame = { id: number; reply: Reply } | { events: AnyEvent[] };

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export class FrameError extends Error {
  override name = 'FrameError';
}

export function encodeFrame(message: unknown): Uint8Array {
  const blobs: Uint8Array[] = [];
  let blobBytes = 0;
  const toRef = (bytes: Uint8Array) => {
    const ref = { $b: [blobBytes, bytes.byteLength] };
    blobs.push(bytes);
    blobBytes += bytes.byteLength;
    return ref;
  };
  // Plain JSON.stringify after swapping the bytes out (a replacer function
  // would be called for every key of every event, and cost more than the rest).
  const json = JSON.stringify(withBlobRefs(message, toRef));
  const head = encoder.encode(json);
  const out = new Uint8Array(4 + head.byteLength + blobBytes);
  new DataView(out.buffer).setUint32(0, head.byteLength);
  out.set(head, 4);
  let at = 4 + head.byteLength;
  for (const b of blobs) {
    out.set(b, at);
    at += b.byteLength;
  }
  return out;
}

/**
 * The value with every Uint8Array (Buffers included) replaced by toRef's
 * result, in the order JSON.stringify will meet them. Objects are copied only
 * along the paths that lead to bytes; the caller's objects are never changed.
 */
function withBlobRefs(value: unknown, toRef: (bytes: Uint8Array) => unknown): unknown {
  if (value instanceof Uint8Array) return toRef(value);
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = withBlobRefs(value[i], toRef);
      if (v !== value[i]) (out ??= value.slice())[i] = v;
    }
    return out ?? value;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const old = (value as Record<string, unknown>)[key];
    const v = withBlobRefs(old, toRef);
    if (v !== old) (out ??= { ...(value as Record<string, unknown>) })[key] = v;
  }
  return out ?? value;
}

/** Decodes a frame; throws FrameError (never anything else) on malformed input. */
export function decodeFrame(frame: Uint8Array): unknown {
  if (frame.byteLength < 4) throw new FrameError('frame shorter than its 4-byte header');
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const jsonLen = view.getUint32(0);
  if (4 + jsonLen > frame.byteLength) throw new FrameError('frame header claims more JSON than the frame holds');
  const blob = frame.subarray(4 + jsonLen);
  let text: string;
  try {
    text = decoder.decode(frame.subarray(4, 4 + jsonLen));
  } catch {
    throw new FrameError('frame JSON is not valid UTF-8');
  }
  let parsed: unknown;
  try {
    // No reviver: V8 calls one for every value, which cost more than the parse itself.
    parsed = JSON.parse(text);
  } catch {
    throw new FrameError('frame JSON does not parse');
  }
  // Each reference is copied out; their total may not exceed the blob, so a
  // small frame cannot make us allocate more than it carried.
  const budget = { left: blob.byteLength };
  try {
    return resolveBlobRefs(parsed, blob, budget);
  } catch (e) {
    if (e instanceof FrameError) throw e;
    throw new FrameError('frame JSON nests too deeply'); // a RangeError from the recursion
  }
}

/** Replaces each {"$b":[offset,length]} in a parsed frame by a copy of those blob bytes, in place. */
function resolveBlobRefs(value: unknown, blob: Uint8Array, budget: { left: number }): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (isBlobRef(value)) {
    const [off, len] = value.$b;
    if (off + len > blob.byteLength) throw new FrameError('frame blob reference out of range');
    budget.left -= len;
    if (budget.left < 0) throw new FrameError('frame blob references add up to more than the blob');
    return blob.slice(off, off + len);
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = resolveBlobRefs(value[i], blob, budget);
    return value;
  }
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    const old = obj[key];
    if (typeof old !== 'object' || old === null) continue;
    const v = resolveBlobRefs(old, blob, budget);
    // JSON.parse makes "__proto__" an own key; assigning to it would set the prototype.
    if (key === '__proto__') Object.defineProperty(obj, key, { value: v, writable: true, enumerable: true, configurable: true });
    else obj[key] = v;
  }
  return obj;
}

function isBlobRef(v: unknown): v is { $b: [number, number] } {
  if (typeof v !== 'object' || v === null || !('$b' in v)) return false;
  const ref = (v as { $b: unknown }).$b;
  return (
    Array.isArray(ref) && ref.length === 2 &&
    ref.every((n) => Number.isSafeInteger(n) && (n as number) >= 0)
  );
}
