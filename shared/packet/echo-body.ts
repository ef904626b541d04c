// The 8-byte echo header and payload, common to ICMP and ICMPv6 (internal).
import { checkInt, put16 } from './result.js';

export interface EchoFields {
  identifier: number;
  sequence: number;
  payload?: Uint8Array;
  /** Default 'request'. */
  type?: 'request' | 'reply';
  /** Default 0 (anything else is nonstandard, for crafting). */
  code?: number;
}

export function echoBody(f: EchoFields, type: number): Uint8Array {
  checkInt('identifier', f.identifier, 0, 0xffff);
  checkInt('sequence', f.sequence, 0, 0xffff);
  const code = f.code ?? 0;
  checkInt('code', code, 0, 255);
  const payload = f.payload ?? new Uint8Array(0);
  const m = new Uint8Array(8 + payload.length);
  m[0] = type;
  m[1] = code;
  put16(m, 4, f.identifier);
  put16(m, 6, f.sequence);
  m.set(payload, 8);
  return m;
}

