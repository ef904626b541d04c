// Qt's QSettings INI format, as Packet Sender's packets.ini is written: a
// small reader and writer of our own, because generic INI parsers misread it
// (the npm `ini` package nests dotted sections and JSON-decodes quoted
// values). The rules follow Qt 5's qsettings.cpp:
// - keys and section names are percent-escaped: anything but A-Z a-z 0-9 _ - .
//   is %XX (or %UXXXX beyond Latin-1), and '/' is written '\';
// - a key's full name is section/key ([General] is the top level);
// - values that hold , ; or = (or start or end with a space) are double
//   quoted, with C escapes (\n \t \" \\ \0 \xHH …); an unquoted comma makes a
//   string list; an unquoted ';' starts a comment;
// - non-string values are @Variant(<QDataStream bytes>), e.g. a float.

/** A value as QSettings reads it: a string, a string list, or a decoded @Variant. */
export type IniValue = string | string[] | { variant: number | boolean | string } | { invalidVariant: string };

const HEX = '0123456789ABCDEF';

/** Qt's iniUnescapedKey: %XX, %UXXXX, and '\' for '/'. */
export function unescapeKey(key: string): string {
  let out = '';
  for (let i = 0; i < key.length; i++) {
    const ch = key[i]!;
    if (ch === '\\') {
      out += '/';
      continue;
    }
    if (ch !== '%' || i === key.length - 1) {
      out += ch;
      continue;
    }
    const wide = key[i + 1] === 'U';
    const first = i + 1 + (wide ? 1 : 0);
    const digits = wide ? 4 : 2;
    const hex = key.slice(first, first + digits);
    if (hex.length !== digits || !/^[0-9a-fA-F]+$/.test(hex)) {
      out += '%';
      continue;
    }
    out += String.fromCharCode(parseInt(hex, 16));
    i = first + digits - 1;
  }
  return out;
}

