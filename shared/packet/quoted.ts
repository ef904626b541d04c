// The packet an ICMP or ICMPv6 error quotes: the original IP header and at
// least the first 8 bytes after it (RFC 792, RFC 4443; Linux quotes more),
// enough to match it to the probe that caused it: the ICMP identifier and
// sequence, or the UDP/TCP ports.
import { parseIPv4Header, type IPv4Header } from './ipv4.js';
import { parseIPv6Header, type IPv6Header } from './ipv6.js';
import { parseError, parsed, u16, u32, type Parsed } from './result.js';

export interface QuotedEcho {
  type: number;
  code: number;
  identifier: number;
  sequence: number;
}

export interface QuotedPorts {
  sourcePort: number;
  destinationPort: number;
}

export interface QuotedPacket {
  family: 4 | 6;
  ip: IPv4Header | IPv6Header;
  source: string;
  destination: string;
  /** The upper-layer protocol of the original packet (after IPv6 extension headers). */
  protocol: number;
  /** The original packet's bytes after its IP header(s), as many as were quoted. */
  transport: Uint8Array;
  /** Present when the original was an ICMP (v4) or ICMPv6 echo request/reply and 8 bytes were quoted. */
  echo?: QuotedEcho;
  /** Present for UDP when 8 bytes were quoted. */
  udp?: QuotedPorts & { length: number; checksum: number };
  /** Present for TCP when 8 bytes were quoted. */
  tcp?: QuotedPorts & { sequenceNumber: number };
}

/** Parses a quoted packet starting with an IPv4 (`family` 4) or IPv6 (6) header at `offset`. */
export function parseQuoted(bytes: Uint8Array, offset: number, family: 4 | 6): Parsed<QuotedPacket> {
  const ipr = family === 4 ? parseIPv4Header(bytes, offset) : parseIPv6Header(bytes, offset);
  if (!ipr.ok) return parseError(`quoted packet: ${ipr.error}`, ipr.offset);
  const ip = ipr.value;
  const transport = bytes.slice(ip.payloadOffset);
  const q: QuotedPacket = { family, ip, source: ip.source, destination: ip.destination, protocol: ip.protocol, transport };
  const laterFragment = ip.version === 4 ? ip.fragmentOffset !== 0 : ip.laterFragment;
  if (transport.length < 8 || laterFragment) return parsed(q);
  const t0 = transport[0]!;
  if ((family === 4 && ip.protocol === 1 && (t0 === 8 || t0 === 0)) || (family === 6 && ip.protocol === 58 && (t0 === 128 || t0 === 129))) {
    q.echo = { type: t0, code: transport[1]!, identifier: u16(transport, 4), sequence: u16(transport, 6) };
  } else if (ip.protocol === 17) {
    q.udp = { sourcePort: u16(transport, 0), destinationPort: u16(transport, 2), length: u16(transport, 4), checksum: u16(transport, 6) };
  } else if (ip.protocol === 6) {
    q.tcp = { sourcePort: u16(transport, 0), destinationPort: u16(transport, 2), sequenceNumber: u32(transport, 4) };
  }
  return parsed(q);
}
