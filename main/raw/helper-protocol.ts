// The raw-socket helper's protocol and the checks both sides run on every
// message. Requests { rid, op, args } → replies { rid, ok, result | error };
// the helper also pushes events (ready, packet, dropped, socket-error).
// Pure: it imports the child wire's reply shape and the one address parser
// (shared/net/address.ts), nothing else.
import { isIPv4, isIPv6 } from '../../shared/net/address.js';
import { isCallFailure, type CallFailure } from '../core/child-wire.js';

export type Handle = number;
export type Family = 4 | 6;
export type ProtocolName = 'icmp' | 'icmpv6';

export interface OpenArgs {
  protocol: ProtocolName | number;
  family: Family;
  /** The caller builds the IP header (IP_HDRINCL / IPV6_HDRINCL). */
  hdrincl?: boolean;
}
export interface OpenResult {
  handle: Handle;
  protocol: number;
  family: Family;
  /** Whether received packets start with the IP header (IPv4 raw sockets: yes; IPv6: no). */
  ipHeader: boolean;
  /** Receive times are the kernel's stamps (as ping's); false: taken in the helper when it read the packet. */
  kernelStamps: boolean;
}
export interface SendOptions {
  /** IP_TTL / IPV6_UNICAST_HOPS for this send; omitted: the socket's default. */
  ttl?: number;
  /** IP_TOS / IPV6_TCLASS for this send; omitted: the socket's default. */
  tos?: number;
  /** true: IP_PMTUDISC_DO (DF set); false: IP_PMTUDISC_DONT; omitted: the socket's default. */
  df?: boolean;
}
export interface SendArgs extends SendOptions {
  handle: Handle;
  bytes: Uint8Array;
  address: string;
}
export interface SendResult {
  sent: number;
  /** Helper clock (µs since its origin), taken right before the send syscall. */
  tUs: number;
}
/**
 * A flood of ICMP / ICMPv6 echo requests sent by the helper itself (one
 * request, not one per probe: a round trip each would cap the rate at a few
 * thousand a second). `bytes` is the first request; the helper counts its
 * sequence field up (wrapping at 65535) and, for ICMP, mends the checksum.
 */
export interface FloodArgs extends SendOptions {
  handle: Handle;
  bytes: Uint8Array;
  address: string;
  count: number;
  /** Between sends, µs, on an absolute schedule; 0: as fast as the socket takes them. */
  intervalUs: number;
}
export interface FloodResult {
  /** Requests the kernel took. */
  sent: number;
  /** Sends that failed (their stamps are NaN in flood-sent). */
  errors: number;
  /** Stopped by floodStop (or the socket closed) before count was reached. */
  stopped: boolean;
  /** The first send error, if any. */
  firstError: CallFailure | null;
}
/**
 * Flood gaps this short are spun through, not slept: iputils ping does so
 * below 10 ms (its MININTERVAL, and 1000/HZ), and its RTTs there are those
 * of a warm send path (3-4 µs on loopback here, against 10-20 µs after a
 * sleep). Ping hands such intervals to the helper as a paced flood.
 */
export const SPIN_UP_TO_US = 10_000;
/** Largest flood the helper takes in one request (2^31 − 1, as ping's count). */
export const MAX_FLOOD = 2 ** 31 - 1;
/** Flood gaps above this (1 h) are refused. */
export const MAX_FLOOD_GAP_US = 3_600_000_000;

export interface FilterArgs {
  handle: Handle;
  /** ICMP types to receive (ICMP_FILTER / ICMP6_FILTER); null receives all. */
  icmpTypes: number[] | null;
}

export interface Ops {
  open: { args: OpenArgs; result: OpenResult };
  send: { args: SendArgs; result: SendResult };
  close: { args: { handle: Handle }; result: null };
  setFilter: { args: FilterArgs; result: null };
  flood: { args: FloodArgs; result: FloodResult };
  floodStop: { args: { handle: Handle }; result: null };
}
export type OpName = keyof Ops;

export interface Request<O extends OpName = OpName> {
  rid: number;
  op: O;
  args: Ops[O]['args'];
}


export interface PacketEvent {
  event: 'packet';
  handle: Handle;
  bytes: Uint8Array;
  from: string;
  /** Helper clock: the kernel's receive stamp when the socket has them (OpenResult.kernelStamps), else taken first thing in raw-socket's 'message' callback. */
  tUs: number;
  ipHeader: boolean;
}

/** Per flood-sent / flood-replies event, at most this many records (fits a frame). */
export const FLOOD_BATCH = 2048;

