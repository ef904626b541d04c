// IP addresses as bytes and as text, for headers and pseudo-headers.
// Formatting follows what the kernel and ping print: dotted quads, and
// IPv6 in RFC 5952 form (lower case, longest zero run as ::).

const IPV4_PART = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** The 4 bytes of a dotted quad, or null when the text is not one. */
export function ipv4Bytes(s: string): Uint8Array | null {
  const parts = s.split('.');
  if (parts.length !== 4 || !parts.every((p) => IPV4_PART.test(p))) return null;
  return Uint8Array.from(parts.map(Number));
}

/** The 16 bytes of an IPv6 literal (a %scope suffix is ignored), or null. */
export function ipv6Bytes(input: string): Uint8Array | null {
  const pct = input.indexOf('%');
  const s = pct >= 0 ? input.slice(0, pct) : input;
  if (s.length < 2 || s.length > 45) return null;
  const words: number[] = [];
  let tail = s;
  let v4: Uint8Array | null = null;
  const lastColon = s.lastIndexOf(':');
  if (lastColon >= 0 && s.slice(lastColon + 1).includes('.')) {
    v4 = ipv4Bytes(s.slice(lastColon + 1));
    if (!v4) return null;
    // Keep a "::" before the dotted tail; drop a single ":".
    tail = s[lastColon - 1] === ':' ? s.slice(0, lastColon + 1) : s.slice(0, lastColon);
  }
  const want = v4 ? 6 : 8;
  const dbl = tail.indexOf('::');
  if (dbl !== tail.lastIndexOf('::')) return null;
  const hex = /^[0-9a-fA-F]{1,4}$/;
  const parseGroups = (t: string): number[] | null => {
    if (t === '') return [];
    const g = t.split(':');
    if (!g.every((x) => hex.test(x))) return null;
    return g.map((x) => parseInt(x, 16));
  };
  if (dbl >= 0) {
    const head = parseGroups(tail.slice(0, dbl));
    const rest = parseGroups(tail.slice(dbl + 2));
    if (!head || !rest || head.length + rest.length > want - 1) return null;
    words.push(...head, ...new Array<number>(want - head.length - rest.length).fill(0), ...rest);
  } else {
    const all = parseGroups(tail);
    if (!all || all.length !== want) return null;
    words.push(...all);
  }
  const out = new Uint8Array(16);
  for (let i = 0; i < want; i++) {
    out[i * 2] = words[i]! >>> 8;
    out[i * 2 + 1] = words[i]! & 0xff;
  }
  if (v4) out.set(v4, 12);
  return out;
}

export function formatIPv4(b: Uint8Array, offset = 0): string {
  return `${b[offset]}.${b[offset + 1]}.${b[offset + 2]}.${b[offset + 3]}`;
}

export function formatIPv6(b: Uint8Array, offset = 0): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((b[offset + i * 2]! << 8) | b[offset + i * 2 + 1]!);
  // Longest run of two or more zero words becomes "::" (the first such run on a tie).
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
  // IPv4-mapped addresses keep their dotted tail, as the kernel prints them.
  if (bestStart === 0 && bestLen === 5 && words[5] === 0xffff) return `::ffff:${formatIPv4(b, offset + 12)}`;
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
}

/** 4 or 16 bytes for an IP literal, or null. */
export function ipBytes(s: string): Uint8Array | null {
  return ipv4Bytes(s) ?? ipv6Bytes(s);
}
