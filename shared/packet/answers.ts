// Which received packet answers which sent one, as Scapy's answers() decides
// it: addresses and ports swapped, a TCP ack that acknowledges our segment,
// an ICMP echo reply with our identifier and sequence, or an ICMP error that
// quotes the header we sent. Pure: bytes in, verdicts out, never throws.
//
// Packets are read straight from their bytes here (not with parseStack):
// the crafter runs this on every packet a raw socket hears (a capture
// socket for TCP hears all of the machine's TCP), and ping and traceroute
// read every ICMP packet with keyOf.
import { formatIPv4, formatIPv6, ipv6Bytes } from '../net/address.js';
import { u16, u32 } from './bytes.js';
import { ICMP_ERRORS, ICMPV6_ERRORS } from './icmp-names.js';
import type { LayerKind } from './spec.js';

/** What matching needs to know of one packet. Fields absent: not in the bytes (truncated quote, other protocol). */
export interface PacketKey {
  /** 4 or 6 when known (from the IP header, the first layer or the addresses). */
  family: 4 | 6 | null;
  /** Canonical text addresses, or null when the bytes have no IP header and none was given. */
  src: string | null;
  dst: string | null;
  /** The upper protocol (1 ICMP, 6 TCP, 17 UDP, 58 ICMPv6 …), null when unknown (a later fragment, a cut header). */
  proto: number | null;
  /** Offset of the upper-layer header in the bytes; −1 when there is none to read. */
  upper: number;
  /** Offset just past the datagram's last byte present: where its IP length ends, or the bytes do when they end first. */
  end: number;
  /** TTL (IPv4) or hop limit (IPv6), when the bytes start with the IP header. */
  ttl?: number;
  sport?: number;
  dport?: number;
  /** TCP */
  seq?: number;
  ack?: number;
  flags?: number;
  /** TCP: bytes of payload after the header (from the IP length, as a quoted header cannot count them). */
  len?: number;
  /** ICMP / ICMPv6 */
  type?: number;
  code?: number;
  id?: number;
  icmpSeq?: number;
  /** The datagram an ICMP error quotes. */
  quoted?: PacketKey;
}

export const PROTO = { icmp: 1, tcp: 6, udp: 17, icmpv6: 58 } as const;

const TCP_FIN = 0x01;
const TCP_SYN = 0x02;
const TCP_RST = 0x04;
const TCP_ACK = 0x10;

/** ICMP query types and the type that answers each (echo, timestamp, information, address mask). */
const ICMP_ANSWER: Readonly<Record<number, number>> = { 8: 0, 13: 14, 15: 16, 17: 18 };
const ICMP_REPLIES = new Set(Object.values(ICMP_ANSWER));
const ICMP_ERROR_SET = new Set(ICMP_ERRORS);
const ICMPV6_ANSWER: Readonly<Record<number, number>> = { 128: 129 };
const ICMPV6_ERROR_SET = new Set(ICMPV6_ERRORS);

/** IPv6 extension headers walked to find the upper layer: hop-by-hop, routing, destination options (and AH). */
const EXT_HEADERS = new Set([0, 43, 60, 51]);

/** One spelling per address (so "::0001" and "::1" compare equal); null for what is not an address. */
export function canonicalAddress(a: string | null | undefined): string | null {
  if (!a) return null;
  if (!a.includes(':')) return a;
  const b = ipv6Bytes(a);
  return b ? formatIPv6(b) : a;
}

/**
 * The key of a packet whose bytes start with `first`. A packet without an IP
 * header (an IPv6 raw socket's, or a stack sent with the kernel's header)
 * takes its addresses from `addrs`.
 */
export function keyOf(bytes: Uint8Array, first: LayerKind, addrs: { src?: string | null; dst?: string | null } = {}): PacketKey {
  return readKey(bytes, first, addrs, 0);
}

