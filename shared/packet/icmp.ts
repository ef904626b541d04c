// ICMP for IPv4 (RFC 792, 1122, 1812): echo request/reply build and parse,
// and the errors a ping or traceroute meets (destination unreachable, time
// exceeded, parameter problem, redirect, source quench) with the packet
// they quote.
import { formatIPv4 } from '../net/address.js';
import { checksumValid, internetChecksum } from './checksum.js';
import { echoBody, type EchoFields } from './echo-body.js';
import { parseQuoted, type QuotedPacket } from './quoted.js';
import { checkInt, parseError, parsed, put16, u16, type Parsed } from './result.js';

export const ICMP_TYPE = {
  ECHO_REPLY: 0,
  DESTINATION_UNREACHABLE: 3,
  SOURCE_QUENCH: 4,
  REDIRECT: 5,
  ECHO_REQUEST: 8,
  TIME_EXCEEDED: 11,
  PARAMETER_PROBLEM: 12,
} as const;

/** Destination unreachable codes by number (RFC 792, 1122, 1812). */
export const ICMP_UNREACHABLE_CODES: Readonly<Record<number, string>> = {
  0: 'net-unreachable',
  1: 'host-unreachable',
  2: 'protocol-unreachable',
  3: 'port-unreachable',
  4: 'fragmentation-needed',
  5: 'source-route-failed',
  6: 'destination-network-unknown',
  7: 'destination-host-unknown',
  8: 'source-host-isolated',
  9: 'network-administratively-prohibited',
  10: 'host-administratively-prohibited',
  11: 'network-unreachable-for-tos',
  12: 'host-unreachable-for-tos',
  13: 'communication-administratively-prohibited',
  14: 'host-precedence-violation',
  15: 'precedence-cutoff-in-effect',
};

export const ICMP_TIME_EXCEEDED_CODES: Readonly<Record<number, string>> = {
  0: 'ttl-exceeded-in-transit',
  1: 'fragment-reassembly-time-exceeded',
};

export const ICMP_REDIRECT_CODES: Readonly<Record<number, string>> = {
  0: 'redirect-for-network',
  1: 'redirect-for-host',
  2: 'redirect-for-tos-and-network',
  3: 'redirect-for-tos-and-host',
};

export const ICMP_PARAMETER_PROBLEM_CODES: Readonly<Record<number, string>> = {
  0: 'pointer-indicates-error',
  1: 'missing-required-option',
  2: 'bad-length',
};

export const codeName = (table: Readonly<Record<number, string>>, code: number): string => table[code] ?? `code-${code}`;

interface IcmpBase {
  type: number;
  code: number;
  checksum: number;
  checksumOk: boolean;
  /** Bytes of the ICMP message parsed (header + body). */
  length: number;
}

export interface IcmpEcho extends IcmpBase {
  kind: 'echo-request' | 'echo-reply';
  identifier: number;
  sequence: number;
  payload: Uint8Array;
}

export interface IcmpError extends IcmpBase {
  kind: 'destination-unreachable' | 'time-exceeded' | 'parameter-problem' | 'redirect' | 'source-quench';
  codeName: string;
  /** Destination unreachable, fragmentation needed: the next-hop MTU (RFC 1191), 0 if not given. */
  nextHopMtu?: number;
  /** Parameter problem: the byte offset of the problem in the quoted packet. */
  pointer?: number;
  /** Redirect: the gateway to use. */
  gateway?: string;
  /** The original packet, or null when it could not be parsed (see quotedError). */
  quoted: QuotedPacket | null;
  quotedError?: { error: string; offset: number };
}

export interface IcmpOther extends IcmpBase {
  kind: 'other';
  /** Bytes after the type, code and checksum. */
  rest: Uint8Array;
}

export type IcmpMessage = IcmpEcho | IcmpError | IcmpOther;

