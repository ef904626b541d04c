// The kernel's own count of datagrams it dropped for one UDP socket (its
// receive buffer was full): sk_drops, which Linux shows as the last column of
// /proc/net/udp and /proc/net/udp6, found by the socket's inode. SO_RXQ_OVFL
// gives the same counter, but only with each datagram read through recvmsg,
// and Node's dgram reads without it. The tables are read at most every
// TABLE_MS however many sessions ask; elsewhere than Linux there is no count.
import { fstatSync, readFileSync } from 'node:fs';

const TABLE_MS = 200;

interface Table {
  at: number;
  drops: Map<number, number>;
}
const tables = new Map<string, Table>();

function table(file: string, maxAgeMs: number): Map<number, number> | undefined {
  const now = Date.now();
  const cached = tables.get(file);
  if (cached && now - cached.at < maxAgeMs) return cached.drops;
  let text: string;
  try {
    text = readFileSync(file, 'latin1');
  } catch {
    return undefined;
  }
  // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ref pointer drops
  const drops = new Map<number, number>();
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 13) drops.set(Number(f[9]), Number(f[12]));
  }
  tables.set(file, { at: now, drops });
  return drops;
}

/** The socket's inode (what /proc lists it by), or undefined when it cannot be had. */
export function socketInode(fd: number): number | undefined {
  try {
    return fstatSync(fd).ino;
  } catch {
    return undefined;
  }
}

/** Datagrams the kernel dropped for this UDP socket since it was made; undefined where the kernel does not say. `fresh`: read the table now. */
export function udpKernelDrops(inode: number | undefined, v6: boolean, fresh = false): number | undefined {
  if (inode === undefined || process.platform !== 'linux') return undefined;
  return table(v6 ? '/proc/net/udp6' : '/proc/net/udp', fresh ? 0 : TABLE_MS)?.get(inode);
}
