// Qt 5's QSettings INI rules, case by case (the real Packet Sender checks the
// whole file in test/peers/packetsender-workspace.test.ts).
import { describe, expect, it } from 'vitest';
import { escapeKey, escapeValue, floatVariant, readIni, unescapeKey, unescapeValue, writeIni } from './qsettings-ini.js';

describe('QSettings INI', () => {
  it('keys: %XX, %UXXXX and \\ for /, both ways', () => {
    expect(escapeKey('Hello TCP')).toBe('Hello%20TCP');
    expect(escapeKey('a/b,c;d=e')).toBe('a\\b%2Cc%3Bd%3De');
    expect(escapeKey('Café 中')).toBe('Caf%E9%20%U4E2D');
    for (const k of ['Hello TCP', 'a/b,c;d=e', 'Café 中', '"q" \\ %']) expect(unescapeKey(escapeKey(k))).toBe(k);
    expect(unescapeKey('100%')).toBe('100%');
  });

  it('values: quoted when they hold , ; = or edge spaces, C escapes, \\x escapes past ASCII', () => {
    expect(escapeValue('plain text')).toBe('plain text');
    expect(escapeValue('a, b')).toBe('"a, b"');
    expect(escapeValue('48 65 ')).toBe('"48 65 "');
    expect(escapeValue('say "hi"\\')).toBe('say \\"hi\\"\\\\');
    expect(escapeValue('tab\tnl\n\0A')).toBe('tab\\tnl\\n\\0\\x41');
    expect(escapeValue('é中')).toBe('\\xe9\\x4e2d');
    for (const v of ['a, b', ' x ', 'say "hi"\\', 'tab\tnl\n\0A', 'é中文', 'x;y=z']) expect(unescapeValue(escapeValue(v))).toBe(v);
  });

  it('reads as Qt does: an unquoted comma makes a list, a ; starts a comment, outer spaces go', () => {
    expect(unescapeValue('a, b ,c')).toEqual(['a', 'b', 'c']);
    expect(unescapeValue('"a, b"')).toBe('a, b');
    expect(unescapeValue('  padded  ')).toBe('padded');
    expect(unescapeValue('\\101\\x42')).toBe('AB');
    const ini = readIni('[NAMES]\n1\\name=One\nsize=1\n\n[One]\nhexString=01 02 ; comment\nrepeat=@Variant(\\0\\0\\0\\x87@ \\0\\0)\n[General]\ntop=1\n');
    expect(ini.get('NAMES/1/name')).toBe('One');
    expect(ini.get('One/hexString')).toBe('01 02');
    expect(ini.get('One/repeat')).toEqual({ variant: 2.5 });
    expect(ini.get('top')).toBe('1');
  });

  it('a float written as Qt 5 writes it reads back', () => {
    const text = writeIni([{ group: 'P', keys: { repeat: floatVariant(1.5) } }]);
    expect(text).toBe('[P]\nrepeat=@Variant(\\0\\0\\0\\x87?\\xc0\\0\\0)\n');
    expect(readIni(text).get('P/repeat')).toEqual({ variant: 1.5 });
  });
});
