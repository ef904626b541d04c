// A session's data as pcapng, for Wireshark: the bytes a socket sent and
// received never had headers we saw, so each chunk gets synthetic IP and
// TCP/UDP headers (built by the codecs, checksums right) with the session's
// real addresses and ports.
// - TCP: a handshake, then each chunk a segment (split at 65,000 bytes) with
//   sequence and acknowledgement numbers counted from the bytes each way, so
//   "Follow TCP Stream" shows the conversation as it happened. Bytes the
//   session's ring let go before are counted into the sequence numbers (the
//   stream shows them missing) and the first packet's comment says how many.
// - UDP: one datagram per chunk, with its real peer (sendto / recvfrom).
// - AF_UNIX has no addresses or ports on the wire: streams are written as TCP
//   and datagram/seqpacket sockets as UDP (one per message) between
//   127.0.0.1 ports standing for the two ends, and the first packet's
//   comment names the socket path and says the headers are synthetic.
import { buildStack } from './build.js';
import { writePcapng, type PcapngPacketIn } from './pcapng.js';
import type { Layer } from './spec.js';

export interface SessionChunk {
  dir: 'in' | 'out';
  /** Microseconds on the session's clock. */
  tUs: number;
  bytes: Uint8Array;
  /** Datagrams: where it went (out) or came from (in). */
  addr?: { family: string; address: string; port: number };
}

export interface SessionForPcap {
  id: number;
  family: 'AF_INET' | 'AF_INET6' | 'AF_UNIX';
  type: 'SOCK_STREAM' | 'SOCK_DGRAM' | 'SOCK_SEQPACKET';
  local?: { address: string; port: number };
  peer?: { address: string; port: number };
  /** An accepted connection: the peer opened it. */
  accepted: boolean;
  counters: { bytesIn: number; bytesOut: number };
  createdUs: number;
}

const SEGMENT = 65_000;
const FLAG = { FIN: 1, SYN: 2, PSH: 8, ACK: 16 } as const;
const ISN = { client: 1_000_000, server: 5_000_000 };

interface End {
  address: string;
  port: number;
}

const stripScope = (a: string): string => a.replace(/%.*$/, '');
const isUnspecified = (a: string): boolean => a === '' || a === '0.0.0.0' || a === '::';
const isLoopback = (a: string): boolean => a.startsWith('127.') || a === '::1';

/** This socket's address as the peer saw it: a wildcard bind talking to loopback went out from loopback. */
function localEnd(local: End | undefined, other: End | undefined, v6: boolean): End {
  const loop = v6 ? '::1' : '127.0.0.1';
  if (!local || isUnspecified(local.address)) {
    const via = other && isLoopback(stripScope(other.address)) ? loop : v6 ? '::' : '0.0.0.0';
    return { address: via, port: local?.port ?? 0 };
  }
  return { address: stripScope(local.address), port: local.port };
}

export interface SessionPackets {
  packets: PcapngPacketIn[];
  lostBytes: number;
  lostChunks: number;
}

/** One pcapng file of several sessions' packets, in time order. */
export function pcapngOf(sessions: readonly SessionPackets[]): Uint8Array {
  const all = sessions.flatMap((s) => s.packets);
  all.sort((a, b) => Number(a.timestampUs ?? 0) - Number(b.timestampUs ?? 0));
  return writePcapng(all, { application: 'Sockbench' });
}

/**
 * The packets of `chunks` (what the session still holds, oldest first);
 * `lostChunks` is how many chunks its ring let go before them; `epochUs` is
 * the wall-clock time of the session clock's 0.
 */
