// Short names for a socket's family and type, as the lists and headers show them.
import type { SessionInfo } from '../../../shared/contract/index.js';

type Kind = Pick<SessionInfo, 'family' | 'type'>;

/** TCP, UDP, or for AF_UNIX the type itself (stream, dgram, seqpacket). */
export function protoLabel(s: Kind): string {
  if (s.family !== 'AF_UNIX' && s.type === 'SOCK_STREAM') return 'TCP';
  if (s.family !== 'AF_UNIX' && s.type === 'SOCK_DGRAM') return 'UDP';
  return s.type.slice('SOCK_'.length).toLowerCase();
}

export function familyLabel(s: Kind): string {
  return s.family === 'AF_UNIX' ? 'unix' : s.family === 'AF_INET6' ? 'v6' : 'v4';
}

export const isUnix = (s: Kind): boolean => s.family === 'AF_UNIX';

/** Stream and seqpacket sockets connect and listen; datagram sockets do not listen. */
export const isConnectionOriented = (s: Kind): boolean => s.type !== 'SOCK_DGRAM';

/** A default AF_UNIX path that does not collide between sessions. */
export const defaultUnixPath = (id: number): string => `/tmp/sockbench-${id}.sock`;
