// `npm start` (after `npm run build`): launch the Electron app, or, when the
// Electron binary is not installed, say so plainly and run browser mode.
// `require('electron')` is not used to find the binary because it starts a
// download when the binary is missing, which hangs on offline machines.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);

export function findElectronBinary() {
  let pkgDir;
  try {
    pkgDir = dirname(createRequire(join(root, 'package.json')).resolve('electron/package.json'));
  } catch {
    return null;
  }
  const pathFile = join(pkgDir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null;
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const candidate = override ? join(override, relative ?? 'electron') : relative ? join(pkgDir, 'dist', relative) : null;
  return candidate && existsSync(candidate) ? candidate : null;
}

function run(command, commandArgs) {
  const child = spawn(command, commandArgs, { cwd: root, stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const electron = findElectronBinary();
  if (electron) {
    run(electron, [root, ...args]);
  } else {
    console.log(
      [
        'The Electron binary is not installed, so Sockbench cannot open its desktop window here.',
        'Electron downloads its binary separately from the npm package; on a machine with internet',
        'access run `npx install-electron` (or set ELECTRON_OVERRIDE_DIST_PATH to an unpacked',
        'Electron build) and then `npm start` again. Until then Sockbench runs in browser mode:',
        'the same workbench, served on loopback only; open the URL below (it carries the access token).',
        '',
      ].join('\n'),
    );
    run(process.execPath, [join(root, 'dist', 'serve.cjs'), ...args]);
  }
}
