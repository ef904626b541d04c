// Which family × type pairs the kernel supports, found by asking it: one
// socket() per pair, closed at once. SOCK_SEQPACKET over AF_INET is SCTP and
// exists only where the sctp module is loaded; macOS has no AF_UNIX
// SOCK_SEQPACKET. The answer is cached: it does not change while we run.
import type { Family, SockType } from '../../shared/contract/index.js';
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
    const sctp = family !== 'AF_UNIX' && type === 'SOCK_SEQPACKET';
    return { family, type, available: false, reason: `${code}: ${sctp ? 'SCTP is not available in this kernel (module sctp not loaded)' : 'not supported by this system'}` };
  }
}
