// The import rules (.dependency-cruiser.cjs via build/check-imports.mjs) on
// small trees made for each case: every rule must catch its violation, and
// the project as it is must hold.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkTree, ipcViolations } from '../../build/check-imports.mjs';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A throwaway tree with these files (path → source); returns what the rules say of it. */
async function rulesOn(files: Record<string, string>): Promise<string[]> {
  const root = mkdtempSync(join(tmpdir(), 'sockbench-rules-'));
  dirs.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return checkTree(root);
}

const leaf = 'export const x = 1;\n';

describe('import rules', () => {
  it('refuse a cycle, type-only imports included', async () => {
    const out = await rulesOn({
      'shared/a.ts': "import type { B } from './b.js';\nexport type A = { b?: B };\n",
      'shared/b.ts': "import type { A } from './a.js';\nexport type B = { a?: A };\n",
    });
    expect(out.some((l) => l.startsWith('no-cycles: shared/a.ts'))).toBe(true);
  });

  it('keep main/engine to sessions: no bridge, raw helper, crafter or composition root', async () => {
    const out = await rulesOn({
      'main/engine/engine.ts': "import { r } from '../bridge/router.js';\nimport { p } from '../raw/probes.js';\nimport { w } from '../workbench.js';\nexport const e = [r, p, w];\n",
      'main/bridge/router.ts': 'export const r = 1;\n',
      'main/raw/probes.ts': 'export const p = 1;\n',
      'main/workbench.ts': 'export const w = 1;\n',
    });
    expect(out.filter((l) => l.startsWith('engine-is-sessions-only:'))).toHaveLength(3);
    expect(out.some((l) => l.startsWith('workbench-below-bridge: main/engine/engine.ts'))).toBe(true);
  });

  it('keep main/core a leaf and the bridge off the parts', async () => {
    const out = await rulesOn({
      'main/core/clock.ts': "import { x } from '../engine/session.js';\nexport const c = x;\n",
      'main/engine/session.ts': leaf,
      'main/bridge/router.ts': "import { x } from '../engine/session.js';\nexport const r = x;\n",
    });
    expect(out.some((l) => l.startsWith('core-is-a-leaf: main/core/clock.ts → main/engine/session.ts'))).toBe(true);
    expect(out.some((l) => l.startsWith('bridge-over-workbench: main/bridge/router.ts → main/engine/session.ts'))).toBe(true);
  });

  it('allow electron in main/app and the preload only', async () => {
    const out = await rulesOn({
      'main/engine/engine.ts': "import { app } from 'electron';\nexport const e = app;\n",
      'main/app/window.ts': "import { BrowserWindow } from 'electron';\nexport const w = BrowserWindow;\n",
      'main/preload.ts': "import { contextBridge } from 'electron';\nexport const p = contextBridge;\n",
    });
    expect(out.filter((l) => l.startsWith('electron-only-in-glue:'))).toEqual([expect.stringMatching(/^electron-only-in-glue: main\/engine\/engine\.ts → /)]);
  });

  it('keep Node out of the renderer (Vue files too) and shared code, and shared/ off Vue and main/', async () => {
    const out = await rulesOn({
      'renderer/src/App.vue': "<script setup lang=\"ts\">\nimport { readFileSync } from 'node:fs';\nconst x = readFileSync;\n</script>\n<template><div>{{ x }}</div></template>\n",
      'renderer/src/stores/s.ts': "import { x } from '../../../main/engine/engine.js';\nexport const s = x;\n",
      'main/engine/engine.ts': leaf,
      'shared/codec/hex.ts': "import { Buffer } from 'node:buffer';\nimport { ref } from 'vue';\nexport const h = [Buffer, ref];\n",
      'main/engine/stream.ts': "import net from 'node:net';\nexport const n = net;\n",
    });
    expect(out.some((l) => l.startsWith('browser-code-has-no-node: renderer/src/App.vue → fs'))).toBe(true);
    expect(out.some((l) => l.startsWith('browser-code-has-no-node: shared/codec/hex.ts → buffer'))).toBe(true);
    expect(out.some((l) => l.startsWith('shared-is-shared: shared/codec/hex.ts'))).toBe(true);
    expect(out.some((l) => l.startsWith('renderer-only-through-the-bridge: renderer/src/stores/s.ts → main/engine/engine.ts'))).toBe(true);
    expect(out.some((l) => l.includes('main/engine/stream.ts'))).toBe(false);
  });

  it('keep ipcMain.handle and ipcRenderer.invoke inside the bridge', () => {
    expect(ipcViolations('main/app/window.ts', "ipcMain.handle('x', f)")).toHaveLength(1);
    expect(ipcViolations('main/bridge/ipc-transport.ts', "ipcMain.handle('x', f)")).toEqual([]);
  });

  it('hold for the project as it is', async () => {
    expect(await checkTree(fileURLToPath(new URL('../..', import.meta.url)))).toEqual([]);
  });
});