function readKey(b: Uint8Array, first: LayerKind, addrs: { src?: string | null; dst?: string | null }, depth: number): PacketKey {
  const src = canonicalAddress(addrs.src);
  const dst = canonicalAddress(addrs.dst);
  const key: PacketKey = { family: null, src, dst, proto: null, upper: -1, end: 0 };
  if (!(b instanceof Uint8Array)) return key;
  let end = b.length;
  key.end = end;
  if (first === 'ipv4') {
    key.family = 4;
    if (b.length < 20 || b[0]! >> 4 !== 4) return key;
    const ihl = (b[0]! & 0x0f) * 4;
    const total = u16(b, 2);
    key.ttl = b[8]!;
    key.src = formatIPv4(b, 12);
    key.dst = formatIPv4(b, 16);
    if (ihl < 20 || ihl > b.length) return key;
    key.proto = b[9]!;
    if ((u16(b, 6) & 0x1fff) !== 0) return key; // a later fragment: no upper header here
    key.upper = ihl;
    // The IP length says how long the datagram was, even when a quote cut it short.
    if (total >= ihl) end = total;
  } else if (first === 'ipv6') {
    key.family = 6;
    if (b.length < 40 || b[0]! >> 4 !== 6) return key;
    key.ttl = b[7]!;
    key.src = formatIPv6(b, 8);
    key.dst = formatIPv6(b, 24);
    const plen = u16(b, 4);
    if (plen > 0) end = 40 + plen;
    let nh = b[6]!;
    let at = 40;
    for (let n = 0; n < 16; n++) {
      if (nh === 44) {
        if (at + 8 > b.length) return key;
        if ((u16(b, at + 2) & 0xfff8) !== 0) {
          key.proto = b[at]!;
          return key;
        }
        nh = b[at]!;
        at += 8;
      } else if (EXT_HEADERS.has(nh)) {
        if (at + 2 > b.length) return key;
        const size = nh === 51 ? (b[at + 1]! + 2) * 4 : (b[at + 1]! + 1) * 8;
        nh = b[at]!;
        at += size;
      } else break;
    }
    key.proto = nh;
    if (at > b.length) return key;
    key.upper = at;
  } else if (first === 'icmp' || first === 'icmpv6' || first === 'tcp' || first === 'udp') {
    key.proto = PROTO[first];
    key.upper = 0;
    key.family = first === 'icmp' ? 4 : first === 'icmpv6' ? 6 : src ? (src.includes(':') ? 6 : 4) : dst ? (dst.includes(':') ? 6 : 4) : null;
  } else return key;
  key.end = Math.min(end, b.length);
  readUpper(b, key, key.end, end, depth);
  return key;
}

/** Fills the upper-layer fields present in b[key.upper, have); `end` is where the IP length says the datagram ends. */
function readUpper(b: Uint8Array, key: PacketKey, have: number, end: number, depth: number): void {
  const at = key.upper;
  const left = have - at;
  if (left <= 0) return;
  switch (key.proto) {
    case PROTO.tcp:
    case PROTO.udp:
      if (left >= 4) {
        key.sport = u16(b, at);
        key.dport = u16(b, at + 2);
      }
      if (key.proto === PROTO.tcp) {
        if (left >= 8) key.seq = u32(b, at + 4);
        if (left >= 14) {
          key.ack = u32(b, at + 8);
          key.flags = ((b[at + 12]! & 1) << 8) | b[at + 13]!;
          key.len = Math.max(0, end - at - (b[at + 12]! >> 4) * 4);
        }
      }
      return;
    case PROTO.icmp:
    case PROTO.icmpv6: {
      if (left < 2) return;
      const v6 = key.proto === PROTO.icmpv6;
      key.type = b[at]!;
      key.code = b[at + 1]!;
      const query = v6 ? key.type === 128 || key.type === 129 : key.type in ICMP_ANSWER || ICMP_REPLIES.has(key.type);
      if (query && left >= 8) {
        key.id = u16(b, at + 4);
        key.icmpSeq = u16(b, at + 6);
      }
      const error = v6 ? ICMPV6_ERROR_SET.has(key.type) : ICMP_ERROR_SET.has(key.type);
      if (error && depth === 0 && left > 8) key.quoted = readKey(b.subarray(at + 8, have), v6 ? 'ipv6' : 'ipv4', {}, depth + 1);
      return;
    }
    default:
  }
}

