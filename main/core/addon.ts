// Finds and loads the project's N-API addons (main/native): from the project
// root, so the same code works from TypeScript sources (tests), from the dist/
// bundles, and unpacked from an Electron asar.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';

/** The same path inside app.asar.unpacked when it is inside app.asar (a plain Node process cannot read an asar archive). */
export function unpackedPath(path: string): string {
  const parts = path.split(sep);
  const i = parts.indexOf('app.asar');
  if (i < 0) return path;
  parts[i] = 'app.asar.unpacked';
  return parts.join(sep);
}

function findAddon(file: string, start: string): string {
  const rel = join('main', 'native', 'build', 'Release', file);
  // Under Node's permission model (the raw helper) a path outside what may be read throws: not here.
  const here = (p: string): boolean => {
    try {
      return existsSync(p);
    } catch {
      return false;
    }
  };
  for (let dir = start; ; dir = dirname(dir)) {
    // Packaged: native code lives beside app.asar, in app.asar.unpacked.
    for (const candidate of new Set([join(dir, rel), join(unpackedPath(dir), rel)])) {
      if (here(candidate)) return candidate;
    }
    if (dirname(dir) === dir) break;
  }
  throw new Error(
    `Sockbench's native addon is not built (looked for ${rel} above ${start}). Run \`npm install\` (it runs node-gyp) and try again.`,
  );
}

/** Loads one of the project's addons, found from the running code's directory. */
export function loadAddon<T>(file: string): T {
  const here = typeof __dirname === 'string' ? __dirname : process.cwd();
  return createRequire(join(here, 'noop.js'))(findAddon(file, here)) as T;
}

