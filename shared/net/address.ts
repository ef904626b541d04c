// Address literals, checked the same way in the renderer (for field errors
// while typing) and in main (which trusts nothing it receives).

const IPV4_PART = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

export function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => IPV4_PART.test(p));
}

export function isIPv6(input: string): boolean {
  const pct = input.indexOf('%');
  let s = input;
  if (pct >= 0) {
    const scope = input.slice(pct + 1);
    if (!/^[\w.-]{1,64}$/.test(scope)) return false;
    s = input.slice(0, pct);
  }
  if (s.length < 2 || s.length > 45) return false;
  let groups = s.split(':');
  // An embedded IPv4 tail (::ffff:1.2.3.4) counts as two groups.
  const last = groups[groups.length - 1] ?? '';
  if (last.includes('.')) {
    if (!isIPv4(last)) return false;
    groups = [...groups.slice(0, -1), '0', '0'];
  }
  const dbl = s.indexOf('::');
  if (dbl !== s.lastIndexOf('::')) return false;
  const hex = /^[0-9a-fA-F]{1,4}$/;
  if (dbl >= 0) {
    const nonEmpty = groups.filter((g) => g !== '');
    return nonEmpty.length <= 7 && nonEmpty.every((g) => hex.test(g));
  }
  return groups.length === 8 && groups.every((g) => hex.test(g));
}

/** 4, 6, or null when the text is not an IP literal. */
export function ipFamily(s: string): 4 | 6 | null {
  if (isIPv4(s)) return 4;
  if (isIPv6(s)) return 6;
  return null;
}

/** sun_path holds 108 bytes on Linux, one of them the terminating NUL (or the leading NUL of an abstract name). */
export const UNIX_PATH_MAX = 107;

/**
 * null when `s` names an AF_UNIX address: a path (absolute, or starting with
 * ./ or ../) or an abstract name (@name); otherwise what is wrong with it.
 */
export function unixPathProblem(s: string): string | null {
  if (!/^(\/|\.\.?\/|@)/.test(s)) {
    return 'not an IP address or a Unix socket path (expected e.g. 127.0.0.1, ::1, /tmp/x.sock or @name)';
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
