// What ping and traceroute need from the raw-socket helper, and nothing
// more: open a raw socket, send bytes with per-send TTL/TOS/DF, close, and
// a stream of received packets stamped with the helper's monotonic clock.
// RawHelper (main/raw/raw-helper.ts) provides it (see fromRawHelper); tests use
// a fake with the same shapes.
import { randomInt } from 'node:crypto';
import { ipBytes } from '../../shared/net/address.js';
import { keyOf, type PacketKey } from '../../shared/packet/index.js';

export type RawHandle = number;

export interface ProbeOpen {
  protocol: 'icmp' | 'icmpv6' | number;
  family: 4 | 6;
  /** The caller writes the IP header itself (IP_HDRINCL). */
  hdrincl?: boolean;
}

export interface ProbeSend {
  handle: RawHandle;
  bytes: Uint8Array;
  address: string;
  ttl?: number;
  tos?: number;
  df?: boolean;
}

export interface ProbeSent {
  /** Bytes the kernel accepted. */
  bytes: number;
  /** Helper's monotonic clock, µs, taken just before the send syscall. */
  tUs: number;
}

export interface ProbePacket {
  handle: RawHandle;
  bytes: Uint8Array;
  from: string;
  /** Helper's monotonic clock, µs, when the packet was read. */
  tUs: number;
  /** Whether `bytes` starts with the IP header (IPv4 raw sockets: yes; ICMPv6: no). */
  ipHeader: boolean;
}

export type PacketListener = (p: ProbePacket) => void;

/** A flood run by the helper: `bytes` is the first echo request; its sequence counts up per send. */
export interface ProbeFlood extends ProbeSend {
  count: number;
  /** Between sends, µs; 0: as fast as the socket takes them. */
  intervalUs: number;
}

type FloodSentEvent = { handle: number; first: number; tUs: Float64Array; error?: { code: string; message: string } };

export interface FloodProgress {
  /** Send stamps (µs, NaN: failed) of sends first, first + 1, … (0-based); error: the first of their failures, if any. */
  sent(first: number, tUs: Float64Array, error?: { code: string; message: string }): void;
  /** (sequence, tUs, TTL or −1) triples: echo replies that came back as sent. Others come as packets. */
  replies(records: Float64Array): void;
}

export interface FloodEnd {
  sent: number;
  errors: number;
  stopped: boolean;
  firstError: { code: string; message: string } | null;
}

/** The process behind the transport went away: these handles are gone, and `error` says how (it names the signal). */
export interface LostHandles {
  handles: RawHandle[];
  error: Error;
}

export interface ProbeTransport {
  open(o: ProbeOpen): Promise<RawHandle>;
  send(s: ProbeSend): Promise<ProbeSent>;
  close(handle: RawHandle): Promise<void>;
  on(event: 'packet', listener: PacketListener): unknown;
  off(event: 'packet', listener: PacketListener): unknown;
  /** Optional kernel-side filter (ICMP_FILTER / ICMP6_FILTER): only these ICMP types reach the socket. */
  setFilter?(handle: RawHandle, icmpTypes: number[] | null): Promise<void>;
  /** Optional: a flood sent by the helper itself (without it, a flood is sent probe by probe). */
  flood?(f: ProbeFlood, progress: FloodProgress): Promise<FloodEnd>;
  floodStop?(handle: RawHandle): Promise<void>;
  /** Optional: told when the helper dies; returns how to stop listening. A run whose handle is lost ends with `error`. */
  onLost?(listener: (e: LostHandles) => void): () => void;
}

/** A received ICMP or ICMPv6 message (at least its 8-byte header), as the codecs' reply matcher reads it. */
export interface ReceivedIcmp {
  family: 4 | 6;
  type: number;
  code: number;
  /** keyOf's reading: the identifier and sequence of an echo (id, icmpSeq), the datagram an error quotes (quoted). */
  key: PacketKey;
  /** The ICMP message, header and body, as far as the IP length says. */
  message: Uint8Array;
  /** IPv4 TTL from the IP header; null without one (raw ICMPv6 sockets give none). */
  ttl: number | null;
  /** The IP header's source, else the address recvfrom gave. */
  source: string;
}

/**
 * Decodes a packet from a raw ICMP (family 4) or ICMPv6 (6) socket. null for
 * anything that is not a well-formed ICMP message (a raw socket can be
 * handed anything: the caller only counts those).
 */