export const isIcmpError = (k: PacketKey): boolean =>
  k.type !== undefined && (k.proto === PROTO.icmp ? ICMP_ERROR_SET.has(k.type) : k.proto === PROTO.icmpv6 && ICMPV6_ERROR_SET.has(k.type));

/** Both known and different. */
const differ = <T>(a: T | null | undefined, b: T | null | undefined): boolean => a !== null && a !== undefined && b !== null && b !== undefined && a !== b;

/** True when `quoted` (what an ICMP error quotes) is the packet `sent`, as far as the quote shows it. */
function quotes(quoted: PacketKey, sent: PacketKey): boolean {
  if (quoted.proto === null || quoted.proto !== sent.proto) return false;
  if (differ(quoted.family, sent.family) || differ(quoted.dst, sent.dst) || differ(quoted.src, sent.src)) return false;
  if (quoted.dst === null || sent.dst === null) return false; // an error about "some packet to somewhere" is not ours
  if (differ(quoted.sport, sent.sport) || differ(quoted.dport, sent.dport) || differ(quoted.seq, sent.seq)) return false;
  if (differ(quoted.type, sent.type) || differ(quoted.code, sent.code) || differ(quoted.id, sent.id) || differ(quoted.icmpSeq, sent.icmpSeq)) return false;
  if ((sent.proto === PROTO.tcp || sent.proto === PROTO.udp) && (quoted.sport === undefined || sent.sport === undefined)) return false;
  return true;
}

/** TCP: what the peer's ack must be for our segment (SYN and FIN count one each). */
export function expectedAck(sent: PacketKey): number | null {
  if (sent.seq === undefined || sent.flags === undefined || sent.len === undefined) return null;
  const extra = (sent.flags & TCP_SYN ? 1 : 0) + (sent.flags & TCP_FIN ? 1 : 0);
  return (sent.seq + sent.len + extra) % 2 ** 32;
}

/** Does `reply` answer `sent`? */
export function answers(reply: PacketKey, sent: PacketKey): boolean {
  if (differ(reply.family, sent.family)) return false;
  // An ICMP error answers the packet it quotes, from whichever router sent it.
  if (isIcmpError(reply)) {
    if (reply.quoted && quotes(reply.quoted, sent)) return !differ(reply.dst, sent.src);
    // An ICMP error about an ICMP error we sent is never sent (RFC 1122); fall through for the rest.
    if (!isIcmpError(sent)) return false;
  }
  if (reply.proto === null || reply.proto !== sent.proto) return false;
  if (differ(reply.src, sent.dst) || differ(reply.dst, sent.src)) return false;
  switch (sent.proto) {
    case PROTO.tcp: {
      if (reply.sport === undefined || reply.sport !== sent.dport || reply.dport !== sent.sport) return false;
      if (reply.flags === undefined) return false;
      if (reply.flags & TCP_ACK) return reply.ack === expectedAck(sent);
      // A bare RST answers a segment whose ack it takes as its sequence number (RFC 793).
      if (reply.flags & TCP_RST) return sent.flags !== undefined && (sent.flags & TCP_ACK) !== 0 && reply.seq === sent.ack;
      return false;
    }
    case PROTO.udp:
      return reply.sport !== undefined && reply.sport === sent.dport && reply.dport === sent.sport;
    case PROTO.icmp:
    case PROTO.icmpv6: {
      if (sent.type === undefined || reply.type === undefined) return false;
      const table = sent.proto === PROTO.icmp ? ICMP_ANSWER : ICMPV6_ANSWER;
      if (table[sent.type] !== reply.type) return false;
      return reply.id !== undefined && reply.id === sent.id && reply.icmpSeq === sent.icmpSeq;
    }
    default:
      return false;
  }
}

/**
 * A string that a sent packet and any packet answering it share, to look
 * candidates up by (the full verdict is answers()); null: the packet can be
 * answered by nothing we match (or, for a reply, answers nothing).
 */
