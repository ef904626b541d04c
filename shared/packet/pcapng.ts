// pcapng (draft-ietf-opsawg-pcapng): write crafted IP packets so Wireshark
// and tshark open them. Pure TypeScript (Uint8Array and DataView only): it
// runs in the renderer too. (The reader, which only tests need, is
// test/support/pcapng-reader.ts.)
//
// Link type: each IP family gets its own interface, LINKTYPE_IPV4 (228) for
// 'ipv4' and LINKTYPE_IPV6 (229) for 'ipv6'. With these, tshark hands the
// bytes straight to the IPv4 or IPv6 dissector, whatever the first nibble
// says, so a crafted packet with a wrong version field is still dissected
// (and flagged as bogus) instead of ending up as undissected data, which is
// what LINKTYPE_RAW (101) does: it guesses the family from the version
// nibble. 'raw-ip' asks for LINKTYPE_RAW, for bytes whose family is unknown.
// No synthetic Ethernet header is needed: Wireshark since 1.x reads all three.
//
// The writer writes little-endian, one section, an Interface Description
// Block per link type used (in order of first use) with if_tsresol = 6
// (microseconds, the default, written out), and an Enhanced Packet Block per
// packet with an opt_comment when the packet has one.
import { concat } from './bytes.js';

/** Link-layer header types (https://www.tcpdump.org/linktypes.html): the writer's three and those the tests' reader knows by name. */
export const LINKTYPE = {
  NULL: 0,
  ETHERNET: 1,
  RAW: 101,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

export type PcapngLinkType = 'ipv4' | 'ipv6' | 'raw-ip';

export interface PcapngPacketIn {
  /** The packet from its IP header on. */
  bytes: Uint8Array;
  linkType: PcapngLinkType;
  /** Microseconds since the Unix epoch; default: opts.timestampUs, else now. */
  timestampUs?: number | bigint;
  /** Shown by Wireshark as the packet comment (pkt_comment / frame.comment). */
  comment?: string;
}

export interface PcapngWriteOptions {
  /** shb_userappl; default 'Sockbench'. */
  application?: string;
  /** Timestamp of packets that have none (µs since the epoch); default Date.now(). */
  timestampUs?: number | bigint;
}

/** Block types and option codes, for the writer and the tests' reader. */
export const BLOCK = { SHB: 0x0a0d0d0a, IDB: 1, OPB: 2, SPB: 3, NRB: 4, ISB: 5, EPB: 6, DSB: 0x0a } as const;
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
export const OPT = { ENDOFOPT: 0, COMMENT: 1, SHB_USERAPPL: 4, IF_NAME: 2, IF_TSRESOL: 9, IF_TSOFFSET: 14 } as const;

const LINK_NUMBER: Record<PcapngLinkType, number> = { ipv4: LINKTYPE.IPV4, ipv6: LINKTYPE.IPV6, 'raw-ip': LINKTYPE.RAW };
const MAX_U64 = (1n << 64n) - 1n;

export const pad4 = (n: number): number => (n + 3) & ~3;

export interface Option {
  code: number;
  value: Uint8Array;
}

const optionsLength = (opts: readonly Option[]): number =>
  opts.length === 0 ? 0 : opts.reduce((n, o) => n + 4 + pad4(o.value.length), 0) + 4;

/** Writes one block: type, total length, body, options (+ opt_endofopt), total length again. */
function block(type: number, body: Uint8Array, opts: readonly Option[] = []): Uint8Array {
  const total = 8 + pad4(body.length) + optionsLength(opts) + 4;
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  v.setUint32(0, type, true);
  v.setUint32(4, total, true);
  out.set(body, 8);
  let o = 8 + pad4(body.length);
  for (const opt of opts) {
    if (opt.value.length > 0xffff) throw new RangeError(`pcapng option ${opt.code} is ${opt.value.length} bytes, at most 65535 fit`);
    v.setUint16(o, opt.code, true);
    v.setUint16(o + 2, opt.value.length, true);
    out.set(opt.value, o + 4);
    o += 4 + pad4(opt.value.length);
  }
  if (opts.length > 0) o += 4; // opt_endofopt: code 0, length 0
  v.setUint32(o, total, true);
  return out;
}

function toTicks(name: string, t: number | bigint): bigint {
  if (typeof t === 'bigint') {
    if (t < 0n || t > MAX_U64) throw new RangeError(`${name} must be in 0..2^64-1 microseconds, got ${t}`);
    return t;
  }
  if (!Number.isSafeInteger(t) || t < 0) throw new RangeError(`${name} must be a non-negative safe integer (microseconds), got ${t}`);
  return BigInt(t);
}

/**
 * A pcapng file holding `packets`, in order. Throws RangeError for input out
 * of range (a timestamp below 0 or not an integer, a comment over 65535
 * bytes, an unknown link type): the input is the program's own.
 */
export function writePcapng(packets: readonly PcapngPacketIn[], opts: PcapngWriteOptions = {}): Uint8Array {
  const enc = new TextEncoder();
  const defaultTs = toTicks('opts.timestampUs', opts.timestampUs ?? Date.now() * 1000);
  const blocks: Uint8Array[] = [];

  const shb = new Uint8Array(16);
  const sv = new DataView(shb.buffer);
  sv.setUint32(0, BYTE_ORDER_MAGIC, true);
  sv.setUint16(4, 1, true); // major
  sv.setUint16(6, 0, true); // minor
  sv.setBigUint64(8, MAX_U64, true); // section length: not given (-1)
  blocks.push(block(BLOCK.SHB, shb, [{ code: OPT.SHB_USERAPPL, value: enc.encode(opts.application ?? 'Sockbench') }]));

  const interfaceOf = new Map<PcapngLinkType, number>();
  packets.forEach((p, i) => {
    if (!Object.hasOwn(LINK_NUMBER, p.linkType)) throw new RangeError(`packet ${i}: link type must be 'ipv4', 'ipv6' or 'raw-ip', got ${String(p.linkType)}`);
    if (interfaceOf.has(p.linkType)) return;
    interfaceOf.set(p.linkType, interfaceOf.size);
    const idb = new Uint8Array(8);
    const iv = new DataView(idb.buffer);
    iv.setUint16(0, LINK_NUMBER[p.linkType], true);
    iv.setUint32(4, 0, true); // snaplen: no limit
    blocks.push(block(BLOCK.IDB, idb, [
      { code: OPT.IF_NAME, value: enc.encode(`sockbench-${p.linkType}`) },
      { code: OPT.IF_TSRESOL, value: Uint8Array.of(6) },
    ]));
  });

  packets.forEach((p, i) => {
    const ticks = p.timestampUs === undefined ? defaultTs : toTicks(`packet ${i}: timestampUs`, p.timestampUs);
    const head = new Uint8Array(20 + p.bytes.length);
    const hv = new DataView(head.buffer);
    hv.setUint32(0, interfaceOf.get(p.linkType)!, true);
    hv.setUint32(4, Number(ticks >> 32n), true);
    hv.setUint32(8, Number(ticks & 0xffffffffn), true);
    hv.setUint32(12, p.bytes.length, true); // captured length
    hv.setUint32(16, p.bytes.length, true); // original length
    head.set(p.bytes, 20);
    const options: Option[] = p.comment === undefined ? [] : [{ code: OPT.COMMENT, value: enc.encode(p.comment) }];
    try {
      blocks.push(block(BLOCK.EPB, head, options));
    } catch (e) {
      throw new RangeError(`packet ${i}: ${(e as Error).message}`, { cause: e });
    }
  });

  return concat(...blocks);
}
