import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PORT_FILE, rememberedPort, rememberPort, serveToken, TOKEN_FILE } from './serve-state.js';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const fresh = () => (dir = mkdtempSync(join(tmpdir(), 'sockbench-serve-state-')));
const mode = (f: string) => statSync(join(dir, f)).mode & 0o777;

describe('serve keeps its token and port in the workspace', () => {
  it('the first start writes a token 0600; the next keeps it; --new-token replaces it, still 0600', () => {
    fresh();
    const a = serveToken(dir);
    expect(a).toMatchObject({ source: 'new' });
    expect(a.token).toMatch(/^[0-9a-f]{48}$/);
    expect(mode(TOKEN_FILE)).toBe(0o600);
    expect(serveToken(dir)).toMatchObject({ token: a.token, source: 'kept', tightened: false });
    const c = serveToken(dir, true);
    expect(c.source).toBe('rotated');
    expect(c.token).not.toBe(a.token);
    expect(readFileSync(join(dir, TOKEN_FILE), 'utf8').trim()).toBe(c.token);
    expect(mode(TOKEN_FILE)).toBe(0o600);
  });

  it('a token file readable by others is made 0600 again; a malformed one is replaced', () => {
    fresh();
    const a = serveToken(dir);
    chmodSync(join(dir, TOKEN_FILE), 0o644);
    expect(serveToken(dir)).toMatchObject({ token: a.token, tightened: true });
    expect(mode(TOKEN_FILE)).toBe(0o600);
    writeFileSync(join(dir, TOKEN_FILE), 'not a token');
    const b = serveToken(dir);
    expect(b.source).toBe('new');
    expect(b.token).not.toBe(a.token);
  });

  it('the port: kept as given, nothing for a missing or malformed file', () => {
    fresh();
    expect(rememberedPort(dir)).toBeUndefined();
    rememberPort(dir, 43210);
    expect(rememberedPort(dir)).toBe(43210);
    expect(mode(PORT_FILE)).toBe(0o600);
    writeFileSync(join(dir, PORT_FILE), '{"port": 70000}');
    expect(rememberedPort(dir)).toBeUndefined();
  });
});
