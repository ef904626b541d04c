// Bundles the Node side into dist/: the Electron main process (app.cjs), the
// sandboxed preload (preload.cjs, which may only require 'electron') and the
// browser-mode server (serve.cjs) and the `sockbench` command (cli.cjs). The renderer is built by Vite beforehand.
import { build } from 'esbuild';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entries = {
  app: 'main/app/main.ts',
  preload: 'main/preload.ts',
  serve: 'main/serve.ts',
  cli: 'main/cli.ts',
  'socket-worker': 'main/engine/worker/worker-main.ts',
  'raw-helper': 'main/raw/helper-main.ts',
};

const missing = Object.values(entries).filter((p) => !existsSync(join(root, p)));
if (missing.length) {
  console.error(`build: missing entry ${missing.join(', ')}`);
  process.exit(1);
}

await build({
  absWorkingDir: root,
  entryPoints: entries,
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'linked',
  // electron is provided by the runtime; native addons are loaded from disk
  // (app.asar.unpacked when packaged), never inlined.
  external: ['electron', 'raw-socket', '*.node'],
  // `sockbench --version`: package.json's version, fixed at build time.
  define: { __SOCKBENCH_VERSION__: JSON.stringify(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version) },
  logLevel: 'warning',
});
// dist/cli.cjs is package.json's bin: runnable as `sockbench`.
const cli = join(root, 'dist', 'cli.cjs');
writeFileSync(cli, `#!/usr/bin/env node\n${readFileSync(cli, 'utf8')}`);
chmodSync(cli, 0o755);
console.log(`build: ${Object.keys(entries).map((n) => `dist/${n}.cjs`).join(', ')}`);
