// Packet Sender's saved packets ↔ ours. Its packets.ini (QSettings INI: a
// [NAMES] index, `1\name=…`, `size=N`, and one group per packet named after
// it) and its JSON export (an array, lowercase keys, numbers as strings,
// `asciistring` in base64). Field meanings follow Packet Sender's packet.cpp:
// hexString is the data ("48 65 6C 6C 6F ", QByteArray::fromHex reads it),
// tcpOrUdp is TCP, UDP, SSL, DTLS or "HTTP GET" / "HTTPS POST" in any case,
// repeat is "resend every N seconds" (0 = once), toIP and port the target.
import * as v from 'valibot';
import { toBase64, toHex } from '../../shared/codec/index.js';
import { formatSavedData, PROTOCOL_CAPS, SavedPacket, savedPacketBytes, type PacketProtocol } from '../../shared/contract/workspace.js';
import { ipFamily, parseSocketTarget } from '../../shared/net/address.js';
import { readIni, writeIni, type IniValue } from './qsettings-ini.js';

/** One packet as Packet Sender holds it (the fields we read and write). */
export interface PsPacket {
  name: string;
  tcpOrUdp: string;
  toIP: string;
  port: number;
  hexString: string;
  repeat: number;
  requestPath: string;
}

export type Converted = { ok: true; packet: SavedPacket } | { ok: false; name: string; reason: string };

/** QByteArray::fromHex: hex digits in pairs, anything else skipped, read from the end (an odd digit stands alone first). */
export function fromHexLenient(text: string): Uint8Array {
  const digits = text.replace(/[^0-9a-fA-F]/g, '');
  const out: number[] = [];
  for (let i = digits.length; i > 0; i -= 2) out.unshift(parseInt(digits.slice(Math.max(0, i - 2), i), 16));
  return Uint8Array.from(out);
}

/** Packet Sender's hexString: uppercase pairs, each followed by a space (so it ends in one). */
export const psHex = (bytes: Uint8Array): string => (bytes.length ? `${toHex(bytes, ' ').toUpperCase()} ` : '');

/** Packet Sender's "ASCII" view of bytes (Packet::hexToASCII): printable as is, \n \r \t \\, others \hh. */
export function psAscii(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) {
    if (b >= 0x20 && b <= 0x7e && b !== 0x5c) s += String.fromCharCode(b);
    else if (b === 0x0a) s += '\\n';
    else if (b === 0x0d) s += '\\r';
    else if (b === 0x09) s += '\\t';
    else if (b === 0x5c) s += '\\\\';
    else s += `\\${b.toString(16).padStart(2, '0')}`;
  }
  return s;
}

/** The inverse of psAscii (Packet::ASCIITohex for what psAscii writes). */
export function fromPsAscii(s: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\') {
      out.push(c.charCodeAt(0) & 0xff);
      continue;
    }
    const n = s[i + 1];
    if (n === 'n') out.push(0x0a);
    else if (n === 'r') out.push(0x0d);
    else if (n === 't') out.push(0x09);
    else if (n === '\\') out.push(0x5c);
    else if (n !== undefined && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      out.push(parseInt(s.slice(i + 1, i + 3), 16));
      i++;
    } else if (n === undefined) break;
    i++;
  }
  return Uint8Array.from(out);
}

/** tcpOrUdp → our protocol (and an HTTP method), as Packet Sender's isTCP / isUDP / isSSL / isDTLS / isHTTP read it. */
function protocolOf(tcpOrUdp: string): { protocol: PacketProtocol; method?: string } | null {
  const t = tcpOrUdp.trim().toLowerCase();
  if (t === '') return { protocol: 'tcp' };
  if (t === 'dtls') return { protocol: 'dtls' };
  if (t.includes('https')) return { protocol: 'https', method: t.includes('post') ? 'POST' : 'GET' };
  if (t.includes('http')) return { protocol: 'http', method: t.includes('post') ? 'POST' : 'GET' };
  if (t.includes('ssl')) return { protocol: 'tls' };
  if (t === 'udp') return { protocol: 'udp' };
  if (t.includes('tcp')) return { protocol: 'tcp' };
  return null;
}

