// How addresses, errnos and call arguments read on screen.
import type { Errno, SockAddr } from '../../../shared/contract/index.js';
import { formatHostPort } from '../../../shared/net/address.js';

export function formatAddr(a: SockAddr | undefined): string {
  return a ? formatHostPort(a.address, a.port, a.family) : '';
}

/** "ECONNREFUSED (111)" */
export function formatErrno(e: Errno): string {
  return `${e.name} (${e.number})`;
}

/** As Python prints a socket address: ('127.0.0.1', 40112). */
export function formatSockaddrTuple(a: SockAddr): string {
  return `('${a.address}', ${a.port})`;
}

/** address='127.0.0.1', port=0 */
export function formatArgs(args: Record<string, unknown>): string {
  return Object.entries(args)
    .map(([k, v]) => `${k}=${typeof v === 'string' && v !== 'None' ? `'${v}'` : formatValue(v)}`)
    .join(', ');
}

function formatValue(v: unknown): string {
  if (v instanceof Uint8Array) return `<${v.byteLength} bytes>`;
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'object') {
    try {
      return JSON.stringify(v);
    } catch {
      return String(v);
    }
  }
  return String(v);
}

/** "connect: ECONNREFUSED (111): nothing is listening" → "nothing is listening" (the errno is shown beside it). */
export function errnoDetail(message: string, call: string, errno?: Errno): string {
  let m = message;
  if (m.startsWith(`${call}: `)) m = m.slice(call.length + 2);
  if (errno) {
    const p = `${formatErrno(errno)}: `;
    if (m.startsWith(p)) m = m.slice(p.length);
  }
  return m;
}
