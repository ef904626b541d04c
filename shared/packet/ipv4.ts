// IPv4 header (RFC 791): parse and build.
import { formatIPv4, ipv4Bytes } from '../net/address.js';
import { checksumValid, internetChecksum } from './checksum.js';
import { checkInt, parseError, parsed, put16, u16, type Parsed } from './result.js';

export const IPPROTO = { ICMP: 1, TCP: 6, UDP: 17, ICMPV6: 58 } as const;

export interface IPv4Header {
  version: 4;
  /** Header length in bytes (IHL × 4), 20..60. */
  headerLength: number;
  tos: number;
  dscp: number;
  ecn: number;
  /** The total length field: header plus payload of the original datagram. */
  totalLength: number;
  identification: number;
  /** Reserved (evil) bit, don't fragment, more fragments. */
  flags: { reserved: boolean; df: boolean; mf: boolean };
  /** Fragment offset in bytes (the field × 8). */
  fragmentOffset: number;
  ttl: number;
  protocol: number;
  checksum: number;
  checksumOk: boolean;
  source: string;
  destination: string;
  options: Uint8Array;
  /** Offset of the payload in the buffer that was parsed. */
  payloadOffset: number;
  /**
   * Bytes of payload actually present: min(totalLength, available) − header.
   * Less than totalLength − headerLength when the datagram is quoted in an
   * ICMP error or otherwise cut short (see `truncated`).
   */
  payloadLength: number;
  truncated: boolean;
}

/** Parses the IPv4 header at `offset`. Only the header itself must be present. */
export function parseIPv4Header(bytes: Uint8Array, offset = 0): Parsed<IPv4Header> {
  const avail = bytes.length - offset;
  if (offset < 0 || avail < 20) return parseError(`IPv4 header needs 20 bytes, ${Math.max(0, avail)} present`, Math.max(0, Math.min(offset, bytes.length)));
  const b0 = bytes[offset]!;
  const version = b0 >>> 4;
  if (version !== 4) return parseError(`IP version is ${version}, not 4`, offset);
  const headerLength = (b0 & 0x0f) * 4;
  if (headerLength < 20) return parseError(`IPv4 header length ${headerLength} is below the minimum of 20`, offset);
  if (avail < headerLength) return parseError(`IPv4 header with options needs ${headerLength} bytes, ${avail} present`, offset + avail);
  const totalLength = u16(bytes, offset + 2);
  if (totalLength < headerLength) return parseError(`IPv4 total length ${totalLength} is shorter than its header (${headerLength})`, offset + 2);
  const tos = bytes[offset + 1]!;
  const ff = u16(bytes, offset + 6);
  const header = bytes.subarray(offset, offset + headerLength);
  const present = Math.min(totalLength, avail);
  return parsed({
    version: 4,
    headerLength,
    tos,
    dscp: tos >>> 2,
    ecn: tos & 3,
    totalLength,
    identification: u16(bytes, offset + 4),
    flags: { reserved: (ff & 0x8000) !== 0, df: (ff & 0x4000) !== 0, mf: (ff & 0x2000) !== 0 },
    fragmentOffset: (ff & 0x1fff) * 8,
    ttl: bytes[offset + 8]!,
    protocol: bytes[offset + 9]!,
    checksum: u16(bytes, offset + 10),
    checksumOk: checksumValid(header),
    source: formatIPv4(bytes, offset + 12),
    destination: formatIPv4(bytes, offset + 16),
    options: bytes.slice(offset + 20, offset + headerLength),
    payloadOffset: offset + headerLength,
    payloadLength: present - headerLength,
    truncated: totalLength > avail,
  });
}

export interface IPv4HeaderFields {
  source: string;
  destination: string;
  protocol: number;
  /** Bytes after the header; totalLength = header + payloadLength. */
  payloadLength: number;
  ttl?: number;
  tos?: number;
  identification?: number;
  df?: boolean;
  mf?: boolean;
  /** In bytes; a multiple of 8. */
  fragmentOffset?: number;
  /** Padded with zeros (end of option list) to a multiple of 4, at most 40 bytes. */
  options?: Uint8Array;
}

/** A 20..60 byte IPv4 header with its checksum. Throws RangeError on a field out of range. */
export function buildIPv4Header(f: IPv4HeaderFields): Uint8Array {
  const src = ipv4Bytes(f.source);
  const dst = ipv4Bytes(f.destination);
  if (!src) throw new RangeError(`source is not an IPv4 address: ${f.source}`);
  if (!dst) throw new RangeError(`destination is not an IPv4 address: ${f.destination}`);
  const options = f.options ?? new Uint8Array(0);
  if (options.length > 40) throw new RangeError(`IPv4 options are at most 40 bytes, got ${options.length}`);
  const headerLength = 20 + Math.ceil(options.length / 4) * 4;
  const ttl = f.ttl ?? 64;
  const tos = f.tos ?? 0;
  const id = f.identification ?? 0;
  const frag = f.fragmentOffset ?? 0;
  checkInt('ttl', ttl, 0, 255);
  checkInt('tos', tos, 0, 255);
  checkInt('identification', id, 0, 0xffff);
  checkInt('protocol', f.protocol, 0, 255);
  checkInt('payloadLength', f.payloadLength, 0, 0xffff - headerLength);
  if (!Number.isInteger(frag) || frag < 0 || frag % 8 !== 0 || frag / 8 > 0x1fff) {
    throw new RangeError(`fragmentOffset must be a multiple of 8 in 0..${0x1fff * 8}, got ${frag}`);
  }
  const h = new Uint8Array(headerLength);
  h[0] = 0x40 | (headerLength / 4);
  h[1] = tos;
  put16(h, 2, headerLength + f.payloadLength);
  put16(h, 4, id);
  put16(h, 6, (f.df ? 0x4000 : 0) | (f.mf ? 0x2000 : 0) | (frag / 8));
  h[8] = ttl;
  h[9] = f.protocol;
  h.set(src, 12);
  h.set(dst, 16);
  h.set(options, 20);
  put16(h, 10, internetChecksum(h));
  return h;
}
