// The pcapng reader (draft-ietf-opsawg-pcapng), which only tests need: it
// reads back what shared/packet/pcapng.ts wrote, or what tshark and dumpcap
// captured. It takes either byte order, several sections, IDB/EPB/SPB/
// obsolete PB (other blocks are skipped), any if_tsresol and if_tsoffset;
// it never throws and says which block at which offset it could not read.
import { BLOCK, BYTE_ORDER_MAGIC, LINKTYPE, OPT, pad4, type Option } from '../../shared/packet/pcapng.js';

/** A read that never throws: the value, or what is wrong and the byte offset where reading stopped. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string; offset: number };

const parsed = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
const parseError = (error: string, offset: number): { ok: false; error: string; offset: number } => ({ ok: false, error, offset });

export type LinkName = 'ipv4' | 'ipv6' | 'raw-ip' | 'ethernet' | 'linux-sll' | 'linux-sll2' | 'null' | 'other';

export interface PcapngInterface {
  /** The LINKTYPE_ number. */
  linkType: number;
  link: LinkName;
  snapLength: number;
  name?: string;
  /** Ticks per second, from if_tsresol (default 10^6). */
  ticksPerSecond: bigint;
  /** if_tsoffset, seconds added to every timestamp. */
  offsetSeconds: bigint;
}

export interface PcapngPacket {
  /** Index of the interface in its section. */
  interfaceId: number;
  linkType: number;
  link: LinkName;
  /** Microseconds since the epoch (rounded down); 0 for a Simple Packet Block, which has none. */
  timestampUs: number;
  /** Nanoseconds since the epoch (rounded down). */
  timestampNs: bigint;
  /** The captured bytes (a copy). */
  bytes: Uint8Array;
  /** Length on the wire; more than bytes.length when the capture was cut at the snap length. */
  originalLength: number;
  /** opt_comment values, in order. */
  comments: string[];
  /** Offset of the block in the file. */
  blockOffset: number;
}

export interface PcapngFile {
  /** shb_userappl of the first section, when given. */
  application?: string;
  /** Number of Section Header Blocks read. */
  sections: number;
  /** Interfaces of every section, in file order. */
  interfaces: PcapngInterface[];
  packets: PcapngPacket[];
}

const LINK_NAMES: Readonly<Record<number, LinkName>> = {
  [LINKTYPE.NULL]: 'null',
  [LINKTYPE.ETHERNET]: 'ethernet',
  [LINKTYPE.RAW]: 'raw-ip',
  [LINKTYPE.LINUX_SLL]: 'linux-sll',
  [LINKTYPE.IPV4]: 'ipv4',
  [LINKTYPE.IPV6]: 'ipv6',
  [LINKTYPE.LINUX_SLL2]: 'linux-sll2',
};

const BLOCK_NAMES: Readonly<Record<number, string>> = {
  [BLOCK.SHB]: 'Section Header Block',
  [BLOCK.IDB]: 'Interface Description Block',
  [BLOCK.OPB]: 'Packet Block (obsolete)',
  [BLOCK.SPB]: 'Simple Packet Block',
  [BLOCK.NRB]: 'Name Resolution Block',
  [BLOCK.ISB]: 'Interface Statistics Block',
  [BLOCK.EPB]: 'Enhanced Packet Block',
  [BLOCK.DSB]: 'Decryption Secrets Block',
};
const blockName = (type: number): string => BLOCK_NAMES[type] ?? `block of type 0x${type.toString(16).padStart(8, '0')}`;

const decoder = new TextDecoder('utf-8');

/** Options from `start` to `end` (exclusive); an error string when they overrun the block. */
function readOptions(v: DataView, start: number, end: number, le: boolean): Option[] | string {
  const out: Option[] = [];
  let o = start;
  // Each option takes at least 4 bytes, so this ends within (end − start) / 4 rounds.
  while (o + 4 <= end) {
    const code = v.getUint16(o, le);
    const len = v.getUint16(o + 2, le);
    if (code === OPT.ENDOFOPT) break;
    if (o + 4 + len > end) return `option ${code} at offset ${o} says ${len} bytes, only ${end - o - 4} left in the block`;
    out.push({ code, value: new Uint8Array(v.buffer, v.byteOffset + o + 4, len) });
    o += 4 + pad4(len);
  }
  return out;
}

function tsresol(b: number): bigint {
  // MSB clear: 10^-b seconds; set: 2^-(b & 0x7f) seconds.
  return b & 0x80 ? 1n << BigInt(b & 0x7f) : 10n ** BigInt(b);
}

/**
 * Reads a pcapng file: every packet of every section with its interface's
 * link type. Never throws; on malformed input gives { ok: false } with the
 * block, its offset and what is wrong.
 */
export function readPcapng(bytes: Uint8Array): Parsed<PcapngFile> {
  try {
    return read(bytes);
  } catch (e) {
    // Not expected (every read is bounds-checked first); kept so the API never throws.
    return parseError(`pcapng reader failed: ${(e as Error).message}`, 0);
  }
}

