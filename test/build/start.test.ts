// `npm start` after the build: Electron when its binary is there, otherwise a
// plain explanation and browser mode, never a crash.
import { spawn, execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('npm start', () => {
  it('without the Electron binary says so, how to install it, and serves browser mode', async () => {
    const env = { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: join(tmpdir(), 'no-electron-here') };
    const proc = spawn(process.execPath, ['build/start.mjs', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += String(d)));
    proc.stderr.on('data', (d: Buffer) => (out += String(d)));
    try {
      await expect.poll(() => out, { timeout: 15_000 }).toMatch(/Open: http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]{48}/);
      expect(out).toMatch(/Electron binary is not installed/);
      expect(out).toMatch(/npx install-electron/);
      expect(out).toMatch(/browser mode/);
      const url = /Open: (\S+)/.exec(out)![1]!;
      const res = await fetch(url.replace(/#.*/, ''));
      expect(res.status).toBe(200);
    } finally {
      proc.kill('SIGTERM');
    }
  });

  it('with an Electron binary launches it on the project', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fake-electron-'));
    const bin = join(dir, 'electron');
    writeFileSync(bin, '#!/bin/sh\necho "electron launched with: $*"\n');
    chmodSync(bin, 0o755);
    const out = execFileSync(process.execPath, ['build/start.mjs', '--flag'], { env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: dir }, encoding: 'utf8' });
    expect(out.trim()).toBe(`electron launched with: ${process.cwd()} --flag`);
  });
});
