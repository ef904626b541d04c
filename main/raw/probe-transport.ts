// What ping and traceroute need from the raw-socket helper, and nothing
// more: open a raw socket, send bytes with per-send TTL/TOS/DF, close, and
// a stream of received packets stamped with the helper's monotonic clock.
// RawHelper (main/raw/raw-helper.ts) provides it (see fromRawHelper); tests use
// a fake with the same shapes.
import { randomInt } from 'node:crypto';
import { ipBytes } from '../../shared/net/address.js';
import { parseIcmp, parseIcmpv6, parseIPv4Header, type IcmpMessage, type Icmpv6Message } from '../../shared/packet/index.js';

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

export interface FloodProgress {
  /** Send stamps (µs, NaN: failed) of sends first, first + 1, … (0-based). */
  sent(first: number, tUs: Float64Array): void;
  /** (sequence, tUs, TTL or −1) triples: echo replies that came back as sent. Others come as packets. */
  replies(records: Float64Array): void;
}

export interface FloodEnd {
  sent: number;
  errors: number;
  stopped: boolean;
  firstError: { code: string; message: string } | null;
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
}

/** A received ICMP or ICMPv6 message, with what the IP header said when there was one. */
export type ReceivedIcmp =
  | { family: 4; icmp: IcmpMessage; ttl: number; source: string; destination: string }
  | { family: 6; icmp: Icmpv6Message; ttl: null; source: string; destination: null };

/**
 * Decodes a packet from a raw ICMP (family 4) or ICMPv6 (6) socket. null for
 * anything that is not a well-formed ICMP message (a raw socket can be
 * handed anything: the caller only counts those).
 */
export function decodeIcmpPacket(p: ProbePacket, family: 4 | 6): ReceivedIcmp | null {
  if (family === 4) {
    let offset = 0;
    let end = p.bytes.length;
    let ttl = -1;
    let source = p.from;
    let destination = '';
    if (p.ipHeader) {
      const ip = parseIPv4Header(p.bytes);
      if (!ip.ok || ip.value.protocol !== 1) return null;
      offset = ip.value.payloadOffset;
      end = offset + ip.value.payloadLength;
      ttl = ip.value.ttl;
      source = ip.value.source;
      destination = ip.value.destination;
    }
    const m = parseIcmp(p.bytes.subarray(0, end), offset);
    return m.ok ? { family: 4, icmp: m.value, ttl, source, destination } : null;
  }
  const m = parseIcmpv6(p.bytes, 0);
  return m.ok ? { family: 6, icmp: m.value, ttl: null, source: p.from, destination: null } : null;
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
  on(event: 'flood-sent', listener: (e: { handle: number; first: number; tUs: Float64Array }) => void): unknown;
  off(event: 'flood-sent', listener: (e: { handle: number; first: number; tUs: Float64Array }) => void): unknown;
  on(event: 'flood-replies', listener: (e: { handle: number; replies: Float64Array }) => void): unknown;
  off(event: 'flood-replies', listener: (e: { handle: number; replies: Float64Array }) => void): unknown;
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
      const onSent = (e: { handle: number; first: number; tUs: Float64Array }): void => {
        if (e.handle === f.handle) progress.sent(e.first, e.tUs);
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
    on: (event, listener) => h.on(event, listener),
    off: (event, listener) => h.off(event, listener),
  };
}