/** Qt's iniEscapedKey. */
export function escapeKey(key: string): string {
  let out = '';
  for (const unit of Array.from({ length: key.length }, (_, i) => key.charCodeAt(i))) {
    const ch = String.fromCharCode(unit);
    if (ch === '/') out += '\\';
    else if (/[A-Za-z0-9_.-]/.test(ch)) out += ch;
    else if (unit <= 0xff) out += `%${HEX[unit >> 4]}${HEX[unit & 15]}`;
    else out += `%U${unit.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return out;
}

const ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '"': '"', '?': '?', "'": "'", '\\': '\\' };

/** Qt's iniUnescapedStringList: the text after '=' (comment already cut) → a string, or a list when an unquoted comma is there. */
export function unescapeValue(raw: string): string | string[] {
  const list: string[] = [];
  let isList = false;
  let cur = '';
  let quoted = false;
  let inQuotes = false;
  let chopLimit = 0;
  let i = 0;
  const skipSpaces = (): void => {
    while (i < raw.length && (raw[i] === ' ' || raw[i] === '\t')) i++;
  };
  const chop = (): void => {
    if (quoted) return;
    let end = cur.length;
    while (end > chopLimit && /\s/.test(cur[end - 1]!)) end--;
    cur = cur.slice(0, end);
  };
  skipSpaces();
  while (i < raw.length) {
    const c = raw[i]!;
    if (c === '\\') {
      i++;
      if (i >= raw.length) break;
      const e = raw[i++]!;
      if (ESCAPES[e] !== undefined) cur += ESCAPES[e];
      else if (e === 'x') {
        let n = 0;
        let any = false;
        while (i < raw.length && /[0-9a-fA-F]/.test(raw[i]!)) {
          n = n * 16 + parseInt(raw[i]!, 16);
          i++;
          any = true;
        }
        if (any) cur += String.fromCharCode(n & 0xffff);
      } else if (e >= '0' && e <= '7') {
        let n = e.charCodeAt(0) - 48;
        while (i < raw.length && raw[i]! >= '0' && raw[i]! <= '7') n = n * 8 + raw.charCodeAt(i++) - 48;
        cur += String.fromCharCode(n & 0xffff);
      }
      // Any other escaped character is skipped, as Qt does.
      chopLimit = cur.length;
      continue;
    }
    if (c === '"') {
      i++;
      quoted = true;
      inQuotes = !inQuotes;
      if (!inQuotes) skipSpaces();
      continue;
    }
    if (c === ',' && !inQuotes) {
      chop();
      isList = true;
      list.push(cur);
      cur = '';
      quoted = false;
      chopLimit = 0;
      i++;
      skipSpaces();
      continue;
    }
    let j = i + 1;
    while (j < raw.length && raw[j] !== '\\' && raw[j] !== '"' && raw[j] !== ',') j++;
    cur += raw.slice(i, j);
    i = j;
  }
  chop();
  if (isList) {
    list.push(cur);
    return list;
  }
  return cur;
}

/** Qt's iniEscapedString: C escapes, and quotes when the value holds , ; = or starts or ends with a space. */
export function escapeValue(str: string): string {
  let out = '';
  let needsQuotes = false;
  let escapeNextIfDigit = false;
  for (let i = 0; i < str.length; i++) {
    const code = str.charCodeAt(i);
    const ch = str[i]!;
    if (ch === ';' || ch === ',' || ch === '=') needsQuotes = true;
    if (escapeNextIfDigit && /[0-9a-fA-F]/.test(ch)) {
      out += `\\x${code.toString(16)}`;
      continue;
    }
    escapeNextIfDigit = false;
    switch (ch) {
      case '\0': out += '\\0'; escapeNextIfDigit = true; break;
      case '\x07': out += '\\a'; break;
      case '\b': out += '\\b'; break;
      case '\f': out += '\\f'; break;
      case '\n': out += '\\n'; break;
      case '\r': out += '\\r'; break;
      case '\t': out += '\\t'; break;
      case '\v': out += '\\v'; break;
      case '"':
      case '\\': out += `\\${ch}`; break;
      default:
        // Qt 5 without an INI codec writes everything past ASCII as \x escapes (UTF-16 units); so do we (the file stays ASCII).
        if (code <= 0x1f || code >= 0x7f) {
          out += `\\x${code.toString(16)}`;
          escapeNextIfDigit = true;
        } else out += ch;
    }
  }
  if (needsQuotes || out.startsWith(' ') || out.endsWith(' ')) out = `"${out}"`;
  return out;
}

/** A @Variant(…)'s QDataStream bytes (Qt_4_0 stream: u32 type, then the value, big-endian). */
function decodeVariant(body: string): IniValue {
  const bytes = Uint8Array.from(body, (c) => c.charCodeAt(0) & 0xff);
  if (bytes.length < 4) return { invalidVariant: 'too short' };
  const dv = new DataView(bytes.buffer);
  const type = dv.getUint32(0);
  const need = (n: number): boolean => bytes.length >= 4 + n;
  switch (type) {
    case 135: // QMetaType::Float
      return need(4) ? { variant: dv.getFloat32(4) } : { invalidVariant: 'float needs 4 bytes' };
    case 6: // Double
      return need(8) ? { variant: dv.getFloat64(4) } : { invalidVariant: 'double needs 8 bytes' };
    case 2: // Int
      return need(4) ? { variant: dv.getInt32(4) } : { invalidVariant: 'int needs 4 bytes' };
    case 3: // UInt
      return need(4) ? { variant: dv.getUint32(4) } : { invalidVariant: 'uint needs 4 bytes' };
    case 4: // LongLong
      return need(8) ? { variant: Number(dv.getBigInt64(4)) } : { invalidVariant: 'qlonglong needs 8 bytes' };
    case 5: // ULongLong
      return need(8) ? { variant: Number(dv.getBigUint64(4)) } : { invalidVariant: 'qulonglong needs 8 bytes' };
    case 1: // Bool
      return need(1) ? { variant: bytes[4] !== 0 } : { invalidVariant: 'bool needs 1 byte' };
    default:
      return { invalidVariant: `type ${type} is not one Packet Sender writes` };
  }
}

/** A float as Qt 5 writes it in QSettings: @Variant(\0\0\0\x87 + big-endian float32). */
export function floatVariant(x: number): string {
  const b = new Uint8Array(8);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, 135);
  dv.setFloat32(4, x);
  return `@Variant(${String.fromCharCode(...b)})`;
}

/** Cuts a line's value at an unquoted ';' (a comment). */
function cutComment(raw: string): string {
  let inQuotes = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '\\') i++;
    else if (c === '"') inQuotes = !inQuotes;
    else if (c === ';' && !inQuotes) return raw.slice(0, i);
  }
  return raw;
}

/** Every key of a QSettings INI text, by full name (group/key), in file order. */
export function readIni(text: string): Map<string, IniValue> {
  const out = new Map<string, IniValue>();
  let section = '';
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  for (let n = 0; n < lines.length; n++) {
    let line = lines[n]!;
    // A value may continue on the next line after a backslash.
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && n + 1 < lines.length) line = line.slice(0, -1) + lines[++n]!;
    const t = line.trim();
    if (t === '' || t.startsWith(';') || t.startsWith('#')) continue;
    if (t.startsWith('[')) {
      const end = t.indexOf(']');
      const name = unescapeKey(t.slice(1, end < 0 ? undefined : end).trim());
      section = name === 'General' ? '' : name === '%General' ? 'General' : name;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = unescapeKey(line.slice(0, eq).trim());
    if (key === '') continue;
    const value = unescapeValue(cutComment(line.slice(eq + 1)));
    const full = section ? `${section}/${key}` : key;
    if (typeof value === 'string' && value.startsWith('@Variant(') && value.endsWith(')')) out.set(full, decodeVariant(value.slice(9, -1)));
    else if (typeof value === 'string' && value.startsWith('@ByteArray(') && value.endsWith(')')) out.set(full, value.slice(11, -1));
    else if (typeof value === 'string' && value.startsWith('@@')) out.set(full, value.slice(1));
    else out.set(full, value);
  }
  return out;
}

/** Writes sections (group name → key → value) as QSettings does: keys escaped and sorted, values escaped. */
export function writeIni(sections: readonly { group: string; keys: Record<string, string> }[]): string {
  const out: string[] = [];
  for (const { group, keys } of sections) {
    out.push(`[${group === 'General' ? '%General' : escapeKey(group)}]`);
    for (const k of Object.keys(keys).sort()) {
      const value = keys[k]!;
      out.push(`${escapeKey(k)}=${escapeValue(value.startsWith('@') && !value.startsWith('@Variant(') ? `@${value}` : value)}`);
    }
    out.push('');
  }
  return out.join('\n');
}
