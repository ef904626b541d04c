// What the composer would save: a session and its draft as a saved packet
// (protocol from the socket's family and type, target from its peer or the
// sendto fields, the data as written in its mode and encoding, the append choice).
import type { SessionInfo } from '../../../shared/contract/index.js';
import type { PacketProtocol, SavedPacket } from '../../../shared/contract/workspace.js';
import { formatHostPort } from '../../../shared/net/address.js';
import { draftBytes, type Draft } from '../stores/composer.js';

export function protocolOf(s: Pick<SessionInfo, 'family' | 'type' | 'tls'>): PacketProtocol {
  if (s.family === 'AF_UNIX') return s.type === 'SOCK_STREAM' ? 'unix-stream' : s.type === 'SOCK_DGRAM' ? 'unix-dgram' : 'unix-seqpacket';
  if (s.type === 'SOCK_DGRAM') return 'udp';
  // A TLS client that connected with TLS is sent again the same way (a STARTTLS upgrade is not: its packet would be the plain part).
  return s.tls?.role === 'client' && s.tls.via === 'connect' ? 'tls' : 'tcp';
}

/** The TLS options a saved packet of a TLS client session keeps: the name and protocols it offered, its extra CA file, its client certificate and key files, the versions it allowed, and verification off if it was. */
function tlsOf(s: SessionInfo): SavedPacket['tls'] | undefined {
  const t = s.tls;
  if (!t || protocolOf(s) !== 'tls') return undefined;
  const o = {
    ...(t.servername ? { servername: t.servername } : {}),
    ...(t.alpnOffered?.length ? { alpn: t.alpnOffered } : {}),
    ...(t.caFile ? { ca: t.caFile } : {}),
    ...(t.certFile && t.keyFile ? { cert: t.certFile, key: t.keyFile } : {}),
    ...(t.minVersion ? { minVersion: t.minVersion } : {}),
    ...(t.maxVersion ? { maxVersion: t.maxVersion } : {}),
    ...(t.verify && !t.verify.on ? { verify: false } : {}),
  };
  return Object.keys(o).length ? o : undefined;
}

/** The draft's data as a saved packet writes it (what `append` adds is saved as `append`); null when the draft does not parse. */
export function dataOf(d: Draft): string | null {
  if (!draftBytes(d).ok) return null;
  if (d.mode === 'text') return d.text;
  if (d.mode === 'hex') return `hex:${d.text.trim()}`;
  return `base64:${d.text.trim()}`;
}

/** Where the packet goes: the sendto fields of a datagram session, else its peer. */
export function targetOf(s: SessionInfo, d: Draft): string | undefined {
  const unix = s.family === 'AF_UNIX';
  if (s.type === 'SOCK_DGRAM' && d.address.trim() !== '') {
    return unix ? d.address.trim() : formatHostPort(d.address.trim(), Number(d.port) || 0);
  }
  if (s.peer && (s.peer.address !== '' || s.peer.port !== 0)) return formatHostPort(s.peer.address, s.peer.port, s.family);
  return undefined;
}

/** A saved packet from the composer (without a name yet), or why not. */
export function fromComposer(s: SessionInfo, d: Draft): Omit<SavedPacket, 'name'> | { error: 'data' | 'target' } {
  const data = dataOf(d);
  if (data === null) return { error: 'data' };
  const target = targetOf(s, d);
  if (target === undefined) return { error: 'target' };
  const tls = tlsOf(s);
  return {
    protocol: protocolOf(s), target, data,
    ...(tls ? { tls } : {}),
    ...(d.mode === 'text' && d.encoding !== 'utf-8' ? { encoding: d.encoding } : {}),
    ...(d.append !== 'none' ? { append: d.append } : {}),
  };
}
