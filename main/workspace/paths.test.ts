// Which folder opens: --workspace, else $SOCKBENCH_WORKSPACE, else (the app
// and browser mode) the folder last chosen in the app, else the default; and
// a choice made in the app is remembered in the default folder, the default
// itself as no choice, a folder that is gone as none.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { harness } from '../../test/support/engine-harness.js';
import { workspaceConfig } from '../workbench.js';
import { CHOSEN_FILE, rememberChoice, rememberedChoice } from './paths.js';

const dirs: string[] = [];
const closers: (() => Promise<void>)[] = [];
const savedEnv = process.env.SOCKBENCH_WORKSPACE;
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  if (savedEnv === undefined) delete process.env.SOCKBENCH_WORKSPACE;
  else process.env.SOCKBENCH_WORKSPACE = savedEnv;
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'sockbench-paths-'));
  dirs.push(d);
  return d;
}

describe('the folder chosen in the app is remembered', () => {
  it('rememberChoice then rememberedChoice gives the folder back; choosing the default forgets it', () => {
    const def = join(tmp(), 'not-yet-made'); // the default folder need not exist before the first choice
    const chosen = tmp();
    expect(rememberedChoice(def)).toBeUndefined();
    rememberChoice(def, chosen);
    expect(rememberedChoice(def)).toBe(chosen);
    rememberChoice(def, def);
    expect(existsSync(join(def, CHOSEN_FILE))).toBe(false);
    expect(rememberedChoice(def)).toBeUndefined();
  });

  it('a remembered folder that is gone, a relative path or a broken file opens the default', () => {
    const def = tmp();
    const chosen = tmp();
    rememberChoice(def, chosen);
    rmSync(chosen, { recursive: true });
    expect(rememberedChoice(def)).toBeUndefined();
    for (const text of ['{"dir": "relative/folder"}', 'not json', '{"dir": 7}', '']) {
      writeFileSync(join(def, CHOSEN_FILE), text);
      expect(rememberedChoice(def)).toBeUndefined();
    }
  });

  it('only without --workspace and $SOCKBENCH_WORKSPACE, and only where asked (the CLI never reads it)', () => {
    const def = tmp();
    const chosen = tmp();
    const flag = tmp();
    const env = tmp();
    rememberChoice(def, chosen);
    delete process.env.SOCKBENCH_WORKSPACE;
    expect(workspaceConfig(undefined, def, { remember: true })).toMatchObject({ dir: chosen, source: 'chosen', startDir: def, defaultDir: def, remember: true });
    expect(workspaceConfig(undefined, def)).toMatchObject({ dir: def, source: 'default' });
    expect(workspaceConfig(flag, def, { remember: true })).toMatchObject({ dir: flag, source: 'flag' });
    process.env.SOCKBENCH_WORKSPACE = env;
    expect(workspaceConfig(undefined, def, { remember: true })).toMatchObject({ dir: env, source: 'env' });
  });

  it('workspace.open remembers the folder when the entry point asked for it, and not otherwise', async () => {
    delete process.env.SOCKBENCH_WORKSPACE;
    for (const remember of [true, false]) {
      const def = tmp();
      const chosen = join(tmp(), 'project');
      mkdirSync(chosen);
      const h = harness({ workspace: workspaceConfig(undefined, def, { remember }) });
      closers.push(() => h.close());
      await h.call('workspace.open', { dir: chosen });
      expect(existsSync(join(def, CHOSEN_FILE))).toBe(remember);
      if (remember) expect(JSON.parse(readFileSync(join(def, CHOSEN_FILE), 'utf8'))).toEqual({ dir: chosen });
    }
  });
});