function read(bytes: Uint8Array): Parsed<PcapngFile> {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length;
  if (n >= 4) {
    const m = v.getUint32(0, true);
    if (m === 0xa1b2c3d4 || m === 0xd4c3b2a1 || m === 0xa1b23c4d || m === 0x4d3cb2a1) {
      return parseError('this is a classic pcap file (magic a1b2c3d4), not pcapng', 0);
    }
  }
  if (n < 28) return parseError(`a pcapng file starts with a Section Header Block of at least 28 bytes, ${n} present`, 0);
  if (v.getUint32(0, true) !== BLOCK.SHB) return parseError(`not pcapng: the first block is of type 0x${v.getUint32(0, true).toString(16)}, not a Section Header Block (0x0a0d0d0a)`, 0);

  const file: PcapngFile = { sections: 0, interfaces: [], packets: [] };
  let le = true;
  let section: PcapngInterface[] = [];
  let o = 0;
  // Every block is at least 12 bytes long, so this loop runs at most n / 12 times.
  while (o < n) {
    if (n - o < 12) return parseError(`${n - o} bytes at offset ${o} after the last block: too short for a block (12 bytes minimum)`, o);
    let type = v.getUint32(o, le);
    if (type === BLOCK.SHB) {
      const magic = v.getUint32(o + 8, true);
      if (magic === BYTE_ORDER_MAGIC) le = true;
      else if (magic === 0x4d3c2b1a) le = false;
      else return parseError(`Section Header Block at offset ${o}: byte-order magic is 0x${magic.toString(16)}, not 0x1a2b3c4d in either byte order`, o + 8);
      type = BLOCK.SHB;
    }
    const name = blockName(type);
    const len = v.getUint32(o + 4, le);
    if (len < 12 || len % 4 !== 0) return parseError(`${name} at offset ${o}: block total length ${len} is ${len < 12 ? 'below the minimum of 12' : 'not a multiple of 4'}`, o + 4);
    if (len > n - o) return parseError(`${name} at offset ${o}: block total length ${len} runs past the end of the file (${n - o} bytes left)`, o + 4);
    const trailer = v.getUint32(o + len - 4, le);
    if (trailer !== len) return parseError(`${name} at offset ${o}: trailing block total length ${trailer} differs from the leading ${len}`, o + len - 4);
    const end = o + len - 4; // end of body + options
    const need = (min: number): string | null => (len < min ? `${name} at offset ${o}: block total length ${len} is below its minimum of ${min}` : null);

    switch (type) {
      case BLOCK.SHB: {
        const short = need(28);
        if (short) return parseError(short, o + 4);
        const major = v.getUint16(o + 12, le);
        if (major !== 1) return parseError(`Section Header Block at offset ${o}: major version ${major}, only 1 is known`, o + 12);
        const opts = readOptions(v, o + 24, end, le);
        if (typeof opts === 'string') return parseError(`Section Header Block at offset ${o}: ${opts}`, o);
        if (file.sections === 0) {
          const app = opts.find((x) => x.code === OPT.SHB_USERAPPL);
          if (app) file.application = decoder.decode(app.value);
        }
        file.sections++;
        section = [];
        break;
      }
      case BLOCK.IDB: {
        const short = need(20);
        if (short) return parseError(short, o + 4);
        const linkType = v.getUint16(o + 8, le);
        const opts = readOptions(v, o + 16, end, le);
        if (typeof opts === 'string') return parseError(`Interface Description Block at offset ${o}: ${opts}`, o);
        const itf: PcapngInterface = {
          linkType,
          link: LINK_NAMES[linkType] ?? 'other',
          snapLength: v.getUint32(o + 12, le),
          ticksPerSecond: 1_000_000n,
          offsetSeconds: 0n,
        };
        for (const opt of opts) {
          if (opt.code === OPT.IF_NAME) itf.name = decoder.decode(opt.value);
          else if (opt.code === OPT.IF_TSRESOL && opt.value.length >= 1) itf.ticksPerSecond = tsresol(opt.value[0]!);
          else if (opt.code === OPT.IF_TSOFFSET && opt.value.length >= 8) {
            itf.offsetSeconds = new DataView(opt.value.buffer, opt.value.byteOffset, 8).getBigInt64(0, le);
          }
        }
        section.push(itf);
        file.interfaces.push(itf);
        break;
      }
      case BLOCK.EPB:
      case BLOCK.OPB: {
        const short = need(32);
        if (short) return parseError(short, o + 4);
        const id = type === BLOCK.EPB ? v.getUint32(o + 8, le) : v.getUint16(o + 8, le);
        const itf = section[id];
        if (!itf) return parseError(`${name} at offset ${o}: interface ${id} is not described (${section.length} Interface Description Block${section.length === 1 ? '' : 's'} in this section)`, o + 8);
        const caplen = v.getUint32(o + 20, le);
        const origlen = v.getUint32(o + 24, le);
        if (caplen > len - 32) return parseError(`${name} at offset ${o}: captured length ${caplen} does not fit in the block (${len - 32} bytes of data at most)`, o + 20);
        const opts = readOptions(v, o + 28 + pad4(caplen), end, le);
        if (typeof opts === 'string') return parseError(`${name} at offset ${o}: ${opts}`, o);
        const ticks = (BigInt(v.getUint32(o + 12, le)) << 32n) | BigInt(v.getUint32(o + 16, le));
        const ns = ticks * 1_000_000_000n / itf.ticksPerSecond + itf.offsetSeconds * 1_000_000_000n;
        file.packets.push({
          interfaceId: id,
          linkType: itf.linkType,
          link: itf.link,
          timestampUs: Number(ns / 1000n),
          timestampNs: ns,
          bytes: bytes.slice(o + 28, o + 28 + caplen),
          originalLength: origlen,
          comments: opts.filter((x) => x.code === OPT.COMMENT).map((x) => decoder.decode(x.value)),
          blockOffset: o,
        });
        break;
      }
      case BLOCK.SPB: {
        const short = need(16);
        if (short) return parseError(short, o + 4);
        const itf = section[0];
        if (!itf) return parseError(`Simple Packet Block at offset ${o}: no Interface Description Block precedes it in this section`, o);
        const origlen = v.getUint32(o + 8, le);
        const room = len - 16;
        const caplen = Math.min(origlen, room, itf.snapLength === 0 ? room : itf.snapLength);
        file.packets.push({
          interfaceId: 0,
          linkType: itf.linkType,
          link: itf.link,
          timestampUs: 0,
          timestampNs: 0n,
          bytes: bytes.slice(o + 12, o + 12 + caplen),
          originalLength: origlen,
          comments: [],
          blockOffset: o,
        });
        break;
      }
      default:
        break; // NRB, ISB, DSB, custom…: nothing we need
    }
    o += len;
  }
  if (file.sections === 0) return parseError('no Section Header Block', 0);
  return parsed(file);
}