export function flowOf(k: PacketKey, role: 'sent' | 'reply'): string | null {
  if (role === 'reply' && isIcmpError(k)) return k.quoted ? flowOf(k.quoted, 'sent') : null;
  if (k.proto === PROTO.tcp || k.proto === PROTO.udp) {
    if (k.sport === undefined || k.dport === undefined) return null;
    return role === 'sent' ? `${k.proto}/${k.sport}/${k.dport}` : `${k.proto}/${k.dport}/${k.sport}`;
  }
  if (k.proto === PROTO.icmp || k.proto === PROTO.icmpv6) {
    if (k.type === undefined) return null;
    if (k.id !== undefined) return `${k.proto}/${k.id}/${k.icmpSeq}`;
    return role === 'sent' ? `${k.proto}` : null;
  }
  return null;
}

/** Where the checksum of an upper layer lies (so our own packet still compares equal when the kernel filled it in). */
const CHECKSUM_AT: Readonly<Record<number, number>> = { [PROTO.icmp]: 2, [PROTO.icmpv6]: 2, [PROTO.tcp]: 16, [PROTO.udp]: 6 };

/**
 * True when a received packet is one we sent, heard again (a raw socket on
 * loopback hears our own packets): the same upper layer, byte for byte, but
 * for a checksum the kernel may have written.
 */
export function isOwnPacket(rBytes: Uint8Array, r: PacketKey, sBytes: Uint8Array, s: PacketKey): boolean {
  if (r.upper < 0 || s.upper < 0 || r.proto !== s.proto || r.proto === null) return false;
  const a = rBytes.subarray(r.upper);
  const b = sBytes.subarray(s.upper);
  if (a.length !== b.length) return false;
  const skip = CHECKSUM_AT[r.proto] ?? -1;
  for (let i = 0; i < a.length; i++) {
    if (i === skip || i === skip + 1) continue;
    if (a[i] !== b[i]) return false;
  }
  return true;
}

/** A sent packet as pickAnswered() sees it. */
export interface SentCandidate {
  key: PacketKey;
  bytes: Uint8Array;
  /** Replies already taken as answering it. */
  answered: number;
}

/**
 * Which of the candidates (sent packets of the reply's flow, oldest first) a
 * received packet answers: the oldest not answered yet, else the newest (a
 * duplicate answer); `own` when it is one of them heard again; null when it
 * answers none.
 */
export function pickAnswered<T extends SentCandidate>(rBytes: Uint8Array, reply: PacketKey, candidates: Iterable<T>): T | 'own' | null {
  let last: T | null = null;
  for (const c of candidates) {
    if (!answers(reply, c.key)) continue;
    if (isOwnPacket(rBytes, reply, c.bytes, c.key)) return 'own';
    if (c.answered === 0) return c;
    last = c;
  }
  return last;
}

/** What answers() reads of a key, as text: keys with the same text are answered by the same packets. */
function keyText(k: PacketKey): string {
  const own = [k.family, k.src, k.dst, k.proto, k.upper, k.sport, k.dport, k.seq, k.ack, k.flags, k.len, k.type, k.code, k.id, k.icmpSeq].map(String).join(',');
  return k.quoted ? `${own}[${keyText(k.quoted)}]` : own;
}

