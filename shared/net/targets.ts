// A sweep's targets, as fping takes them: IPv4 / IPv6 literals and CIDR
// blocks (fping -g), separated by spaces, commas or newlines. Pure: checked
// the same way in the renderer (field errors while typing) and in main.
// A block is expanded to its addresses, at most MAX_SWEEP_TARGETS in all;
// an IPv4 block of /30 or wider skips its network and broadcast addresses
// (as fping -g); duplicates are kept once, in first-seen order.
import { canonicalIp, formatIPv6, ipFamily, ipv4Word, ipv6Bytes, isHostName } from './address.js';

export const MAX_SWEEP_TARGETS = 4096;

export type ExpandResult = { ok: true; targets: string[] } | { ok: false; message: string; entry?: string };

const intToV4 = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

const fmtCount = (n: number): string => (n >= 2 ** 53 ? `2^${Math.round(Math.log2(n))}` : n.toLocaleString('en-US'));

/** The addresses a CIDR block stands for (fping -g), or why not. */
function expandBlock(entry: string, room: number): ExpandResult {
  const slash = entry.indexOf('/');
  const base = entry.slice(0, slash);
  const prefixText = entry.slice(slash + 1);
  const v4 = ipv4Word(base) >= 0;
  const v6 = v4 || base.includes('%') ? null : ipv6Bytes(base);
  if (!v4 && !v6) return { ok: false, entry, message: `"${entry}" is not an IPv4 or IPv6 address or CIDR block` };
  const bits = v4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits) {
    return { ok: false, entry, message: `"${entry}": the prefix length must be 0..${bits}` };
  }
  const prefix = Number(prefixText);
  const size = 2 ** (bits - prefix);
  const skipEnds = v4 && prefix <= 30;
  const count = skipEnds ? size - 2 : size;
  if (count > room) {
    const limit = MAX_SWEEP_TARGETS.toLocaleString('en-US');
    return {
      ok: false,
      entry,
      message: room === MAX_SWEEP_TARGETS
        ? `${entry} would be ${fmtCount(count)} addresses; the limit is ${limit}`
        : `${entry} would be ${fmtCount(count)} more addresses, ${fmtCount(MAX_SWEEP_TARGETS - room)} already listed; the limit is ${limit}`,
    };
  }
  const out: string[] = [];
  if (v4) {
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    const net = (ipv4Word(base) & mask) >>> 0;
    for (let i = skipEnds ? 1 : 0; i < (skipEnds ? size - 1 : size); i++) out.push(intToV4(net + i));
  } else {
    // At most 4,096 addresses: a /116 or narrower, so only the last group varies.
    const b = v6!.slice();
    const first = ((b[14]! << 8) | b[15]!) & ~(size - 1);
    for (let i = 0; i < size; i++) {
      b[14] = (first + i) >>> 8;
      b[15] = (first + i) & 0xff;
      out.push(formatIPv6(b));
    }
  }
  return { ok: true, targets: out };
}

/**
 * The addresses of a sweep: literals as given (IPv6 ones normalised), blocks
 * expanded, duplicates dropped. Refuses an empty list, a malformed entry
 * (named), and more than MAX_SWEEP_TARGETS addresses (saying how many).
 */
export function expandTargets(text: string): ExpandResult {
  if (typeof text !== 'string') return { ok: false, message: 'targets must be text' };
  return expandEntries(text.split(/[\s,;]+/).filter((e) => e !== ''));
}

/** A target list's host names (main resolves each to its first address, as fping does) and its addresses and blocks. */
export function splitNames(text: string): { names: string[]; literals: string[] } {
  const entries = text.split(/[\s,;]+/).filter((e) => e !== '');
  const isName = (e: string): boolean => !e.includes('/') && ipFamily(e) === null && isHostName(e);
  return { names: entries.filter(isName), literals: entries.filter((e) => !isName(e)) };
}

/** What a list with host names in it still has to get right: its addresses and blocks (names alone are fine here). */
export function checkTargetsWithNames(text: string): ExpandResult {
  if (typeof text !== 'string') return { ok: false, message: 'targets must be text' };
  const { names, literals } = splitNames(text);
  if (names.length && !literals.length) return { ok: true, targets: [] };
  return expandEntries(literals);
}

function expandEntries(entries: string[]): ExpandResult {
  if (entries.length === 0) return { ok: false, message: 'no targets: give IP addresses or CIDR blocks, e.g. 127.0.0.1 ::1 127.0.0.0/29' };
  const seen = new Set<string>();
  const out: string[] = [];
  const add = (a: string): void => {
    if (seen.has(a)) return;
    seen.add(a);
    out.push(a);
  };
  for (const entry of entries) {
    if (entry.includes('/')) {
      const r = expandBlock(entry, MAX_SWEEP_TARGETS - out.length);
      if (!r.ok) return r;
      for (const a of r.targets) add(a);
    } else {
      const canonical = canonicalIp(entry);
      if (canonical === null) return { ok: false, entry, message: `"${entry.length > 60 ? `${entry.slice(0, 60)}…` : entry}" is not an IPv4 or IPv6 address or CIDR block` };
      add(canonical);
    }
    if (out.length > MAX_SWEEP_TARGETS) {
      return { ok: false, message: `${out.length.toLocaleString('en-US')}+ addresses; the limit is ${MAX_SWEEP_TARGETS.toLocaleString('en-US')}` };
    }
  }
  return { ok: true, targets: out };
}
