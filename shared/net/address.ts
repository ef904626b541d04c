// Addresses: the one parser of IP literals (text → bytes) and the one
// formatter (bytes → text), used by the contract's schemas, sweep targets,
// the packet codecs, the crafter, main and the renderer alike. It takes what
// Node's net.isIPv4 / isIPv6 take (address.test.ts checks it against them),
// except that an IPv6 zone (%eth0, %2) is spelled as Linux names an
// interface: [A-Za-z0-9_.-], at most 64 characters. Formatting follows RFC
// 5952: lower case, the first longest run of two or more zero groups as ::,
// and ::ffff:0:0/96 with its IPv4 tail dotted (§5), as the kernel prints it.
//
// Hand-written rather than ipaddr.js: that library takes 127.1, 0x7f.0.0.1
// and ::ffff:01.2.3.4 (so it would need a guard of ours anyway), refuses
// real zone names such as eth0.100 and br-lan, prints ::ffff:102:304, and
// allocates an object per parse where the crafter's floods need ipv4Word.

/** An IPv6 zone: an interface name or index. */
const ZONE = /^[\w.-]{1,64}$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/**
 * The 32-bit value of a dotted quad, or -1 when the text is not one: four
 * parts 0..255 in decimal, without leading zeros. No split, regex or
 * allocation: it runs for every address of every packet the crafter builds.
 */
export function ipv4Word(s: string): number {
  let word = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46; // a final '.' closes the last part
    if (c === 46) {
      if (digits === 0) return -1;
      word = word * 256 + part;
      parts++;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1; // leading zero
      part = part * 10 + (c - 48);
      if (part > 255) return -1;
      digits++;
    } else return -1;
    if (parts > 4) return -1;
  }
  return parts === 4 ? word : -1;
}

/** The 4 bytes of a dotted quad, or null. */
export function ipv4Bytes(s: string): Uint8Array | null {
  const w = ipv4Word(s);
  return w < 0 ? null : Uint8Array.of(w >>> 24, (w >>> 16) & 255, (w >>> 8) & 255, w & 255);
}

/** The 16-bit groups of one side of a "::" (or of the whole address), the last one possibly a dotted IPv4 tail; null if malformed. */
function groupsOf(text: string, dottedLast: boolean): number[] | null {
  if (text === '') return [];
  const parts = text.split(':');
  const out: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (dottedLast && i === parts.length - 1 && p.includes('.')) {
      const w = ipv4Word(p);
      if (w < 0) return null;
      out.push(w >>> 16, w & 0xffff);
    } else if (HEX_GROUP.test(p)) out.push(parseInt(p, 16));
    else return null;
  }
  return out;
}

/** The 16 bytes of an IPv6 literal, or null. A %zone is checked, then left out of the bytes. */
export function ipv6Bytes(input: string): Uint8Array | null {
  const pct = input.indexOf('%');
  if (pct >= 0 && !ZONE.test(input.slice(pct + 1))) return null;
  const s = pct >= 0 ? input.slice(0, pct) : input;
  const gap = s.indexOf('::');
  if (gap !== s.lastIndexOf('::')) return null; // two gaps, or ":::"
  let groups: number[] | null;
  if (gap < 0) {
    groups = groupsOf(s, true);
    if (groups?.length !== 8) return null;
  } else {
    const head = groupsOf(s.slice(0, gap), false);
    const tail = groupsOf(s.slice(gap + 2), true);
    if (!head || !tail || head.length + tail.length > 7) return null;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >>> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

// Floods repeat a few IPv6 addresses: remember their bytes (never handed
// out for writing) rather than parse the text for every packet.
const V6_CACHE = new Map<string, Uint8Array | null>();
const V6_CACHE_MAX = 256;

/** ipv6Bytes, memoised; the bytes returned are shared and must not be modified. */
export function ipv6BytesShared(s: string): Uint8Array | null {
  let b = V6_CACHE.get(s);
  if (b === undefined) {
    if (V6_CACHE.size >= V6_CACHE_MAX) V6_CACHE.clear();
    b = ipv6Bytes(s);
    V6_CACHE.set(s, b);
  }
  return b;
}

/** 4 or 16 bytes for an IP literal, or null. */
export function ipBytes(s: string): Uint8Array | null {
  return ipv4Bytes(s) ?? ipv6Bytes(s);
}

export const isIPv4 = (s: string): boolean => ipv4Word(s) >= 0;

export const isIPv6 = (s: string): boolean => ipv6Bytes(s) !== null;

/** 4, 6, or null when the text is not an IP literal. */
export function ipFamily(s: string): 4 | 6 | null {
  if (isIPv4(s)) return 4;
  if (isIPv6(s)) return 6;
  return null;
}

export function formatIPv4(b: Uint8Array, offset = 0): string {
  return `${b[offset]}.${b[offset + 1]}.${b[offset + 2]}.${b[offset + 3]}`;
}

/** RFC 5952 text of the 16 bytes at offset. */
export function formatIPv6(b: Uint8Array, offset = 0): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((b[offset + i * 2]! << 8) | b[offset + i * 2 + 1]!);
  // The longest run of two or more zero words becomes "::" (the first such run on a tie).
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]): string => ws.map((w) => w.toString(16)).join(':');
  if (bestStart === 0 && bestLen === 5 && words[5] === 0xffff) return `::ffff:${formatIPv4(b, offset + 12)}`;
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
}