/** FNV-1a of the bytes isOwnPacket() compares (the upper layer on). */
function upperHash(b: Uint8Array, k: PacketKey): number {
  let h = 0x811c9dc5;
  for (let i = Math.max(k.upper, 0); i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}

function sameUpper(a: SentCandidate, b: SentCandidate): boolean {
  if (a.key.upper !== b.key.upper) return false;
  const x = a.bytes.subarray(Math.max(a.key.upper, 0));
  const y = b.bytes.subarray(Math.max(b.key.upper, 0));
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

interface Member<T> {
  c: T;
  /** Order of sending within the flow. */
  n: number;
  group: Group<T>;
}

/** Candidates no reply can tell apart: the same key and the same upper-layer bytes. */
interface Group<T> {
  text: string;
  members: Member<T>[];
  /** Every member before this index has been answered (answered counts only grow). */
  unanswered: number;
}

/**
 * The sent packets of one flow, oldest first, as pickAnswered() takes them,
 * with the same verdict from pick() in amortised O(1) when the same packet is
 * sent over and over: candidates no reply can tell apart (same key, same
 * bytes from the upper layer on) form one group, answers() and isOwnPacket()
 * run once per group, and each group keeps where its unanswered members
 * start. A reply costs one step per distinct packet of the flow, not one
 * per packet sent.
 */
export class FlowCandidates<T extends SentCandidate> {
  private n = 0;
  private readonly members = new Map<T, Member<T>>();
  /** Members in sending order (removed ones are skipped, and swept now and then). */
  private order: Member<T>[] = [];
  private head = 0;
  private readonly groups = new Set<Group<T>>();
  private readonly byText = new Map<string, Group<T>[]>();

  /** `max`: candidates kept; past it the oldest is let go. */
  constructor(private readonly max = Infinity) {}

  get size(): number {
    return this.members.size;
  }

  has(c: T): boolean {
    return this.members.has(c);
  }

  /** Adds the newest sent packet; returns the oldest one let go past `max`, if any. */
  add(c: T): T | undefined {
    if (this.members.has(c)) return undefined;
    const text = `${keyText(c.key)}#${upperHash(c.bytes, c.key)}`;
    let list = this.byText.get(text);
    if (!list) this.byText.set(text, (list = []));
    let group = list.find((g) => sameUpper(g.members[0]!.c, c));
    if (!group) {
      group = { text, members: [], unanswered: 0 };
      list.push(group);
      this.groups.add(group);
    }
    const m: Member<T> = { c, n: this.n++, group };
    group.members.push(m);
    this.members.set(c, m);
    this.order.push(m);
    if (this.members.size <= this.max) return undefined;
    while (this.head < this.order.length && this.members.get(this.order[this.head]!.c) !== this.order[this.head]) this.head++;
    const oldest = this.order[this.head]!.c;
    this.remove(oldest);
    return oldest;
  }

  /** Lets a sent packet go; false when it was not here. */
  remove(c: T): boolean {
    const m = this.members.get(c);
    if (!m) return false;
    this.members.delete(c);
    const g = m.group;
    const at = g.members.indexOf(m);
    g.members.splice(at, 1);
    if (at < g.unanswered) g.unanswered--;
    if (g.members.length === 0) {
      this.groups.delete(g);
      const list = this.byText.get(g.text)!;
      list.splice(list.indexOf(g), 1);
      if (list.length === 0) this.byText.delete(g.text);
    }
    if (this.order[this.head]?.c === c) this.head++;
    if (this.order.length - this.head > 2 * this.members.size + 64 || this.head > 1024) {
      this.order = this.order.slice(this.head).filter((x) => this.members.get(x.c) === x);
      this.head = 0;
    }
    return true;
  }

  /** The candidates, oldest first. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = this.head; i < this.order.length; i++) {
      const m = this.order[i]!;
      if (this.members.get(m.c) === m) yield m.c;
    }
  }

  /** pickAnswered(rBytes, reply, this), group by group. */
  pick(rBytes: Uint8Array, reply: PacketKey): T | 'own' | null {
    let best: Member<T> | null = null;
    let bestOwn = false;
    let last: Member<T> | null = null;
    for (const g of this.groups) {
      const first = g.members[0]!;
      if (!answers(reply, first.c.key)) continue;
      const newest = g.members[g.members.length - 1]!;
      if (last === null || newest.n > last.n) last = newest;
      // Scanning oldest first, pickAnswered() would stop in this group at its first member (our own
      // packet heard again: every member is) or else at its oldest unanswered one.
      const own = isOwnPacket(rBytes, reply, first.c.bytes, first.c.key);
      if (!own) while (g.unanswered < g.members.length && g.members[g.unanswered]!.c.answered !== 0) g.unanswered++;
      const stop = own ? first : g.members[g.unanswered];
      if (stop && (best === null || stop.n < best.n)) {
        best = stop;
        bestOwn = own;
      }
    }
    if (best) return bestOwn ? 'own' : best.c;
    return last ? last.c : null;
  }
}
