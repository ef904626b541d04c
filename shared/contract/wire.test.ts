import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, FrameError } from './wire.js';

describe('wire frames', () => {
  it('round-trip nested bytes as bytes, not JSON number arrays', () => {
    const msg = { id: 3, method: 'socket.send', params: { id: 1, data: new Uint8Array([0, 255, 13, 10]) }, list: [new Uint8Array([7]), new Uint8Array(0)] };
    const frame = encodeFrame(msg);
    expect(new TextDecoder().decode(frame)).not.toMatch(/255/); // the byte travels raw, not as text
    expect(decodeFrame(frame)).toEqual(msg);
  });

  it('a Node Buffer is sent as its bytes', () => {
    const frame = encodeFrame({ b: Buffer.from('hi') });
    expect(decodeFrame(frame)).toEqual({ b: new Uint8Array([104, 105]) });
  });

  it('malformed frames raise FrameError and nothing else (fuzzed)', () => {
    const valid = encodeFrame({ id: 1, method: 'x', params: { data: new Uint8Array([1, 2, 3]) } });
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let i = 0; i < 3000; i++) {
      const f = i % 2 ? valid.slice() : new Uint8Array(Math.floor(rand() * 64));
      for (let j = 0; j < 1 + rand() * 4; j++) f[Math.floor(rand() * f.length)] = Math.floor(rand() * 256);
      try {
        decodeFrame(f);
      } catch (e) {
        expect(e).toBeInstanceOf(FrameError);
      }
    }
    expect(() => decodeFrame(new Uint8Array([0, 0]))).toThrow(FrameError);
    const outOfRange = new TextEncoder().encode('{"d":{"$b":[0,99]}}');
    const f = new Uint8Array(4 + outOfRange.length);
    new DataView(f.buffer).setUint32(0, outOfRange.length);
    f.set(outOfRange, 4);
    expect(() => decodeFrame(f)).toThrow(/out of range/);
  });
});

describe('wire frames from a hostile peer', () => {
  it('cannot reference one blob many times to make the decoder allocate more than the frame carried', () => {
    const refs = Array.from({ length: 1000 }, () => ({ $b: [0, 1024] }));
    const json = new TextEncoder().encode(JSON.stringify({ id: 1, method: 'x', params: refs }));
    const frame = new Uint8Array(4 + json.byteLength + 1024);
    new DataView(frame.buffer).setUint32(0, json.byteLength);
    frame.set(json, 4);
    expect(() => decodeFrame(frame)).toThrow(FrameError);
    // One reference to the same blob is fine.
    const one = new TextEncoder().encode(JSON.stringify({ id: 1, method: 'x', params: [{ $b: [0, 1024] }] }));
    const ok = new Uint8Array(4 + one.byteLength + 1024);
    new DataView(ok.buffer).setUint32(0, one.byteLength);
    ok.set(one, 4);
    expect(((decodeFrame(ok) as { params: Uint8Array[] }).params[0]!).byteLength).toBe(1024);
  });
});

describe('wire frames, without a replacer or a reviver', () => {
  it('leaves the caller’s objects untouched and keeps the order of the bytes', () => {
    const bytes = new Uint8Array([1, 2]);
    const payload = { id: 1, dir: 'in', bytes, addr: { family: 'AF_INET', address: '127.0.0.1', port: 9 } };
    const events = [{ name: 'session.data', payload }, { name: 'session.data', payload: { ...payload, bytes: new Uint8Array([3]) } }, { name: 'x', payload: { n: 1 } }];
    const decoded = decodeFrame(encodeFrame({ events, seq: 7 }));
    expect(decoded).toEqual({ events, seq: 7 });
    expect(payload.bytes).toBe(bytes); // not replaced by a reference in the caller's object
    expect((decoded as { events: { payload: { bytes: Uint8Array } }[] }).events[1]!.payload.bytes).toEqual(new Uint8Array([3]));
  });

  it('a "__proto__" key stays a plain key and never becomes the prototype', () => {
    const decoded = decodeFrame(encodeFrame(JSON.parse('{"__proto__":{"x":1},"b":{"$b":[0,0]}}'))) as Record<string, unknown>;
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(Object.keys(decoded)).toContain('__proto__');
    const json = new TextEncoder().encode('{"__proto__":{"$b":[0,1]}}');
    const f = new Uint8Array(4 + json.byteLength + 1);
    new DataView(f.buffer).setUint32(0, json.byteLength);
    f.set(json, 4);
    const hostile = decodeFrame(f) as Record<string, unknown>;
    expect(Object.getPrototypeOf(hostile)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(hostile, '__proto__')!.value).toEqual(new Uint8Array([0]));
  });

  it('JSON nested deeper than the decoder can walk is a FrameError', () => {
    const depth = 200_000;
    const json = new TextEncoder().encode('['.repeat(depth) + ']'.repeat(depth));
    const f = new Uint8Array(4 + json.byteLength);
    new DataView(f.buffer).setUint32(0, json.byteLength);
    f.set(json, 4);
    expect(() => decodeFrame(f)).toThrow(FrameError);
  });
});