/**
 * The IP packet inside a captured frame: skips the Ethernet (with up to two
 * VLAN tags), Linux cooked (v1, v2) or BSD loopback header. For ipv4/ipv6/
 * raw-ip the bytes are the IP packet. Fails for other link types and for
 * frames that do not carry IPv4 or IPv6.
 */
export function ipPacketOf(p: Pick<PcapngPacket, 'linkType' | 'bytes'>): Parsed<{ family: 4 | 6; bytes: Uint8Array; offset: number }> {
  const b = p.bytes;
  let off: number;
  let ethertype: number | null = null;
  const be16 = (i: number): number => (b[i]! << 8) | b[i + 1]!;
  switch (p.linkType) {
    case LINKTYPE.RAW:
    case LINKTYPE.IPV4:
    case LINKTYPE.IPV6:
      off = 0;
      break;
    case LINKTYPE.ETHERNET: {
      if (b.length < 14) return parseError(`Ethernet header needs 14 bytes, ${b.length} present`, 0);
      off = 12;
      ethertype = be16(off);
      for (let tags = 0; tags < 2 && (ethertype === 0x8100 || ethertype === 0x88a8); tags++) {
        off += 4;
        if (b.length < off + 2) return parseError(`VLAN tag runs past the end of the frame (${b.length} bytes)`, off);
        ethertype = be16(off);
      }
      off += 2;
      break;
    }
    case LINKTYPE.LINUX_SLL:
      if (b.length < 16) return parseError(`Linux cooked header needs 16 bytes, ${b.length} present`, 0);
      ethertype = be16(14);
      off = 16;
      break;
    case LINKTYPE.LINUX_SLL2:
      if (b.length < 20) return parseError(`Linux cooked v2 header needs 20 bytes, ${b.length} present`, 0);
      ethertype = be16(0);
      off = 20;
      break;
    case LINKTYPE.NULL: {
      if (b.length < 4) return parseError(`loopback header needs 4 bytes, ${b.length} present`, 0);
      const fam = b[0]! | b[1]! | b[2]! | b[3]!; // AF_ value in host order: only one byte is non-zero
      off = 4;
      if (fam === 2) ethertype = 0x0800;
      else if (fam === 10 || fam === 24 || fam === 28 || fam === 30) ethertype = 0x86dd;
      else return parseError(`loopback header: address family ${fam} is neither IPv4 nor IPv6`, 0);
      break;
    }
    default:
      return parseError(`link type ${p.linkType} is not one whose IP packet can be found`, 0);
  }
  if (off > b.length) return parseError(`link-layer header runs past the end of the frame (${b.length} bytes)`, b.length);
  let family: 4 | 6;
  if (ethertype === 0x0800) family = 4;
  else if (ethertype === 0x86dd) family = 6;
  else if (ethertype !== null) return parseError(`ethertype 0x${ethertype.toString(16).padStart(4, '0')} is neither IPv4 nor IPv6`, off - 2);
  else if (p.linkType === LINKTYPE.IPV4) family = 4;
  else if (p.linkType === LINKTYPE.IPV6) family = 6;
  else {
    const version = b.length > 0 ? b[0]! >>> 4 : -1;
    if (version !== 4 && version !== 6) return parseError(`raw IP packet has version ${version}, neither 4 nor 6`, 0);
    family = version;
  }
  return parsed({ family, bytes: b.subarray(off), offset: off });
}