/** One Packet Sender packet as ours, or why it cannot be. */
export function fromPs(ps: PsPacket): Converted {
  const name = ps.name.trim();
  if (name === '') return { ok: false, name: '(no name)', reason: 'the packet has no name' };
  const kind = protocolOf(ps.tcpOrUdp);
  if (!kind) return { ok: false, name, reason: `tcpOrUdp "${ps.tcpOrUdp}" is not TCP, UDP, SSL, DTLS or HTTP` };
  const host = ps.toIP.trim();
  if (host === '') return { ok: false, name, reason: 'toIP (the address) is empty' };
  if (!Number.isInteger(ps.port) || ps.port < 0 || ps.port > 65535) return { ok: false, name, reason: `port ${ps.port} is not 0–65535` };
  const target = ipFamily(host) === 6 ? `[${host}]:${ps.port}` : `${host}:${ps.port}`;
  const bytes = fromHexLenient(ps.hexString);
  const packet: SavedPacket = { name, protocol: kind.protocol, target, data: formatSavedData(bytes) };
  if (kind.method) packet.http = { method: kind.method, ...(ps.requestPath ? { path: ps.requestPath } : {}) };
  if (ps.repeat > 0) packet.repeat = { intervalMs: Math.round(ps.repeat * 1000) };
  const checked = v.safeParse(SavedPacket, packet);
  if (!checked.success) {
    const issue = checked.issues[0];
    return { ok: false, name, reason: issue.message };
  }
  return { ok: true, packet: checked.output };
}

/** Ours as Packet Sender's, or why it has no equivalent there (AF_UNIX, crafted raw packets). */
export function toPs(p: SavedPacket): { ok: true; ps: PsPacket } | { ok: false; reason: string } {
  const tcpOrUdp: Partial<Record<PacketProtocol, string>> = { tcp: 'TCP', udp: 'UDP', tls: 'SSL', ssl: 'SSL', dtls: 'DTLS' };
  let kind = tcpOrUdp[p.protocol];
  if (p.protocol === 'http' || p.protocol === 'https') kind = `${p.protocol.toUpperCase()} ${(p.http?.method ?? 'GET').toUpperCase()}`;
  if (!kind) return { ok: false, reason: `Packet Sender has no ${p.protocol} packets` };
  const t = parseSocketTarget(p.target ?? '', null, { hostNames: true });
  if (!t.ok) return { ok: false, reason: t.message };
  const data = savedPacketBytes(p);
  if (!data.ok) return { ok: false, reason: data.error.message };
  return {
    ok: true,
    ps: {
      name: p.name,
      tcpOrUdp: kind,
      toIP: t.target.address,
      port: t.target.port,
      hexString: psHex(data.bytes),
      repeat: p.repeat?.intervalMs ? p.repeat.intervalMs / 1000 : 0,
      requestPath: p.http?.path ?? '',
    },
  };
}

const str = (x: IniValue | undefined): string => (x === undefined ? '' : typeof x === 'string' ? x : Array.isArray(x) ? x.join(', ') : 'variant' in x ? String(x.variant) : '');
const num = (x: IniValue | undefined): number => {
  if (x !== undefined && typeof x === 'object' && !Array.isArray(x) && 'variant' in x) return Number(x.variant);
  const n = Number(str(x).trim());
  return Number.isFinite(n) ? n : 0;
};

export interface PsRead {
  packets: PsPacket[];
  /** Entries that could not be read at all. */
  refused: { name: string; reason: string }[];
}

