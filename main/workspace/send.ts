// Sending a saved packet, through the same contract calls the page makes
// (so every step is validated and traced): into a session the person chose,
// or as new, as Packet Sender's Send button does: create the socket, bind
// if the packet says so, connect, send; the answer arrives in that session.
// Crafted packets go to the crafter. The workbench supplies `call`.
import { randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MethodName, Params, Result, SessionInfo, SockType } from '../../shared/contract/index.js';
import { isTlsProtocol, isUnixProtocol, PROTOCOL_CAPS, savedPacketBytes, type SavedPacket } from '../../shared/contract/workspace.js';
import { canonicalIp, formatHostPort, parseSocketTarget, type SocketTarget } from '../../shared/net/address.js';
import { buildStack, parseLayers } from '../../shared/packet/index.js';
import { EngineError } from '../core/errors.js';

export type Call = <M extends MethodName>(method: M, params: Params<M>) => Promise<Result<M>>;

export const SOCK_TYPES: Record<string, SockType> = {
  tcp: 'SOCK_STREAM',
  udp: 'SOCK_DGRAM',
  'unix-stream': 'SOCK_STREAM',
  'unix-dgram': 'SOCK_DGRAM',
  'unix-seqpacket': 'SOCK_SEQPACKET',
  tls: 'SOCK_STREAM',
  ssl: 'SOCK_STREAM',
};

/** Where an AF_UNIX datagram client receives answers: an abstract name on Linux, a temp file elsewhere. */
export function replyAddress(): string {
  const tag = `sockbench-${process.pid}-${randomBytes(4).toString('hex')}`;
  return process.platform === 'linux' ? `@${tag}` : join(tmpdir(), `${tag}.sock`);
}

const bad = (message: string, field?: string): EngineError => new EngineError('BAD_REQUEST', message, undefined, field);

/** The packet's target with a host name resolved (the first address the resolver gives), and that name. */
function resolveTarget(p: SavedPacket): Promise<Exclude<SocketTarget, { family: 'host' }> & { host?: string }> {
  return resolveSocketTarget(p.target ?? '', p.protocol, `"${p.name}": `);
}

/** host:port, [v6]:port, a host name (resolved: the first address, and the name kept for TLS), /path or @name for the unix-* protocols. */
export async function resolveSocketTarget(text: string, protocol: string, context = ''): Promise<Exclude<SocketTarget, { family: 'host' }> & { host?: string }> {
  const r = parseSocketTarget(text, protocol.startsWith('unix-') ? protocol : null, { hostNames: true });
  if (!r.ok) throw bad(`${context}${r.message}`, 'target');
  const t = r.target;
  if (t.family !== 'host') return t;
  try {
    const a = await lookup(t.address);
    return { family: a.family === 6 ? 'AF_INET6' : 'AF_INET', address: a.address, port: t.port, host: t.address };
  } catch (e) {
    throw new EngineError('OS_ERROR', `${context}cannot resolve ${t.address}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

/** Whether a session's peer is the target (addresses compared in canonical form). */
function samePeer(s: SessionInfo, t: { family: string; address: string; port: number }): boolean {
  if (!s.peer) return false;
  const canon = (a: string): string => canonicalIp(a.replace(/%.*$/, '')) ?? a;
  return canon(s.peer.address) === canon(t.address) && s.peer.port === t.port;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface SendResult {
  session?: SessionInfo;
  craft?: number;
  bytes: number;
}

/** Sends `p` into `into` (a session id) or as a new session; repeats as the packet says. */
export async function sendSaved(call: Call, p: SavedPacket, into?: number): Promise<SendResult> {
  const cap = PROTOCOL_CAPS[p.protocol];
  if (!cap.sendable) throw bad(`"${p.name}" cannot be sent: ${cap.reason}`);
  const count = p.repeat?.count ?? 1;
  const intervalMs = p.repeat?.count ? (p.repeat.intervalMs ?? 0) : 0;

  if (p.protocol === 'raw') {
    const packets = (p.layers ?? []).map((line, i) => {
      const r = parseLayers(line);
      if (!r.ok) throw bad(`"${p.name}": layers[${i}]: ${r.message}`, 'layers');
      return r.layers;
    });
    const { id } = await call('craft.send', {
      packets,
      via: into === undefined ? 'raw' : { session: into },
      ...(p.target ? { address: p.target } : {}),
      count,
      intervalMs,
    });
    const bytes = packets.reduce((n, layers) => {
      const b = buildStack(layers);
      return n + (b.ok ? b.bytes.length : 0);
    }, 0);
    return { craft: id, bytes: bytes * count };
  }

  const parsed = savedPacketBytes(p);
  if (!parsed.ok) throw bad(`"${p.name}": data: ${parsed.error.message}`, 'data');
  const data = parsed.bytes;
  const target = await resolveTarget(p);
  const type = SOCK_TYPES[p.protocol]!;

  let session: SessionInfo;
  if (into !== undefined) {
    session = (await call('session.list', {})).sessions.find((s) => s.id === into) ?? (() => { throw new EngineError('NO_SUCH_SESSION', `no session #${into}`); })();
  } else {
    session = await call('socket.create', { family: target.family, type });
    if (p.bind !== undefined) {
      const b = parseSocketTarget(p.bind, isUnixProtocol(p.protocol) ? p.protocol : null);
      if (!b.ok) throw bad(`"${p.name}": bind: ${b.message}`, 'bind');
      await call('socket.bind', { id: session.id, address: b.target.address, port: b.target.port });
    } else if (target.family === 'AF_UNIX' && type === 'SOCK_DGRAM') {
      // An unbound AF_UNIX datagram socket is unnamed: nobody could answer it.
      await call('socket.bind', { id: session.id, address: replyAddress(), port: 0 });
    }
    // tls: a host name in the target is the default SNI, as in `sockbench connect tls`.
    const tls = isTlsProtocol(p.protocol) ? { ...(target.host ? { servername: target.host } : {}), ...p.tls } : undefined;
    await call('socket.connect', { id: session.id, address: target.address, port: target.port, timeoutMs: 10_000, ...(tls ? { tls } : {}) });
  }

  const id = session.id;
  const datagram = session.type === 'SOCK_DGRAM';
  // Into a datagram session: sendto the packet's target, or send when the session is connected (to that target).
  const connected = into !== undefined && datagram && session.state === 'connected';
  if (connected && !samePeer(session, target)) {
    const peer = session.peer ? formatHostPort(session.peer.address, session.peer.port, session.peer.family) : '?';
    throw EngineError.state('EISCONN', 'sendto', `"${p.name}" goes to ${formatHostPort(target.address, target.port, target.family)} but session #${id} is connected to ${peer}: send it as new`);
  }
  const viaSend = into === undefined || connected;
  const sendOnce = async (): Promise<number> => {
    if (!datagram) return (await call('socket.sendall', { id, data })).bytes;
    if (viaSend) return (await call('socket.send', { id, data })).bytes;
    return (await call('socket.sendto', { id, data, address: target.address, port: target.port })).bytes;
  };
  let bytes = 0;
  if (datagram && count > 1) {
    const r = await call('socket.sendRepeat', { id, data, count, intervalUs: intervalMs * 1000, ...(viaSend ? {} : { address: target.address, port: target.port }) });
    bytes = r.sent * data.length;
  } else {
    for (let i = 0; i < count; i++) {
      if (i > 0 && intervalMs > 0) await sleep(intervalMs);
      bytes += await sendOnce();
    }
  }
  const after = (await call('session.list', {})).sessions.find((s) => s.id === id) ?? session;
  return { session: after, bytes };
}
