// ICMPv6 (RFC 4443): echo request/reply build and parse, and the errors
// (destination unreachable, packet too big, time exceeded, parameter
// problem) with the packet they quote. The checksum covers the IPv6
// pseudo-header, so it can be computed or checked only with both addresses;
// a raw ICMPv6 socket on Linux computes it on send whatever we write.
import { ipv6Bytes } from '../net/address.js';
import { internetChecksum, ipv6PseudoHeader, onesComplementSum } from './checksum.js';
import { echoBody, type EchoFields } from './echo-body.js';
import { codeName } from './icmp.js';
import { parseQuoted, type QuotedPacket } from './quoted.js';
import { checkInt, parseError, parsed, put16, put32, u16, u32, type Parsed } from './result.js';

export const ICMPV6_TYPE = {
  DESTINATION_UNREACHABLE: 1,
  PACKET_TOO_BIG: 2,
  TIME_EXCEEDED: 3,
  PARAMETER_PROBLEM: 4,
  ECHO_REQUEST: 128,
  ECHO_REPLY: 129,
} as const;

export const ICMPV6_UNREACHABLE_CODES: Readonly<Record<number, string>> = {
  0: 'no-route-to-destination',
  1: 'administratively-prohibited',
  2: 'beyond-scope-of-source-address',
  3: 'address-unreachable',
  4: 'port-unreachable',
  5: 'source-address-failed-policy',
  6: 'reject-route-to-destination',
  7: 'error-in-source-routing-header',
  8: 'headers-too-long',
};

export const ICMPV6_TIME_EXCEEDED_CODES: Readonly<Record<number, string>> = {
  0: 'hop-limit-exceeded-in-transit',
  1: 'fragment-reassembly-time-exceeded',
};

export const ICMPV6_PARAMETER_PROBLEM_CODES: Readonly<Record<number, string>> = {
  0: 'erroneous-header-field',
  1: 'unrecognized-next-header',
  2: 'unrecognized-ipv6-option',
  3: 'incomplete-header-chain',
  4: 'sr-upper-layer-header-error',
  5: 'unrecognized-next-header-by-intermediate-node',
  6: 'extension-header-too-big',
  7: 'extension-header-chain-too-long',
  8: 'too-many-extension-headers',
  9: 'too-many-options-in-extension-header',
  10: 'option-too-big',
};

interface Icmpv6Base {
  type: number;
  code: number;
  checksum: number;
  /** null when the addresses were not given (the pseudo-header is needed). */
  checksumOk: boolean | null;
  length: number;
}

export interface Icmpv6Echo extends Icmpv6Base {
  kind: 'echo-request' | 'echo-reply';
  identifier: number;
  sequence: number;
  payload: Uint8Array;
}

export interface Icmpv6Error extends Icmpv6Base {
  kind: 'destination-unreachable' | 'packet-too-big' | 'time-exceeded' | 'parameter-problem';
  codeName: string;
  /** Packet too big: the MTU of the next hop. */
  mtu?: number;
  /** Parameter problem: the byte offset of the problem in the quoted packet. */
  pointer?: number;
  quoted: QuotedPacket | null;
  quotedError?: { error: string; offset: number };
}

export interface Icmpv6Other extends Icmpv6Base {
  kind: 'other';
  rest: Uint8Array;
}

export type Icmpv6Message = Icmpv6Echo | Icmpv6Error | Icmpv6Other;

/** The addresses of the IPv6 packet that carried the message, to check its checksum. */
export interface Icmpv6Addresses {
  source: string;
  destination: string;
}

