// The real bundles in dist/ (built by `npm test` first): the Electron entry
// boots against a stand-in `electron` and serves the built renderer over
// app://; the preload requires nothing but electron (a sandboxed preload
// cannot load anything else).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const hook = new URL('./fake-electron/hook.cjs', import.meta.url).pathname;

describe('dist bundles', () => {
  it('dist/app.cjs boots: sandbox on, app:// privileged, the built index.html served with the CSP', () => {
    expect(existsSync('dist/app.cjs'), 'run npm run build').toBe(true);
    const out = execFileSync(process.execPath, ['--require', hook, 'dist/app.cjs'], { encoding: 'utf8', timeout: 20_000 });
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as { what: string } & Record<string, unknown>);
    const by = (what: string) => lines.find((l) => l.what === what);
    expect(by('enableSandbox')).toBeTruthy();
    expect(by('privileged')!.schemes).toEqual([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
    const prefs = by('window')!.webPreferences as { preload: string; sandbox: boolean; contextIsolation: boolean };
    expect(prefs.sandbox && prefs.contextIsolation).toBe(true);
    expect(existsSync(prefs.preload), `preload at ${prefs.preload}`).toBe(true);
    expect(by('loadURL')!.url).toBe('app://sockbench/index.html');
    const served = by('served') as unknown as { status: number; csp: string; body: string };
    expect(served.status).toBe(200);
    expect(served.body).toContain('<title>Sockbench</title>');
    expect(served.csp).toContain("default-src 'none'");
  });

  it('dist/preload.cjs requires only electron', () => {
    const text = readFileSync('dist/preload.cjs', 'utf8');
    const required = [...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
    expect(new Set(required)).toEqual(new Set(['electron']));
  });
});
