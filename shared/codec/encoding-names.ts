// The names of the text encodings, apart from their tables, so schemas and
// forms can list them without loading the tables (see encodings.ts).

/** Every encoding the composer, the log, the CLI, saved packets, rules and scenarios offer. */
export const TEXT_ENCODINGS = [
  'utf-8', 'gbk', 'gb18030', 'big5', 'shift_jis', 'euc-jp', 'euc-kr', 'utf-16le', 'utf-16be', 'windows-1252', 'latin1',
] as const;
export type TextEncodingName = (typeof TEXT_ENCODINGS)[number];

/** How each is shown in a list. */
export const ENCODING_LABELS: Readonly<Record<TextEncodingName, string>> = {
  'utf-8': 'UTF-8',
  gbk: 'GBK',
  gb18030: 'GB18030',
  big5: 'Big5',
  shift_jis: 'Shift_JIS',
  'euc-jp': 'EUC-JP',
  'euc-kr': 'EUC-KR',
  'utf-16le': 'UTF-16LE',
  'utf-16be': 'UTF-16BE',
  'windows-1252': 'Windows-1252',
  latin1: 'Latin-1',
};

/** Other names people type for them (compared without case, '-' or '_'). */
const ALIASES: Readonly<Record<string, TextEncodingName>> = {
  cp936: 'gbk', sjis: 'shift_jis', cp1252: 'windows-1252', iso88591: 'latin1', l1: 'latin1',
};
const squash = (name: string): string => name.toLowerCase().replace(/[-_]/g, '');

/** The encoding a name (or a common alias: utf8, sjis, cp936, cp1252, iso-8859-1 …) stands for. */
export function textEncodingByName(name: string): TextEncodingName | undefined {
  const key = squash(name);
  return TEXT_ENCODINGS.find((e) => squash(e) === key) ?? ALIASES[key];
}

/** UTF-16 is the one listed encoding in which ASCII text is not one byte per character. */
export const isAsciiSuperset = (encoding: TextEncodingName): boolean => !encoding.startsWith('utf-16');