/**
 * While a flood runs, its echo replies are not sent one packet event each:
 * those that came from the target with the payload intact (and, for ICMP, a
 * good checksum) are summed up here as records; anything else still comes as
 * a packet event for the app to judge.
 */
export type FloodEvent =
  /** tUs: Float64 (platform order) send stamps of sends first, first + 1, …; NaN: that send failed (error: the first such failure). */
  | { event: 'flood-sent'; handle: Handle; first: number; tUs: Uint8Array; error?: CallFailure }
  /** replies: Float64 triples (sequence, tUs, TTL or −1). */
  | { event: 'flood-replies'; handle: Handle; replies: Uint8Array };

export type HelperEvent =
  | FloodEvent
  /** originNs: the helper's process.hrtime.bigint() origin, in decimal (the clocks are shared system-wide). */
  | { event: 'ready'; pid: number; originNs: string; sandboxed: boolean }
  | PacketEvent
  /** Packets read but not forwarded because the pipe to the app was backed up. */
  | { event: 'dropped'; handle: Handle; count: number }
  /** closed: raw-socket closed the socket after the error. */
  | { event: 'socket-error'; handle: Handle; error: CallFailure; closed: boolean };

/** Largest IP packet (and largest payload a send takes). */
export const MAX_BYTES = 65535;
/** JSON part of a frame: requests and events are small; a cap also bounds blob references. */
export const MAX_JSON = 2048;
/** A whole frame (after the u32 length): JSON length + JSON + blob. */
export const MAX_FRAME = 4 + MAX_JSON + MAX_BYTES + 1;
export const MAX_SOCKETS = 64;

type Check = (v: unknown) => boolean;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
const int = (min: number, max: number): Check => (v) => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;
const isBool: Check = (v) => typeof v === 'boolean';
export const isHandle = int(1, Number.MAX_SAFE_INTEGER);
const isBytes: Check = (v) => v instanceof Uint8Array && v.byteLength <= MAX_BYTES;
const isByte = int(0, 255);
const isTime: Check = (v) => typeof v === 'number' && Number.isFinite(v);

/** Which keys an object may have; the first `required` ones must be there. */
function keysProblem(o: Record<string, unknown>, required: string[], optional: string[]): string | null {
  for (const k of required) if (!(k in o)) return `${k} is missing`;
  for (const k of Object.keys(o)) if (!required.includes(k) && !optional.includes(k)) return `unknown field ${JSON.stringify(k).slice(0, 40)}`;
  return null;
}

const ARGS: { [O in OpName]: { required: string[]; optional: string[]; check(a: Record<string, unknown>): string | null } } = {
  open: {
    required: ['protocol', 'family'],
    optional: ['hdrincl'],
    check(a) {
      if (a.family !== 4 && a.family !== 6) return 'family must be 4 or 6';
      if (a.protocol === 'icmp' && a.family !== 4) return "protocol 'icmp' is IPv4: use 'icmpv6' with family 6";
      if (a.protocol === 'icmpv6' && a.family !== 6) return "protocol 'icmpv6' is IPv6: use 'icmp' with family 4";
      if (a.protocol !== 'icmp' && a.protocol !== 'icmpv6' && !isByte(a.protocol)) return "protocol must be 'icmp', 'icmpv6' or an IP protocol number 0..255";
      return a.hdrincl === undefined || isBool(a.hdrincl) ? null : 'hdrincl must be a boolean';
    },
  },
  send: {
    required: ['handle', 'bytes', 'address'],
    optional: ['ttl', 'tos', 'df'],
    check(a) {
      if (!isHandle(a.handle)) return 'handle must be a positive integer';
      if (!(a.bytes instanceof Uint8Array)) return 'bytes must be binary';
      if (!isBytes(a.bytes)) return `bytes: ${a.bytes.byteLength} is more than ${MAX_BYTES}`;
      if (typeof a.address !== 'string' || a.address.length > 64 || !(isIPv4(a.address) || isIPv6(a.address))) return 'address must be a numeric IPv4 or IPv6 address';
      if (a.ttl !== undefined && !isByte(a.ttl)) return 'ttl must be an integer 0..255';
      if (a.tos !== undefined && !isByte(a.tos)) return 'tos must be an integer 0..255';
      return a.df === undefined || isBool(a.df) ? null : 'df must be a boolean';
    },
  },
  close: {
    required: ['handle'],
    optional: [],
    check: (a) => (isHandle(a.handle) ? null : 'handle must be a positive integer'),
  },
  flood: {
    required: ['handle', 'bytes', 'address', 'count', 'intervalUs'],
    optional: ['ttl', 'tos', 'df'],
    check(a) {
      const { count, intervalUs, ...send } = a;
      const bad = ARGS.send.check(send);
      if (bad) return bad;
      const b = a.bytes as Uint8Array;
      if (b.byteLength < 8 || !((b[0] === 8 || b[0] === 128) && b[1] === 0)) return 'bytes must be an ICMP (type 8) or ICMPv6 (type 128) echo request, code 0';
      if (!int(1, MAX_FLOOD)(count)) return `count must be an integer 1..${MAX_FLOOD}`;
      return int(0, MAX_FLOOD_GAP_US)(intervalUs) ? null : `intervalUs must be an integer 0..${MAX_FLOOD_GAP_US}`;
    },
  },
  floodStop: {
    required: ['handle'],
    optional: [],
    check: (a) => (isHandle(a.handle) ? null : 'handle must be a positive integer'),
  },
  setFilter: {
    required: ['handle', 'icmpTypes'],
    optional: [],
    check(a) {
      if (!isHandle(a.handle)) return 'handle must be a positive integer';
      const t = a.icmpTypes;
      return t === null || (Array.isArray(t) && t.length <= 256 && t.every(isByte)) ? null : 'icmpTypes must be null or a list of ICMP types 0..255';
    },
  },
};

