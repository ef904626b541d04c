// IPv6 header (RFC 8200): parse, walking extension headers to find the
// upper-layer protocol (needed for the packet an ICMPv6 error quotes).
import { formatIPv6, ipv6Bytes } from '../net/address.js';
import { checkInt, parseError, parsed, put16, u16, u32, type Parsed } from './result.js';

/** Extension headers walked to reach the upper layer. */
const EXTENSION = { HOP_BY_HOP: 0, ROUTING: 43, FRAGMENT: 44, AH: 51, DEST_OPTS: 60, NONE: 59 } as const;
const MAX_EXTENSIONS = 16;

export interface IPv6Header {
  version: 6;
  trafficClass: number;
  flowLabel: number;
  payloadLength: number;
  /** The fixed header's next header field. */
  nextHeader: number;
  hopLimit: number;
  source: string;
  destination: string;
  /** Extension headers walked, in order (their next-header numbers). */
  extensions: number[];
  /** The upper-layer protocol after the extension headers (59 = no next header). */
  protocol: number;
  /** Offset of the upper-layer header in the parsed buffer. */
  payloadOffset: number;
  /** Upper-layer bytes present (after extension headers). */
  upperLayerLength: number;
  /** True when fewer bytes are present than the payload length field says. */
  truncated: boolean;
  /** Set when a fragment header says this is not the first fragment: no upper-layer header here. */
  laterFragment: boolean;
}

export function parseIPv6Header(bytes: Uint8Array, offset = 0): Parsed<IPv6Header> {
  const avail = bytes.length - offset;
  if (offset < 0 || avail < 40) return parseError(`IPv6 header needs 40 bytes, ${Math.max(0, avail)} present`, Math.max(0, Math.min(offset, bytes.length)));
  const w0 = u32(bytes, offset);
  const version = w0 >>> 28;
  if (version !== 6) return parseError(`IP version is ${version}, not 6`, offset);
  const payloadLength = u16(bytes, offset + 4);
  const nextHeader = bytes[offset + 6]!;
  const end = offset + 40 + Math.min(payloadLength, avail - 40);
  let protocol = nextHeader;
  let at = offset + 40;
  const extensions: number[] = [];
  let laterFragment = false;
  while (
    (protocol === EXTENSION.HOP_BY_HOP || protocol === EXTENSION.ROUTING || protocol === EXTENSION.FRAGMENT ||
      protocol === EXTENSION.AH || protocol === EXTENSION.DEST_OPTS) && !laterFragment
  ) {
    if (extensions.length >= MAX_EXTENSIONS) return parseError(`more than ${MAX_EXTENSIONS} IPv6 extension headers`, at);
    if (end - at < 8) return parseError(`IPv6 extension header ${protocol} needs 8 bytes, ${Math.max(0, end - at)} present`, at);
    let len: number;
    if (protocol === EXTENSION.FRAGMENT) {
      len = 8;
      if ((u16(bytes, at + 2) & 0xfff8) !== 0) laterFragment = true;
    } else if (protocol === EXTENSION.AH) len = (bytes[at + 1]! + 2) * 4;
    else len = (bytes[at + 1]! + 1) * 8;
    if (end - at < len) return parseError(`IPv6 extension header ${protocol} needs ${len} bytes, ${end - at} present`, at);
    extensions.push(protocol);
    protocol = bytes[at]!;
    at += len;
  }
  return parsed({
    version: 6,
    trafficClass: (w0 >>> 20) & 0xff,
    flowLabel: w0 & 0xfffff,
    payloadLength,
    nextHeader,
    hopLimit: bytes[offset + 7]!,
    source: formatIPv6(bytes, offset + 8),
    destination: formatIPv6(bytes, offset + 24),
    extensions,
    protocol,
    payloadOffset: at,
    upperLayerLength: end - at,
    truncated: payloadLength > avail - 40,
    laterFragment,
  });
}

export interface IPv6HeaderFields {
  source: string;
  destination: string;
  nextHeader: number;
  payloadLength: number;
  hopLimit?: number;
  trafficClass?: number;
  flowLabel?: number;
}

/** The fixed 40-byte IPv6 header. Throws RangeError on a field out of range. */
export function buildIPv6Header(f: IPv6HeaderFields): Uint8Array {
  const src = ipv6Bytes(f.source);
  const dst = ipv6Bytes(f.destination);
  if (!src) throw new RangeError(`source is not an IPv6 address: ${f.source}`);
  if (!dst) throw new RangeError(`destination is not an IPv6 address: ${f.destination}`);
  const tc = f.trafficClass ?? 0;
  const fl = f.flowLabel ?? 0;
  const hl = f.hopLimit ?? 64;
  checkInt('trafficClass', tc, 0, 255);
  checkInt('flowLabel', fl, 0, 0xfffff);
  checkInt('hopLimit', hl, 0, 255);
  checkInt('nextHeader', f.nextHeader, 0, 255);
  checkInt('payloadLength', f.payloadLength, 0, 0xffff);
  const h = new Uint8Array(40);
  h[0] = 0x60 | (tc >>> 4);
  h[1] = ((tc & 0x0f) << 4) | (fl >>> 16);
  put16(h, 2, fl & 0xffff);
  put16(h, 4, f.payloadLength);
  h[6] = f.nextHeader;
  h[7] = hl;
  h.set(src, 8);
  h.set(dst, 24);
  return h;
}
