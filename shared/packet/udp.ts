// UDP header (RFC 768): parse, and build with the checksum over the IPv4 or
// IPv6 pseudo-header when both addresses are known.
import { ipBytes } from '../net/address.js';
import { internetChecksum, ipv4PseudoHeader, ipv6PseudoHeader, onesComplementSum } from './checksum.js';
import { checkInt, parseError, parsed, put16, u16, type Parsed } from './result.js';

export interface UdpHeader {
  sourcePort: number;
  destinationPort: number;
  /** The length field: header plus payload. */
  length: number;
  checksum: number;
  payloadOffset: number;
  /** Payload bytes present: min(length, available) − 8. */
  payloadLength: number;
  /** Fewer bytes present than the length field says (always so for the 8 bytes an ICMP error quotes). */
  truncated: boolean;
}

/** Parses the 8-byte UDP header at `offset`; the payload may be cut short. */
export function parseUdpHeader(bytes: Uint8Array, offset = 0): Parsed<UdpHeader> {
  const avail = bytes.length - offset;
  if (offset < 0 || avail < 8) return parseError(`UDP header needs 8 bytes, ${Math.max(0, avail)} present`, Math.max(0, Math.min(offset, bytes.length)));
  const length = u16(bytes, offset + 4);
  if (length < 8) return parseError(`UDP length ${length} is shorter than its 8-byte header`, offset + 4);
  return parsed({
    sourcePort: u16(bytes, offset),
    destinationPort: u16(bytes, offset + 2),
    length,
    checksum: u16(bytes, offset + 6),
    payloadOffset: offset + 8,
    payloadLength: Math.min(length, avail) - 8,
    truncated: length > avail,
  });
}

export interface UdpFields {
  sourcePort: number;
  destinationPort: number;
  payload?: Uint8Array;
  /** Both addresses (same family) to compute the checksum; without them it is 0 (IPv4: "no checksum"). */
  source?: string;
  destination?: string;
}

export function buildUdp(f: UdpFields): Uint8Array {
  checkInt('sourcePort', f.sourcePort, 0, 0xffff);
  checkInt('destinationPort', f.destinationPort, 0, 0xffff);
  const payload = f.payload ?? new Uint8Array(0);
  checkInt('UDP length', payload.length + 8, 8, 0xffff);
  const d = new Uint8Array(8 + payload.length);
  put16(d, 0, f.sourcePort);
  put16(d, 2, f.destinationPort);
  put16(d, 4, d.length);
  d.set(payload, 8);
  if (f.source !== undefined && f.destination !== undefined) {
    const c = udpChecksum(d, f.source, f.destination);
    put16(d, 6, c);
  }
  return d;
}

/** The checksum to write into `datagram` (whose checksum field is zero); 0 comes out as 0xffff (RFC 768). */
export function udpChecksum(datagram: Uint8Array, source: string, destination: string): number {
  const s = ipBytes(source);
  const t = ipBytes(destination);
  if (!s || !t || s.length !== t.length) throw new RangeError(`UDP checksum needs two addresses of one family: ${source}, ${destination}`);
  const pseudo = s.length === 4 ? ipv4PseudoHeader(s, t, 17, datagram.length) : ipv6PseudoHeader(s, t, 17, datagram.length);
  const c = internetChecksum(pseudo, datagram);
  return c === 0 ? 0xffff : c;
}

/** Whether a received datagram's checksum holds (true for checksum 0 over IPv4: none was sent). */
export function udpChecksumValid(datagram: Uint8Array, source: string, destination: string): boolean {
  const s = ipBytes(source);
  const t = ipBytes(destination);
  if (!s || !t || s.length !== t.length || datagram.length < 8) return false;
  if (s.length === 4 && u16(datagram, 6) === 0) return true;
  const pseudo = s.length === 4 ? ipv4PseudoHeader(s, t, 17, datagram.length) : ipv6PseudoHeader(s, t, 17, datagram.length);
  return onesComplementSum([pseudo, datagram]) === 0xffff;
}
