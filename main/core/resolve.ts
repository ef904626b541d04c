// Host names → addresses, as the system resolves them: getaddrinfo (Node's
// dns.lookup with all: true, in the resolver's own order, /etc/hosts and
// nsswitch included). Failures carry getaddrinfo's own error names (EAI_*),
// numbered as glibc numbers them, with gai_strerror's words.
import { lookup } from 'node:dns/promises';
import type { Errno } from '../../shared/contract/index.js';
import { nowUs } from './clock.js';
import { EngineError } from './errors.js';

export interface Resolved {
  /** Every address offered, in the resolver's order. */
  addresses: { family: 4 | 6; address: string }[];
  durUs: number;
}

/** glibc's <netdb.h> numbers and gai_strerror texts. */
const GAI: Record<string, { number: number; text: string }> = {
  EAI_NONAME: { number: -2, text: 'Name or service not known' },
  EAI_AGAIN: { number: -3, text: 'Temporary failure in name resolution' },
  EAI_FAIL: { number: -4, text: 'Non-recoverable failure in name resolution' },
  EAI_NODATA: { number: -5, text: 'No address associated with hostname' },
  EAI_ADDRFAMILY: { number: -9, text: 'Address family for hostname not supported' },
  EAI_MEMORY: { number: -10, text: 'Memory allocation failure' },
  EAI_SYSTEM: { number: -11, text: 'System error' },
};

export function gaiErrno(name: string): Errno {
  return { name, number: GAI[name]?.number ?? 0 };
}

/** A getaddrinfo failure as the engine's error: `getaddrinfo: EAI_NONAME (-2): Name or service not known: "nosuch.invalid" …`, on the address field. */
export function gaiError(name: string, host: string, detail?: string): EngineError {
  const errno = gaiErrno(name);
  const text = GAI[name]?.text ?? 'name resolution failed';
  const why = detail ?? (name === 'EAI_NONAME' ? `no address is known for "${host}" (not in /etc/hosts, and DNS does not know it): check the spelling, or give an IP address` : `"${host}"`);
  return new EngineError('OS_ERROR', `getaddrinfo: ${name} (${errno.number}): ${text}: ${why}`, errno, 'address');
}

/** Every address of a name (all: true), or an EngineError naming the EAI_* failure. */
export async function resolveName(host: string): Promise<Resolved> {
  const t0 = nowUs();
  try {
    const all = await lookup(host, { all: true, order: 'verbatim' });
    return { addresses: all.map((a) => ({ family: a.family === 6 ? 6 : 4, address: a.address })), durUs: nowUs() - t0 };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    // Node reports EAI_NONAME and EAI_NODATA both as ENOTFOUND.
    const name = code === 'ENOTFOUND' ? 'EAI_NONAME' : code in GAI ? code : 'EAI_FAIL';
    throw gaiError(name, host);
  }
}