/** packets.ini: the names of [NAMES], then each one's group. */
export function readPacketsIni(text: string): PsRead {
  const ini = readIni(text);
  const size = num(ini.get('NAMES/size'));
  const names: string[] = [];
  for (let i = 1; i <= size; i++) {
    const n = ini.get(`NAMES/${i}/name`);
    if (n !== undefined) names.push(str(n));
  }
  const packets: PsPacket[] = [];
  const refused: PsRead['refused'] = [];
  const listed = new Set(names);
  for (const name of names) {
    const get = (k: string): IniValue | undefined => ini.get(`${name}/${k}`);
    if (![...ini.keys()].some((k) => k.startsWith(`${name}/`))) {
      refused.push({ name, reason: `listed in [NAMES] but the file has no [${name}] group` });
      continue;
    }
    const repeat = get('repeat');
    if (repeat !== undefined && typeof repeat === 'object' && !Array.isArray(repeat) && 'invalidVariant' in repeat) {
      refused.push({ name, reason: `repeat: a @Variant Sockbench cannot read (${repeat.invalidVariant})` });
      continue;
    }
    packets.push({
      name,
      tcpOrUdp: str(get('tcpOrUdp')) || 'TCP',
      toIP: str(get('toIP')),
      port: num(get('port')),
      hexString: str(get('hexString')),
      repeat: num(repeat),
      requestPath: str(get('requestPath')),
    });
  }
  // Groups with packet fields that [NAMES] does not list: Packet Sender does not show them either; say so.
  const groups = new Set([...ini.keys()].filter((k) => k.endsWith('/hexString') || k.endsWith('/tcpOrUdp')).map((k) => k.slice(0, k.lastIndexOf('/'))));
  for (const g of groups) if (!listed.has(g)) refused.push({ name: g, reason: 'the group is not listed in [NAMES] (Packet Sender ignores it too)' });
  return { packets, refused };
}

export function writePacketsIni(list: readonly PsPacket[]): string {
  const sections = [{ group: 'NAMES', keys: Object.fromEntries([...list.map((p, i) => [`${i + 1}/name`, p.name]), ['size', String(list.length)]]) as Record<string, string> }];
  for (const p of list) {
    sections.push({
      group: p.name,
      keys: {
        name: p.name,
        tcpOrUdp: p.tcpOrUdp,
        toIP: p.toIP,
        port: String(p.port),
        hexString: p.hexString,
        repeat: String(p.repeat),
        requestPath: p.requestPath,
        fromIP: '',
        fromPort: '0',
        sendResponse: '0',
      },
    });
  }
  return writeIni(sections);
}

/** Packet Sender's JSON export; numbers may come as strings (its own) or numbers (hand-written). */
export function readPacketsJson(text: string): PsRead {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { packets: [], refused: [{ name: '(file)', reason: `not JSON: ${(e as Error).message}` }] };
  }
  if (!Array.isArray(doc)) return { packets: [], refused: [{ name: '(file)', reason: 'Packet Sender JSON is an array of packets' }] };
  const packets: PsPacket[] = [];
  const refused: PsRead['refused'] = [];
  doc.forEach((x, i) => {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) {
      refused.push({ name: `#${i + 1}`, reason: 'not an object' });
      return;
    }
    const o = x as Record<string, unknown>;
    const s = (k: string): string => (typeof o[k] === 'string' ? (o[k] as string) : typeof o[k] === 'number' ? String(o[k]) : '');
    const n = (k: string): number => {
      const val = Number(s(k).trim() || 0);
      return Number.isFinite(val) ? val : 0;
    };
    let hexString = s('hexstring');
    if (hexString.trim() === '' && s('asciistring') !== '') hexString = psHex(fromPsAscii(Buffer.from(s('asciistring'), 'base64').toString('latin1')));
    packets.push({ name: s('name') || `#${i + 1}`, tcpOrUdp: s('tcporudp') || 'TCP', toIP: s('toip'), port: n('port'), hexString, repeat: n('repeat'), requestPath: s('requestpath') });
  });
  return { packets, refused };
}

/** As Packet Sender exports: lowercase keys, numbers as strings, asciistring in base64. */
export function writePacketsJson(list: readonly PsPacket[]): string {
  const out = list.map((p) => {
    const bytes = fromHexLenient(p.hexString);
    return {
      asciistring: toBase64(Uint8Array.from(psAscii(bytes), (c) => c.charCodeAt(0))),
      errorstring: '',
      fromip: '',
      fromport: '0',
      hexstring: p.hexString,
      name: p.name,
      port: String(p.port),
      repeat: String(p.repeat),
      requestpath: p.requestPath,
      sendresponse: '0',
      tcporudp: p.tcpOrUdp,
      toip: p.toIP,
    };
  });
  return `${JSON.stringify(out, null, 4)}\n`;
}

/** Whether a kind of ours can be sent here (from the protocol table). */
export const sendability = (p: SavedPacket): { sendable: boolean; reason?: string } => {
  const cap = PROTOCOL_CAPS[p.protocol];
  return cap.sendable ? { sendable: true } : { sendable: false, reason: cap.reason };
};
