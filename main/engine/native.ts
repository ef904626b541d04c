// Loads the project's small N-API addon (main/engine/native). It is found from
// the project root so the same code works from TypeScript sources (tests),
// from the dist/ bundles, and unpacked from an Electron asar.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface NativeSockets {
  socket(family: 4 | 6, stream: boolean): number;
  bind(fd: number, address: string, port: number): void;
  getsockname(fd: number): { address: string; port: number };
  close(fd: number): void;
}

const ADDON = join('main', 'engine', 'native', 'build', 'Release', 'sockbench_native.node');

function findAddon(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    for (const candidate of [join(dir, ADDON), join(dir.replace('app.asar', 'app.asar.unpacked'), ADDON)]) {
      if (existsSync(candidate)) return candidate;
    }
    if (dirname(dir) === dir) break;
  }
  throw new Error(
    `Sockbench's native addon is not built (looked for ${ADDON} above ${start}). Run \`npm install\` (it runs node-gyp) and try again.`,
  );
}

let cached: NativeSockets | undefined;

export function native(): NativeSockets {
  if (!cached) {
    const here = typeof __dirname === 'string' ? __dirname : process.cwd();
    cached = createRequire(join(here, 'noop.js'))(findAddon(here)) as NativeSockets;
  }
  return cached;
}
