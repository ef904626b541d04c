// pcapng of crafted packets: LINKTYPE_IPV4 / IPV6 so Wireshark dissects even
// deliberately broken headers. A stack without an IP layer (the kernel would
// write that header) gets a synthetic one, built by the same codecs, so the
// file still opens as IP.
import { buildStack, type LayerKind } from '../../../../shared/packet/index.js';
import { writePcapng, type PcapngPacketIn } from '../../../../shared/packet/pcapng.js';

const PROTO: Partial<Record<LayerKind, number>> = { icmp: 1, tcp: 6, udp: 17, icmpv6: 58 };

/** The packet as an IP packet for the file: as is when it starts with IP, else behind a synthetic header to `dst`. */
export function asIpPacket(bytes: Uint8Array, first: LayerKind, dst: string, src?: string): Omit<PcapngPacketIn, 'timestampUs' | 'comment'> {
  if (first === 'ipv4') return { bytes, linkType: 'ipv4' };
  if (first === 'ipv6') return { bytes, linkType: 'ipv6' };
  const v6 = first === 'icmpv6' || dst.includes(':');
  const proto = PROTO[first] ?? 59;
  const head = v6
    ? buildStack([{ kind: 'ipv6', fields: { dst, ...(src ? { src } : {}), nh: proto, plen: bytes.length } }])
    : buildStack([{ kind: 'ipv4', fields: { dst, ...(src ? { src } : {}), proto: proto === 59 ? 253 : proto, len: 20 + bytes.length } }]);
  if (!head.ok) return { bytes, linkType: 'raw-ip' };
  const out = new Uint8Array(head.bytes.length + bytes.length);
  out.set(head.bytes);
  out.set(bytes, head.bytes.length);
  return { bytes: out, linkType: v6 ? 'ipv6' : 'ipv4' };
}

export function pcapng(packets: readonly PcapngPacketIn[]): Uint8Array {
  return writePcapng(packets, { application: 'Sockbench crafter' });
}