export function decodeIcmpPacket(p: ProbePacket, family: 4 | 6): ReceivedIcmp | null {
  const key = keyOf(p.bytes, family === 6 ? 'icmpv6' : p.ipHeader ? 'ipv4' : 'icmp');
  if (key.proto !== (family === 4 ? 1 : 58) || key.upper < 0 || key.end - key.upper < 8) return null;
  return {
    family, type: key.type!, code: key.code!, key, message: p.bytes.subarray(key.upper, key.end), ttl: key.ttl ?? null, source: key.src ?? p.from,
  };
}

/** Whether two address literals name the same IP address (however each is written). */
export function sameAddress(a: string, b: string): boolean {
  const x = ipBytes(a);
  const y = ipBytes(b);
  return !!x && !!y && x.length === y.length && x.every((v, i) => v === y[i]);
}

/** Random 16-bit value (a run's ICMP identifier, a traceroute's source port). */
export function random16(): number {
  return randomInt(0, 0x10000);
}

/** The parts of RawHelper (main/raw/raw-helper.ts) a transport needs. */
export interface RawHelperLike {
  open(args: { protocol: 'icmp' | 'icmpv6' | number; family: 4 | 6; hdrincl?: boolean }): Promise<{ handle: number }>;
  send(handle: number, bytes: Uint8Array, address: string, opts?: { ttl?: number; tos?: number; df?: boolean }): Promise<{ sent: number; tUs: number }>;
  close(handle: number): Promise<unknown>;
  setFilter(handle: number, icmpTypes: number[] | null): Promise<unknown>;
  flood(args: ProbeFlood): Promise<FloodEnd>;
  floodStop(handle: number): Promise<unknown>;
  on(event: 'packet', listener: PacketListener): unknown;
  off(event: 'packet', listener: PacketListener): unknown;
  on(event: 'flood-sent', listener: (e: FloodSentEvent) => void): unknown;
  off(event: 'flood-sent', listener: (e: FloodSentEvent) => void): unknown;
  on(event: 'flood-replies', listener: (e: { handle: number; replies: Float64Array }) => void): unknown;
  off(event: 'flood-replies', listener: (e: { handle: number; replies: Float64Array }) => void): unknown;
  on(event: 'died', listener: (info: { handles: number[]; message: string; exitCode: number | null; signal: NodeJS.Signals | null }) => void): unknown;
  off(event: 'died', listener: (info: { handles: number[]; message: string; exitCode: number | null; signal: NodeJS.Signals | null }) => void): unknown;
}

/** The error a run gets when the helper died under it: the helper's own words (they name the signal or exit code). */
export class HelperLostError extends Error {
  override name = 'HelperLostError';
  readonly code = 'ERR_RAW_HELPER_DIED';
}

/** ProbeTransport over the supervised raw-socket helper. */
export function fromRawHelper(h: RawHelperLike): ProbeTransport {
  return {
    open: async (o) => (await h.open(o.hdrincl === undefined ? { protocol: o.protocol, family: o.family } : o)).handle,
    send: async (s) => {
      const opts: { ttl?: number; tos?: number; df?: boolean } = {};
      if (s.ttl !== undefined) opts.ttl = s.ttl;
      if (s.tos !== undefined) opts.tos = s.tos;
      if (s.df !== undefined) opts.df = s.df;
      const r = await h.send(s.handle, s.bytes, s.address, opts);
      return { bytes: r.sent, tUs: r.tUs };
    },
    close: async (handle) => void (await h.close(handle)),
    setFilter: async (handle, types) => void (await h.setFilter(handle, types)),
    flood: async (f, progress) => {
      const onSent = (e: FloodSentEvent): void => {
        if (e.handle === f.handle) progress.sent(e.first, e.tUs, e.error);
      };
      const onReplies = (e: { handle: number; replies: Float64Array }): void => {
        if (e.handle === f.handle) progress.replies(e.replies);
      };
      h.on('flood-sent', onSent);
      h.on('flood-replies', onReplies);
      try {
        const { handle, bytes, address, count, intervalUs, ttl, tos, df } = f;
        return await h.flood({ handle, bytes, address, count, intervalUs, ...(ttl !== undefined && { ttl }), ...(tos !== undefined && { tos }), ...(df !== undefined && { df }) });
      } finally {
        h.off('flood-sent', onSent);
        h.off('flood-replies', onReplies);
      }
    },
    floodStop: async (handle) => void (await h.floodStop(handle)),
    onLost: (listener) => {
      const onDied = (info: { handles: number[]; message: string }): void => listener({ handles: info.handles, error: new HelperLostError(info.message) });
      h.on('died', onDied);
      return () => void h.off('died', onDied);
    },
    on: (event, listener) => h.on(event, listener),
    off: (event, listener) => h.off(event, listener),
  };
}
