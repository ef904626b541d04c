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
  // The holder's own value is checked because Buffer.prototype.toJSON runs
  // before the replacer sees `value`.
  const json = JSON.stringify(message, function (this: Record<string, unknown>, key: string, value: unknown) {
    const raw = this[key];
    if (raw instanceof Uint8Array) {
      const ref = { $b: [blobBytes, raw.byteLength] };
      blobs.push(raw);
      blobBytes += raw.byteLength;
      return ref;
    }
    return value;
  });
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
  // Each reference is copied out; their total may not exceed the blob, so a
  // small frame cannot make us allocate more than it carried.
  let referenced = 0;
  try {
    return JSON.parse(text, (_key, value: unknown) => {
      if (isBlobRef(value)) {
        const [off, len] = value.$b;
        if (off + len > blob.byteLength) throw new FrameError('frame blob reference out of range');
        referenced += len;
        if (referenced > blob.byteLength) throw new FrameError('frame blob references add up to more than the blob');
        return blob.slice(off, off + len);
      }
      return value;
    });
  } catch (e) {
    if (e instanceof FrameError) throw e;
    throw new FrameError('frame JSON does not parse');
  }
}

function isBlobRef(v: unknown): v is { $b: [number, number] } {
  if (typeof v !== 'object' || v === null || !('$b' in v)) return false;
  const ref = (v as { $b: unknown }).$b;
  return (
    Array.isArray(ref) && ref.length === 2 &&
    ref.every((n) => Number.isSafeInteger(n) && (n as number) >= 0)
  );
}