/** One spelling per address (so "::0001" and "::1" compare equal), a zone kept as given; null for what is not an IP literal. */
export function canonicalIp(s: string): string | null {
  if (isIPv4(s)) return s; // no leading zeros: already canonical
  const b = ipv6Bytes(s);
  if (!b) return null;
  const pct = s.indexOf('%');
  return pct < 0 ? formatIPv6(b) : `${formatIPv6(b)}${s.slice(pct)}`;
}

/** sun_path holds 108 bytes on Linux, one of them the terminating NUL (or the leading NUL of an abstract name). */
export const UNIX_PATH_MAX = 107;

/**
 * null when `s` names an AF_UNIX address: a path (absolute, or starting with
 * ./ or ../) or an abstract name (@name); otherwise what is wrong with it.
 */
export function unixPathProblem(s: string): string | null {
  if (!/^(\/|\.\.?\/|@)/.test(s)) {
    return 'not an IP address, host name or Unix socket path (expected e.g. 127.0.0.1, ::1, localhost, /tmp/x.sock or @name)';
  }
  if (s === '@') return 'an abstract Unix name needs at least one character after @';
  if (s.includes('\0')) return 'a Unix socket path cannot contain a NUL byte';
  const bytes = new TextEncoder().encode(s.startsWith('@') ? s.slice(1) : s).length;
  if (bytes > UNIX_PATH_MAX) return `a Unix socket path is at most ${UNIX_PATH_MAX} bytes; this one has ${bytes}`;
  return null;
}

/** "127.0.0.1:80", "[::1]:80", or for AF_UNIX the path itself ("(unnamed)" when empty). */
export function formatHostPort(address: string, port: number, family?: string): string {
  if (family === 'AF_UNIX') return address === '' ? '(unnamed)' : address;
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Where a socket goes, as the CLI and saved packets write it: host:port, [v6]:port, a Unix path or @name. */
export type SocketTarget =
  | { family: 'AF_INET' | 'AF_INET6'; address: string; port: number }
  /** A DNS name (only where host names are allowed): resolved when sending. */
  | { family: 'host'; address: string; port: number }
  | { family: 'AF_UNIX'; address: string; port: 0 };

export type TargetResult = { ok: true; target: SocketTarget } | { ok: false; message: string };

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/**
 * A DNS host name by its syntax (RFC 1123 labels: letters, digits and inner
 * hyphens, at most 63 each, 253 in all, an optional final dot), and not
 * something that only looks like a mistyped IPv4 address (digits and dots).
 * Whether it resolves is main's business (getaddrinfo).
 */
export function isHostName(s: string): boolean {
  return HOST_NAME.test(s) && !/^[\d.]+$/.test(s);
}

/**
 * "127.0.0.1:9000", "[::1]:9000" (or with `hostNames`, "example.com:80")
 * for IP protocols; "/tmp/x.sock", "./x.sock" or "@name" for `unix`
 * (whose name, e.g. unix-stream, the messages use). Messages name the text.
 */
export function parseSocketTarget(text: string, unix: string | null, opts: { hostNames?: boolean } = {}): TargetResult {
  const fail = (why: string): TargetResult => ({ ok: false, message: `address "${text}": ${why}` });
  if (unix !== null) {
    if (!/^(\/|\.\.?\/|@)/.test(text)) return fail(`${unix} needs a socket path (/tmp/x.sock) or an abstract name (@name)`);
    const problem = unixPathProblem(text);
    return problem ? fail(problem) : { ok: true, target: { family: 'AF_UNIX', address: text, port: 0 } };
  }
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
  if (!m) return fail('expected host:port, e.g. 127.0.0.1:9000 or [::1]:9000');
  const address = m[1]!;
  const port = Number(m[2]);
  const family = ipFamily(address);
  if (!family && !(opts.hostNames && !text.startsWith('[') && isHostName(address))) {
    return fail(`"${address}" is not an IPv4 or IPv6 address${opts.hostNames ? ' or a host name' : ''}`);
  }
  if (port > 65535) return fail('port must be between 0 and 65535');
  return { ok: true, target: { family: family === 4 ? 'AF_INET' : family === 6 ? 'AF_INET6' : 'host', address, port } };
}
