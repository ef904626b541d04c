// Every message of both languages compiles (vue-i18n's syntax gives '@', '|',
// '{' and '}' meanings, and a bad one only fails when shown), and both
// languages have the same keys.
import { baseCompile } from '@intlify/message-compiler';
import { describe, expect, it } from 'vitest';
import en from './en.js';
import zhCN from './zh-CN.js';

function leaves(o: object, prefix = ''): [string, string][] {
  return Object.entries(o).flatMap(([k, v]) =>
    typeof v === 'string' ? [[`${prefix}${k}`, v] as [string, string]] : leaves(v as object, `${prefix}${k}.`),
  );
}

describe.each([['en', en], ['zh-CN', zhCN]] as const)('%s messages', (_locale, messages) => {
  it('all compile', () => {
    const bad: string[] = [];
    for (const [key, text] of leaves(messages)) {
      baseCompile(text, { onError: (e) => bad.push(`${key}: ${e.message} in ${JSON.stringify(text)}`) });
    }
    expect(bad).toEqual([]);
  });
});

it('both languages have the same keys (option help is English in the catalogue, translated here)', () => {
  const keys = (m: object) => leaves(m).map(([k]) => k).filter((k) => !k.startsWith('sockopt.help.')).sort();
  expect(keys(zhCN)).toEqual(keys(en));
});
