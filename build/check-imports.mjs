// Enforces the import rules of DESIGN.md (run by `npm run lint`): the rules
// themselves are .dependency-cruiser.cjs (layers, no cycles with type-only
// imports included, electron only in the glue, no Node in browser code);
// dependency-cruiser resolves every import. One rule is about calls, not
// imports, so it is checked here: ipcMain.handle / ipcRenderer.invoke appear
// only at the bridge's two ends.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise } from 'dependency-cruiser';

const IPC_ENDS = new Set(['main/bridge/ipc-transport.ts', 'main/preload.ts']);
const SOURCE = /\.(ts|mts|cts|vue|js|mjs)$/;
const TOPS = ['main', 'renderer/src', 'shared'];
const config = createRequire(import.meta.url)('../.dependency-cruiser.cjs');

function* sourceFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'build') yield* sourceFiles(join(dir, entry.name));
    } else if (SOURCE.test(entry.name)) yield join(dir, entry.name);
  }
}

/** The ipc rule for one file at `rel` (posix path from the project root). */
export function ipcViolations(rel, text) {
  if (/\.test\.ts$/.test(rel) || IPC_ENDS.has(rel)) return [];
  return /\b(ipcMain\.handle|ipcRenderer\.invoke)\s*\(/.test(text)
    ? [`${rel}: uses ipcMain.handle/ipcRenderer.invoke; only the bridge (${[...IPC_ENDS].join(', ')}) may`]
    : [];
}

/** One line per broken rule in the tree at `root` ("rule: from → to  (why)"). */
export async function checkTree(root) {
  const tops = TOPS.filter((t) => existsSync(join(root, t)));
  const result = await cruise(tops, { ...config.options, baseDir: root, ruleSet: { forbidden: config.forbidden }, validate: true });
  const problems = result.output.summary.violations.map((v) => {
    const to = v.cycle ? v.cycle.map((c) => c.name ?? c).join(' → ') : v.to;
    const why = config.forbidden.find((r) => r.name === v.rule.name)?.comment;
    return `${v.rule.name}: ${v.from} → ${to}${why ? `  (${why})` : ''}`;
  });
  for (const top of tops) {
    for (const file of sourceFiles(join(root, top))) {
      problems.push(...ipcViolations(relative(root, file).split(sep).join('/'), readFileSync(file, 'utf8')));
    }
  }
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const problems = await checkTree(root);
  for (const p of problems) console.error(p);
  if (problems.length) {
    console.error(`check-imports: ${problems.length} rule violation(s)`);
    process.exit(1);
  }
  console.log('check-imports: import rules hold (layers, no cycles, electron and Node where they belong)');
}
