// Where the workspace lives: --workspace DIR, else $SOCKBENCH_WORKSPACE, else
// the per-user default (the desktop app: under Electron's userData; browser
// mode and the CLI: the platform's data folder). And the check a folder must
// pass before it is opened (main never opens a path the renderer sent unchecked).
import { accessSync, constants, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { EngineError } from '../core/errors.js';
import { writeFileAtomic } from './atomic.js';

export type WorkspaceSource = 'default' | 'flag' | 'env' | 'chosen';

/** $XDG_DATA_HOME/sockbench or ~/.local/share/sockbench; ~/Library/Application Support/Sockbench; %APPDATA%\Sockbench. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home: string = homedir()): string {
  if (platform === 'win32') return join(env.APPDATA || join(home, 'AppData', 'Roaming'), 'Sockbench');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'Sockbench');
  const xdg = env.XDG_DATA_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(home, '.local', 'share'), 'sockbench');
}

/** The folder to open and where that choice came from. `fallback` is the mode's default. */
export function chooseWorkspaceDir(flag: string | undefined, env: NodeJS.ProcessEnv, fallback: string): { dir: string; source: WorkspaceSource } {
  if (flag !== undefined && flag !== '') return { dir: resolve(flag), source: 'flag' };
  const fromEnv = env.SOCKBENCH_WORKSPACE;
  if (fromEnv) return { dir: resolve(fromEnv), source: 'env' };
  return { dir: fallback, source: 'default' };
}

/**
 * The file in the default workspace folder that remembers the folder last
 * chosen in the app (the desktop app and browser mode) instead of it: JSON
 * { "dir": "/abs/path" }. Read only when no --workspace or
 * $SOCKBENCH_WORKSPACE says otherwise; the CLI never reads it.
 */
export const CHOSEN_FILE = '.sockbench-chosen-folder.json';

/** The folder last chosen in the app, if it is still a folder; undefined: none, or it is gone (the default opens). */
export function rememberedChoice(defaultDir: string): string | undefined {
  try {
    const { dir } = JSON.parse(readFileSync(join(defaultDir, CHOSEN_FILE), 'utf8')) as { dir?: unknown };
    if (typeof dir === 'string' && isAbsolute(dir) && statSync(dir).isDirectory()) return dir;
  } catch {
    // No file, not JSON, or the folder is gone: the default.
  }
  return undefined;
}

/** Remembers `dir` as the folder the app opens next time; the default folder itself is remembered as no choice. */
export function rememberChoice(defaultDir: string, dir: string): void {
  const file = join(defaultDir, CHOSEN_FILE);
  if (resolve(dir) === resolve(defaultDir)) {
    rmSync(file, { force: true });
    return;
  }
  mkdirSync(defaultDir, { recursive: true });
  writeFileAtomic(file, `${JSON.stringify({ dir: resolve(dir) })}\n`);
}

const bad = (message: string): EngineError => new EngineError('BAD_REQUEST', message, undefined, 'dir');

/**
 * Checks that `dir` can be a workspace and creates it (with missing parents
 * only for `createParents`, the defaults): absolute, a folder, readable and
 * writable. The error names the field `dir` and says what is wrong.
 */
export function prepareDir(dir: string, createParents: boolean): string {
  if (!isAbsolute(dir)) throw bad(`workspace folder must be an absolute path, got "${dir}"`);
  const path = resolve(dir);
  let st;
  try {
    st = statSync(path);
  } catch {
    if (!createParents) {
      try {
        if (!statSync(dirname(path)).isDirectory()) throw new Error();
      } catch {
        throw bad(`cannot create ${path}: its parent folder ${dirname(path)} does not exist`);
      }
    }
    try {
      mkdirSync(path, { recursive: true });
    } catch (e) {
      throw bad(`cannot create ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    st = statSync(path);
  }
  if (!st.isDirectory()) throw bad(`${path} is a file, not a folder`);
  try {
    accessSync(path, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch {
    throw bad(`${path} cannot be read and written by this user`);
  }
  return path;
}

/**
 * Takes `--workspace DIR` (or --workspace=DIR) out of argv wherever it is:
 * the CLI's every command, `serve` and the desktop app accept it.
 */
export function takeWorkspaceFlag(argv: readonly string[]): { argv: string[]; workspace?: string } | { error: string } {
  const rest: string[] = [];
  let workspace: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (a === '--workspace' || a.startsWith('--workspace=')) {
      const value = a === '--workspace' ? argv[++i] : a.slice('--workspace='.length);
      if (value === undefined || value === '' || value.startsWith('--')) return { error: '--workspace needs a folder, e.g. --workspace ./sockbench-workspace' };
      workspace = value;
      continue;
    }
    rest.push(a);
  }
  return workspace === undefined ? { argv: rest } : { argv: rest, workspace };
}