/** Parses an ICMPv6 message at `offset` (as a raw ICMPv6 socket delivers it: no IPv6 header). */
export function parseIcmpv6(bytes: Uint8Array, offset = 0, addresses?: Icmpv6Addresses): Parsed<Icmpv6Message> {
  const avail = bytes.length - offset;
  if (offset < 0 || avail < 8) return parseError(`ICMPv6 header needs 8 bytes, ${Math.max(0, avail)} present`, Math.max(0, Math.min(offset, bytes.length)));
  const msg = bytes.subarray(offset);
  const type = msg[0]!;
  const code = msg[1]!;
  let checksumOk: boolean | null = null;
  if (addresses) {
    const s = ipv6Bytes(addresses.source);
    const d = ipv6Bytes(addresses.destination);
    checksumOk = s && d ? onesComplementSum([ipv6PseudoHeader(s, d, 58, msg.length), msg]) === 0xffff : false;
  }
  const base: Icmpv6Base = { type, code, checksum: u16(msg, 2), checksumOk, length: msg.length };
  switch (type) {
    case ICMPV6_TYPE.ECHO_REQUEST:
    case ICMPV6_TYPE.ECHO_REPLY:
      return parsed({
        ...base,
        kind: type === ICMPV6_TYPE.ECHO_REPLY ? 'echo-reply' : 'echo-request',
        identifier: u16(msg, 4),
        sequence: u16(msg, 6),
        payload: msg.slice(8),
      });
    case ICMPV6_TYPE.DESTINATION_UNREACHABLE:
    case ICMPV6_TYPE.PACKET_TOO_BIG:
    case ICMPV6_TYPE.TIME_EXCEEDED:
    case ICMPV6_TYPE.PARAMETER_PROBLEM: {
      const err: Icmpv6Error = { ...base, kind: 'destination-unreachable', codeName: '', quoted: null };
      if (type === ICMPV6_TYPE.DESTINATION_UNREACHABLE) {
        err.codeName = codeName(ICMPV6_UNREACHABLE_CODES, code);
      } else if (type === ICMPV6_TYPE.PACKET_TOO_BIG) {
        err.kind = 'packet-too-big';
        err.codeName = code === 0 ? 'packet-too-big' : `code-${code}`;
        err.mtu = u32(msg, 4);
      } else if (type === ICMPV6_TYPE.TIME_EXCEEDED) {
        err.kind = 'time-exceeded';
        err.codeName = codeName(ICMPV6_TIME_EXCEEDED_CODES, code);
      } else {
        err.kind = 'parameter-problem';
        err.codeName = codeName(ICMPV6_PARAMETER_PROBLEM_CODES, code);
        err.pointer = u32(msg, 4);
      }
      const q = parseQuoted(bytes, offset + 8, 6);
      if (q.ok) err.quoted = q.value;
      else err.quotedError = { error: q.error, offset: q.offset };
      return parsed(err);
    }
    default:
      return parsed({ ...base, kind: 'other', rest: msg.slice(4) });
  }
}

function withChecksum(m: Uint8Array, addresses?: Icmpv6Addresses): Uint8Array {
  if (!addresses) return m;
  const s = ipv6Bytes(addresses.source);
  const d = ipv6Bytes(addresses.destination);
  if (!s || !d) throw new RangeError(`ICMPv6 checksum needs two IPv6 addresses: ${addresses.source}, ${addresses.destination}`);
  put16(m, 2, internetChecksum(ipv6PseudoHeader(s, d, 58, m.length), m));
  return m;
}

/**
 * An ICMPv6 echo request (or reply). With `addresses` the checksum is
 * filled in; without, it is 0 and the kernel fills it (raw ICMPv6 sockets
 * always do on Linux).
 */
export function buildIcmpv6Echo(f: EchoFields, addresses?: Icmpv6Addresses): Uint8Array {
  return withChecksum(echoBody(f, f.type === 'reply' ? ICMPV6_TYPE.ECHO_REPLY : ICMPV6_TYPE.ECHO_REQUEST), addresses);
}

export interface Icmpv6ErrorFields {
  kind: 'destination-unreachable' | 'packet-too-big' | 'time-exceeded' | 'parameter-problem';
  code: number;
  quoted: Uint8Array;
  /** packet-too-big: the MTU; parameter-problem: the pointer. */
  value?: number;
}

export function buildIcmpv6Error(f: Icmpv6ErrorFields, addresses?: Icmpv6Addresses): Uint8Array {
  checkInt('code', f.code, 0, 255);
  const m = new Uint8Array(8 + f.quoted.length);
  m[0] = ICMPV6_TYPE[({
    'destination-unreachable': 'DESTINATION_UNREACHABLE',
    'packet-too-big': 'PACKET_TOO_BIG',
    'time-exceeded': 'TIME_EXCEEDED',
    'parameter-problem': 'PARAMETER_PROBLEM',
  } as const)[f.kind]];
  m[1] = f.code;
  if (f.value !== undefined) {
    checkInt('value', f.value, 0, 0xffffffff);
    put32(m, 4, f.value);
  }
  m.set(f.quoted, 8);
  return withChecksum(m, addresses);
}