export function sessionPackets(s: SessionForPcap, chunks: readonly SessionChunk[], lostChunks: number, epochUs: number): SessionPackets {
  const heldIn = chunks.reduce((n, c) => n + (c.dir === 'in' ? c.bytes.length : 0), 0);
  const heldOut = chunks.reduce((n, c) => n + (c.dir === 'out' ? c.bytes.length : 0), 0);
  const lostIn = Math.max(0, s.counters.bytesIn - heldIn);
  const lostOut = Math.max(0, s.counters.bytesOut - heldOut);
  const unix = s.family === 'AF_UNIX';
  const v6 = s.family === 'AF_INET6';
  const ip = (src: End, dst: End): Layer => (v6 ? { kind: 'ipv6', fields: { src: src.address, dst: dst.address, hlim: 64 } } : { kind: 'ipv4', fields: { src: src.address, dst: dst.address, ttl: 64, flags: 2 } });
  const out: PcapngPacketIn[] = [];
  const ts = (tUs: number): number => Math.max(0, Math.round(epochUs + tUs));
  const push = (layers: Layer[], tUs: number, comment?: string): void => {
    const b = buildStack(layers);
    if (!b.ok) throw new RangeError(`session #${s.id}: ${b.message}`);
    out.push({ bytes: b.bytes, linkType: v6 ? 'ipv6' : 'ipv4', timestampUs: ts(tUs), ...(comment ? { comment } : {}) });
  };

  let me: End;
  let them: End;
  let note: string | undefined;
  if (unix) {
    me = { address: '127.0.0.1', port: 49152 + (s.id % 16000) };
    them = { address: '127.0.0.1', port: 65535 };
    const path = (a?: { address: string }): string => (a?.address ? a.address : '(unnamed)');
    note = `AF_UNIX ${s.type} ${path(s.local)} ↔ ${path(s.peer)}: AF_UNIX has no IP addresses or ports, so these ${s.type === 'SOCK_STREAM' ? 'IP and TCP' : 'IP and UDP'} headers are synthetic; port ${me.port} stands for this socket, ${them.port} for its peer`;
  } else {
    them = s.peer ? { address: stripScope(s.peer.address), port: s.peer.port } : { address: v6 ? '::' : '0.0.0.0', port: 0 };
    me = localEnd(s.local, s.peer, v6);
  }
  const lostNote = lostChunks > 0 || lostIn + lostOut > 0
    ? `the session's data ring had let go ${lostOut + lostIn} earlier bytes (${lostChunks} chunks: ${lostOut} sent, ${lostIn} received) before this packet`
    : undefined;
  const first = (): string | undefined => {
    const c = [note, lostNote].filter(Boolean).join('; ');
    note = undefined;
    return c || undefined;
  };

  if (s.type === 'SOCK_STREAM') {
    // Sequence numbers: what each side has sent so far, including bytes the ring let go.
    const client = s.accepted ? them : me;
    const server = s.accepted ? me : them;
    const meIsClient = client === me;
    const isn = { me: meIsClient ? ISN.client : ISN.server, them: meIsClient ? ISN.server : ISN.client };
    const next = { me: isn.me + 1 + lostOut, them: isn.them + 1 + lostIn };
    const tcp = (src: End, dst: End, seq: number, ack: number, flags: number, load?: Uint8Array): Layer[] => [
      ip(src, dst),
      { kind: 'tcp', fields: { sport: src.port, dport: dst.port, seq: seq >>> 0, ack: ack >>> 0, flags, window: 65535 } },
      ...(load && load.length ? [{ kind: 'payload' as const, fields: { load } }] : []),
    ];
    if (lostNote === undefined) {
      const t0 = chunks.length ? Math.min(chunks[0]!.tUs, s.createdUs) : s.createdUs;
      const cIsn = meIsClient ? isn.me : isn.them;
      const sIsn = meIsClient ? isn.them : isn.me;
      push(tcp(client, server, cIsn, 0, FLAG.SYN), t0, first() ?? 'synthetic handshake: the connection as it began (headers are not the kernel\'s)');
      push(tcp(server, client, sIsn, cIsn + 1, FLAG.SYN | FLAG.ACK), t0);
      push(tcp(client, server, cIsn + 1, sIsn + 1, FLAG.ACK), t0);
    }
    for (const c of chunks) {
      const mine = c.dir === 'out';
      for (let off = 0; off < c.bytes.length; off += SEGMENT) {
        const load = c.bytes.subarray(off, off + SEGMENT);
        const [src, dst] = mine ? [me, them] : [them, me];
        const seq = mine ? next.me : next.them;
        const ack = mine ? next.them : next.me;
        push(tcp(src, dst, seq, ack, FLAG.PSH | FLAG.ACK, load), c.tUs, first());
        if (mine) next.me += load.length;
        else next.them += load.length;
      }
    }
  } else {
    for (const c of chunks) {
      const other: End = !unix && c.addr && c.addr.family !== 'AF_UNIX' ? { address: stripScope(c.addr.address), port: c.addr.port } : them;
      const self = unix ? me : localEnd(s.local, other, v6);
      const [src, dst] = c.dir === 'out' ? [self, other] : [other, self];
      // An AF_UNIX message may be larger than any IP packet: the file keeps its first 65,000 bytes and says so.
      const load = c.bytes.subarray(0, SEGMENT);
      const cut = c.bytes.length > SEGMENT ? `message of ${c.bytes.length} bytes, only the first ${SEGMENT} fit in an IP packet` : undefined;
      const comment = [first(), cut].filter(Boolean).join('; ') || undefined;
      push([ip(src, dst), { kind: 'udp', fields: { sport: src.port, dport: dst.port } }, ...(load.length ? [{ kind: 'payload' as const, fields: { load } }] : [])], c.tUs, comment);
    }
  }
  return { packets: out, lostBytes: lostIn + lostOut, lostChunks };
}
