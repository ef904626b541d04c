// Enforces the import boundaries of DESIGN.md (run by `npm run lint`):
// - only main/app and main/preload.ts import 'electron';
// - main/engine, main/raw and main/bridge never do (they run under plain Node);
// - renderer/ and shared/ import no Node built-ins (they run in a browser);
// - shared/ imports nothing from main/ or renderer/, nor Vue, Pinia or Electron;
// - ipcMain.handle / ipcRenderer.invoke appear only in the bridge's two ends.
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const SOURCE = /\.(ts|mts|cts|vue|js|mjs)$/;
const SKIP_DIRS = new Set(['node_modules', 'dist', 'release', 'build', 'test-results', '.git']);
const IPC_ENDS = new Set(['main/bridge/ipc-transport.ts', 'main/preload.ts']);

function* sourceFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) yield* sourceFiles(join(dir, entry.name));
    } else if (SOURCE.test(entry.name)) yield join(dir, entry.name);
  }
}

/** Module specifiers of static imports, re-exports, dynamic imports and require(). */
export function specifiers(text) {
  const found = [];
  const patterns = [
    /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) found.push(m[1]);
  return found;
}

/** Returns one message per broken rule for a file at `rel` (posix path from the project root). */
export function violations(rel, text) {
  const out = [];
  const isTest = /\.test\.ts$/.test(rel);
  const inRenderer = rel.startsWith('renderer/');
  const inShared = rel.startsWith('shared/');
  const electronAllowed = rel.startsWith('main/app/') || rel === 'main/preload.ts';
  for (const spec of specifiers(text)) {
    if (spec === 'electron' && !electronAllowed && !isTest) {
      out.push(`${rel}: imports 'electron'; only main/app and main/preload.ts may (the rest runs under plain Node)`);
    }
    if ((inRenderer || inShared) && !isTest && NODE_BUILTINS.has(spec)) {
      out.push(`${rel}: imports Node built-in '${spec}'; ${inRenderer ? 'the renderer' : 'shared code'} must run in a plain browser`);
    }
    if (inShared && !isTest && ['vue', 'pinia', 'electron'].includes(spec)) {
      out.push(`${rel}: imports '${spec}'; shared/ is plain TypeScript used by both sides`);
    }
    if (inShared && /(^|\/)(main|renderer)\//.test(spec) && spec.startsWith('.')) {
      out.push(`${rel}: imports '${spec}'; shared/ may not depend on main/ or renderer/`);
    }
    if (inRenderer && !isTest && spec.startsWith('.') && /(^|\/)main\//.test(spec)) {
      out.push(`${rel}: imports '${spec}'; the renderer reaches main only through the bridge`);
    }
  }
  if (!isTest && !IPC_ENDS.has(rel) && /\b(ipcMain\.handle|ipcRenderer\.invoke)\s*\(/.test(text)) {
    out.push(`${rel}: uses ipcMain.handle/ipcRenderer.invoke; only the bridge (${[...IPC_ENDS].join(', ')}) may`);
  }
  return out;
}

export function checkTree(root) {
  const problems = [];
  for (const top of ['main', 'renderer', 'shared']) {
    for (const file of sourceFiles(join(root, top))) {
      const rel = relative(root, file).split(sep).join('/');
      problems.push(...violations(rel, readFileSync(file, 'utf8')));
    }
  }
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const problems = checkTree(root);
  for (const p of problems) console.error(p);
  if (problems.length) {
    console.error(`check-imports: ${problems.length} boundary violation(s)`);
    process.exit(1);
  }
  console.log('check-imports: import boundaries hold');
}