/** Parses an ICMP (v4) message at `offset` (after the IPv4 header). */
export function parseIcmp(bytes: Uint8Array, offset = 0): Parsed<IcmpMessage> {
  const avail = bytes.length - offset;
  if (offset < 0 || avail < 8) return parseError(`ICMP header needs 8 bytes, ${Math.max(0, avail)} present`, Math.max(0, Math.min(offset, bytes.length)));
  const msg = bytes.subarray(offset);
  const type = msg[0]!;
  const code = msg[1]!;
  const base: IcmpBase = { type, code, checksum: u16(msg, 2), checksumOk: checksumValid(msg), length: msg.length };
  switch (type) {
    case ICMP_TYPE.ECHO_REPLY:
    case ICMP_TYPE.ECHO_REQUEST:
      return parsed({
        ...base,
        kind: type === ICMP_TYPE.ECHO_REPLY ? 'echo-reply' : 'echo-request',
        identifier: u16(msg, 4),
        sequence: u16(msg, 6),
        payload: msg.slice(8),
      });
    case ICMP_TYPE.DESTINATION_UNREACHABLE:
    case ICMP_TYPE.TIME_EXCEEDED:
    case ICMP_TYPE.PARAMETER_PROBLEM:
    case ICMP_TYPE.REDIRECT:
    case ICMP_TYPE.SOURCE_QUENCH: {
      const err: IcmpError = { ...base, kind: 'source-quench', codeName: `code-${code}`, quoted: null };
      if (type === ICMP_TYPE.DESTINATION_UNREACHABLE) {
        err.kind = 'destination-unreachable';
        err.codeName = codeName(ICMP_UNREACHABLE_CODES, code);
        if (code === 4) err.nextHopMtu = u16(msg, 6);
      } else if (type === ICMP_TYPE.TIME_EXCEEDED) {
        err.kind = 'time-exceeded';
        err.codeName = codeName(ICMP_TIME_EXCEEDED_CODES, code);
      } else if (type === ICMP_TYPE.PARAMETER_PROBLEM) {
        err.kind = 'parameter-problem';
        err.codeName = codeName(ICMP_PARAMETER_PROBLEM_CODES, code);
        err.pointer = msg[4]!;
      } else if (type === ICMP_TYPE.REDIRECT) {
        err.kind = 'redirect';
        err.codeName = codeName(ICMP_REDIRECT_CODES, code);
        err.gateway = formatIPv4(msg, 4);
      } else {
        err.codeName = code === 0 ? 'source-quench' : `code-${code}`;
      }
      const q = parseQuoted(bytes, offset + 8, 4);
      if (q.ok) err.quoted = q.value;
      else err.quotedError = { error: q.error, offset: q.offset };
      return parsed(err);
    }
    default:
      return parsed({ ...base, kind: 'other', rest: msg.slice(4) });
  }
}


export type { EchoFields };

/** An ICMP echo request (or reply) with its checksum. */
export function buildIcmpEcho(f: EchoFields): Uint8Array {
  const m = echoBody(f, f.type === 'reply' ? ICMP_TYPE.ECHO_REPLY : ICMP_TYPE.ECHO_REQUEST);
  put16(m, 2, internetChecksum(m));
  return m;
}

export interface IcmpErrorFields {
  kind: 'destination-unreachable' | 'time-exceeded';
  code: number;
  /** The original packet from its IP header on (the caller trims it). */
  quoted: Uint8Array;
  /** For fragmentation-needed (code 4). */
  nextHopMtu?: number;
}

/** An ICMP destination unreachable or time exceeded message quoting `quoted`, with its checksum. */
export function buildIcmpError(f: IcmpErrorFields): Uint8Array {
  checkInt('code', f.code, 0, 255);
  const m = new Uint8Array(8 + f.quoted.length);
  m[0] = f.kind === 'time-exceeded' ? ICMP_TYPE.TIME_EXCEEDED : ICMP_TYPE.DESTINATION_UNREACHABLE;
  m[1] = f.code;
  if (f.nextHopMtu !== undefined) {
    checkInt('nextHopMtu', f.nextHopMtu, 0, 0xffff);
    put16(m, 6, f.nextHopMtu);
  }
  m.set(f.quoted, 8);
  put16(m, 2, internetChecksum(m));
  return m;
}
