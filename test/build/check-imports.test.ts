import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { checkTree, specifiers, violations } from '../../build/check-imports.mjs';

describe('import boundaries', () => {
  it('finds static, side-effect, dynamic and require imports', () => {
    const text = `import a from 'x';\nimport 'y';\nexport { b } from "z";\nconst c = await import('w');\nrequire('v');\nimport type { T } from 'u';`;
    expect(specifiers(text).sort()).toEqual(['u', 'v', 'w', 'x', 'y', 'z']);
  });

  it('refuses electron in the engine and bridge, allows it in main/app and the preload', () => {
    expect(violations('main/engine/engine.ts', "import { app } from 'electron';")).toHaveLength(1);
    expect(violations('main/bridge/router.ts', "import { ipcMain } from 'electron';")).toHaveLength(1);
    expect(violations('main/app/window.ts', "import { BrowserWindow } from 'electron';")).toEqual([]);
    expect(violations('main/preload.ts', "import { contextBridge } from 'electron';")).toEqual([]);
  });

  it('refuses Node built-ins in the renderer and shared code', () => {
    expect(violations('renderer/src/App.vue', "import { readFile } from 'node:fs';")[0]).toMatch(/plain browser/);
    expect(violations('shared/codec/hex.ts', "import { Buffer } from 'buffer';")).toHaveLength(1);
    expect(violations('main/engine/stream-session.ts', "import net from 'node:net';")).toEqual([]);
  });

  it('keeps shared/ independent and the renderer away from main/', () => {
    expect(violations('shared/contract/index.ts', "import { Engine } from '../../main/engine/engine.js';")).toHaveLength(1);
    expect(violations('shared/codec/text.ts', "import { ref } from 'vue';")).toHaveLength(1);
    expect(violations('renderer/src/stores/sessions.ts', "import { Engine } from '../../../main/engine/engine.js';")).toHaveLength(1);
  });

  it('keeps ipcMain.handle and ipcRenderer.invoke inside the bridge', () => {
    expect(violations('main/app/window.ts', "ipcMain.handle('x', f)")).toHaveLength(1);
    expect(violations('main/bridge/ipc-transport.ts', "ipcMain.handle('x', f)")).toEqual([]);
  });

  it('holds for the project as it is', () => {
    expect(checkTree(fileURLToPath(new URL('../..', import.meta.url)))).toEqual([]);
  });
});
