// Which family × type pairs the kernel supports, found by asking it: one
// socket() per pair, closed at once. SOCK_SEQPACKET over AF_INET is SCTP and
// exists only where the sctp module is loaded; macOS has no AF_UNIX
// SOCK_SEQPACKET. The answer is cached: it does not change while we run.
import type { Family, SockType } from '../../shared/contract/index.js';
import { EngineError } from '../core/errors.js';
import { native } from './native.js';

export interface Combo {
  family: Family;
  type: SockType;
  available: boolean;
  reason?: string;
}

const FAMILIES: readonly Family[] = ['AF_INET', 'AF_INET6', 'AF_UNIX'];
const TYPES: readonly SockType[] = ['SOCK_STREAM', 'SOCK_DGRAM', 'SOCK_SEQPACKET'];

let cached: Combo[] | undefined;

/** Errors that say the process is short of something now, not what the kernel supports. */
const TRANSIENT = new Set(['EMFILE', 'ENFILE', 'ENOBUFS', 'ENOMEM']);

export function probeCombos(): Combo[] {
  cached ??= FAMILIES.flatMap((family) => TYPES.map((type) => probe(family, type)));
  return cached;
}

function probe(family: Family, type: SockType): Combo {
  try {
    native().close(native().socket(family, type));
    return { family, type, available: true };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    if (TRANSIENT.has(code)) {
      // Not an answer about the kernel: nothing is cached, and the caller hears why.
      throw EngineError.os(code, 'socket', `the kernel could not be asked which socket types it supports (${code === 'EMFILE' ? 'this process has no free file descriptor: its open-files limit, ulimit -n, is reached' : 'it is short of resources now'}); close some sessions and ask again`);
    }
    const sctp = family !== 'AF_UNIX' && type === 'SOCK_SEQPACKET';
    return { family, type, available: false, reason: `${code}: ${sctp ? 'SCTP is not available in this kernel (module sctp not loaded)' : 'not supported by this system'}` };
  }
}
