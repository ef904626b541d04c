import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toCLiteral, toPythonLiteral } from './literal.js';

const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));

describe('source literals', () => {
  it('C: short escapes, \\xHH, quotes, and a string split where a hex digit follows \\xHH', () => {
    expect(toCLiteral(bytes('a"b\\\t\x00A\x01g'))).toBe('"a\\"b\\\\\\t\\x00" "A\\x01g"');
  });

  it('C: the literal a C compiler reads back is the same bytes', () => {
    const all = new Uint8Array(256).map((_, i) => i);
    const dir = mkdtempSync(join(tmpdir(), 'sockbench-literal-'));
    try {
      const src = `#include <stdio.h>\nstatic const char s[] = ${toCLiteral(all)};\nint main(void) { fwrite(s, 1, sizeof s - 1, stdout); return 0; }\n`;
      writeFileSync(join(dir, 'a.c'), src);
      execFileSync('cc', ['-o', join(dir, 'a'), join(dir, 'a.c')]);
      expect(new Uint8Array(execFileSync(join(dir, 'a')))).toEqual(all);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('C: one literal per line after each \\n', () => {
    expect(toCLiteral(bytes('GET / HTTP/1.0\r\n\r\n'))).toBe('"GET / HTTP/1.0\\r\\n"\n"\\r\\n"');
  });

  it('Python: the literal python3 reads back is the same bytes', () => {
    const all = new Uint8Array(256).map((_, i) => i);
    const lit = toPythonLiteral(all);
    const back = execFileSync('python3', ['-c', `import sys; sys.stdout.buffer.write(${lit})`]);
    expect(new Uint8Array(back)).toEqual(all);
    expect(toPythonLiteral(bytes("it's"))).toBe("b'it\\'s'");
  });
});
