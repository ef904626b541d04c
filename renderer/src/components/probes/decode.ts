// What a received raw packet is, as far as shared/packet's parsers go:
// layers (IPv4/IPv6 header, ICMP/ICMPv6/UDP) each with a one-line summary
// and the bytes it covers; whatever could not be decoded stays hex.
import {
  parseIcmp, parseIcmpv6, parseIPv4Header, parseIPv6Header, parseUdpHeader,
  type IcmpMessage, type Icmpv6Message, type QuotedPacket,
} from '../../../../shared/packet/index.js';

export interface Layer {
  name: string;
  summary: string;
  start: number;
  end: number;
}

export interface Decoded {
  layers: Layer[];
  /** Where decoding stopped: the rest is shown as hex. */
  restOffset: number;
  /** Why it stopped early, if a parser refused the bytes. */
  error?: string;
}

const hex16 = (n: number) => `0x${n.toString(16).padStart(4, '0')}`;

function quotedSummary(q: QuotedPacket): string {
  let s = `quoting ${q.source} → ${q.destination}`;
  if (q.echo) s += ` echo id ${hex16(q.echo.identifier)} seq ${q.echo.sequence}`;
  else if (q.udp) s += ` UDP ${q.udp.sourcePort} → ${q.udp.destinationPort}`;
  else if (q.tcp) s += ` TCP ${q.tcp.sourcePort} → ${q.tcp.destinationPort}`;
  return s;
}

function icmpSummary(m: IcmpMessage | Icmpv6Message): string {
  const ck = m.checksumOk === null ? '' : m.checksumOk ? '' : ', bad checksum';
  switch (m.kind) {
    case 'echo-request':
    case 'echo-reply':
      return `${m.kind.replace('-', ' ')} id ${hex16(m.identifier)} seq ${m.sequence}, ${m.payload.length} B data${ck}`;
    case 'other':
      return `type ${m.type} code ${m.code}${ck}`;
    default:
      return `${m.kind.replace(/-/g, ' ')} (${m.codeName})${m.quoted ? `, ${quotedSummary(m.quoted)}` : ''}${ck}`;
  }
}

/**
 * `ipHeader`: the packet starts with its IP header (IPv4 raw sockets);
 * otherwise it starts at the transport (ICMPv6 raw sockets). `protocol`:
 * what the socket was opened for, used when there is no IP header.
 */
export function decodePacket(bytes: Uint8Array, family: 4 | 6, ipHeader: boolean, protocol: number): Decoded {
  const layers: Layer[] = [];
  let at = 0;
  let proto = protocol;
  let end = bytes.length;
  if (ipHeader) {
    if (family === 4 || (bytes.length > 0 && bytes[0]! >>> 4 === 4)) {
      const r = parseIPv4Header(bytes, 0);
      if (!r.ok) return { layers, restOffset: 0, error: r.error };
      const h = r.value;
      layers.push({
        name: 'IPv4',
        summary: `${h.source} → ${h.destination} ttl ${h.ttl} id ${hex16(h.identification)}${h.flags.df ? ' DF' : ''} len ${h.totalLength}${h.tos ? ` tos 0x${h.tos.toString(16)}` : ''}${h.checksumOk ? '' : ', bad checksum'}`,
        start: 0,
        end: h.headerLength,
      });
      at = h.headerLength;
      end = h.payloadOffset + h.payloadLength;
      proto = h.protocol;
    } else {
      const r = parseIPv6Header(bytes, 0);
      if (!r.ok) return { layers, restOffset: 0, error: r.error };
      const h = r.value;
      layers.push({ name: 'IPv6', summary: `${h.source} → ${h.destination} hlim ${h.hopLimit} len ${h.payloadLength}`, start: 0, end: h.payloadOffset });
      at = h.payloadOffset;
      proto = h.protocol;
    }
  }
  const body = bytes.subarray(0, end);
  if (proto === 1 && (family === 4 || ipHeader)) {
    const r = parseIcmp(body, at);
    if (!r.ok) return { layers, restOffset: at, error: r.error };
    const headerEnd = at + 8;
    layers.push({ name: 'ICMP', summary: icmpSummary(r.value), start: at, end: headerEnd });
    return { layers, restOffset: headerEnd };
  }
  if (proto === 58) {
    const r = parseIcmpv6(body, at);
    if (!r.ok) return { layers, restOffset: at, error: r.error };
    layers.push({ name: 'ICMPv6', summary: icmpSummary(r.value), start: at, end: at + 8 });
    return { layers, restOffset: at + 8 };
  }
  if (proto === 17) {
    const r = parseUdpHeader(body, at);
    if (!r.ok) return { layers, restOffset: at, error: r.error };
    layers.push({ name: 'UDP', summary: `${r.value.sourcePort} → ${r.value.destinationPort} len ${r.value.length}`, start: at, end: at + 8 });
    return { layers, restOffset: at + 8 };
  }
  return { layers, restOffset: at };
}

/** The one-line summary of a decoded packet, innermost layer last. */
export function summary(d: Decoded): string {
  const s = d.layers.map((l) => `${l.name} ${l.summary}`).join(' · ');
  return d.error ? `${s}${s ? ' · ' : ''}${d.error}` : s;
}
