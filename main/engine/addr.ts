// Socket addresses between the contract's shape ({family, address, port},
// with the path as the address for AF_UNIX) and the native addon's.
import type { Family, SockAddr } from '../../shared/contract/index.js';
import type { NativeAddr } from './native.js';

export function toNativeAddr(family: Family, address: string, port: number): NativeAddr {
  return family === 'AF_UNIX' ? { family, path: address } : { family, address, port };
}

export function fromNativeAddr(a: NativeAddr): SockAddr {
  return a.family === 'AF_UNIX' ? { family: 'AF_UNIX', address: a.path, port: 0 } : { family: a.family, address: a.address, port: a.port };
}