export const isOp = (v: unknown): v is OpName => typeof v === 'string' && Object.hasOwn(ARGS, v);

/** Why a request is malformed, or null when it is well formed. */
export function requestProblem(m: unknown): string | null {
  if (!isObj(m)) return 'a request must be an object { rid, op, args }';
  if (!isHandle(m.rid)) return 'rid must be a positive integer';
  if (!isOp(m.op)) return `unknown op ${JSON.stringify(String(m.op)).slice(0, 40)}`;
  const bad = keysProblem(m, ['rid', 'op', 'args'], []);
  if (bad) return bad;
  if (!isObj(m.args)) return `${m.op}: args must be an object`;
  const spec = ARGS[m.op];
  const problem = keysProblem(m.args, spec.required, spec.optional) ?? spec.check(m.args);
  return problem && `${m.op}: ${problem}`;
}

/** What each op's result must look like (checked by the client). */
export const resultChecks: { [O in OpName]: Check } = {
  open: (v) => isObj(v) && isHandle(v.handle) && isByte(v.protocol) && (v.family === 4 || v.family === 6) && isBool(v.ipHeader) && isBool(v.kernelStamps),
  send: (v) => isObj(v) && int(0, MAX_BYTES)(v.sent) && isTime(v.tUs),
  close: (v) => v === null,
  setFilter: (v) => v === null,
  flood: (v) => isObj(v) && int(0, MAX_FLOOD)(v.sent) && int(0, MAX_FLOOD)(v.errors) && isBool(v.stopped) && (v.firstError === null || isCallFailure(v.firstError)),
  floodStop: (v) => v === null,
};

/** 1..FLOOD_BATCH records of `width` Float64 values. */
const records = (v: unknown, width: number): boolean =>
  v instanceof Uint8Array && v.byteLength > 0 && v.byteLength % (8 * width) === 0 && v.byteLength <= FLOOD_BATCH * 8 * width;

export function isHelperEvent(m: unknown): m is HelperEvent {
  if (!isObj(m)) return false;
  switch (m.event) {
    case 'ready':
      return int(1, 2 ** 31)(m.pid) && typeof m.originNs === 'string' && /^\d{1,20}$/.test(m.originNs) && isBool(m.sandboxed);
    case 'packet':
      return isHandle(m.handle) && m.bytes instanceof Uint8Array && m.bytes.byteLength <= MAX_BYTES + 1 &&
        typeof m.from === 'string' && m.from.length <= 64 && isTime(m.tUs) && isBool(m.ipHeader);
    case 'dropped':
      return isHandle(m.handle) && int(1, Number.MAX_SAFE_INTEGER)(m.count);
    case 'flood-sent':
      return isHandle(m.handle) && int(0, MAX_FLOOD)(m.first) && records(m.tUs, 1) && (m.error === undefined || isCallFailure(m.error));
    case 'flood-replies':
      return isHandle(m.handle) && records(m.replies, 3);
    case 'socket-error':
      return isHandle(m.handle) && isCallFailure(m.error) && isBool(m.closed);
    default:
      return false;
  }
}

export { replyProblem, type CallFailure, type ChildReply as Reply } from '../core/child-wire.js';
