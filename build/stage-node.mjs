// Stages the Node that runs this build as the desktop app's helper runtime
// (`npm run dist` runs it before electron-builder). The raw-socket helper
// cannot run under Electron (the runAsNode fuse is off, docs/SECURITY.md), so
// the app ships a Node binary: electron-builder.yml's extraResources copies
// build/node-runtime/<os>-<arch>/ to resources/node/. It must be the Node that
// raw-socket (nan, ABI-specific) was built for, which is the one running
// `npm run dist` (npmRebuild is off), so this checks raw-socket loads here.
//
// Writes build/node-runtime/<os>-<arch>/node (node.exe on Windows) and
// node-runtime.json: version, ABI, and the permission-model flags the binary
// accepts, which main/raw/raw-helper.ts reads to sandbox the helper.
//
//   node build/stage-node.mjs [--out DIR]
import { chmodSync, copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** electron-builder's ${os} (platform configuration key) for a process.platform. */
export const BUILDER_OS = { linux: 'linux', darwin: 'mac', win32: 'win' };
/** electron-builder's ${arch} for a process.arch. */
export const BUILDER_ARCH = { x64: 'x64', ia32: 'ia32', arm64: 'arm64', arm: 'armv7l' };
/** The flags main/raw/raw-helper.ts may use, recorded when the staged binary accepts them. */
export const RUNTIME_FLAGS = [
  '--permission',
  '--experimental-permission',
  '--allow-addons',
  '--allow-fs-read',
  '--allow-fs-write',
  '--allow-child-process',
  '--allow-worker',
  '--disable-warning',
];

/** build/node-runtime/<os>-<arch>: the directory extraResources reads (`build/node-runtime/${os}-${arch}`). */
export function stageDir(base, platform = process.platform, arch = process.arch) {
  const os = BUILDER_OS[platform];
  const a = BUILDER_ARCH[arch];
  if (!os || !a) throw new Error(`stage-node: electron-builder does not package for ${platform}-${arch}`);
  return join(base, 'node-runtime', `${os}-${a}`);
}

export function stageNode({ out = stageDir(join(root, 'build')) } = {}) {
  // A Node built against shared libraries (Debian's libnode, Homebrew's openssl …) would not run on users' machines.
  const shared = Object.entries(process.config.variables).filter(([k, v]) => k.startsWith('node_shared') && v === true).map(([k]) => k);
  if (shared.length) {
    throw new Error(`stage-node: ${process.execPath} is built against shared libraries (${shared.join(', ')}); package with an official build from nodejs.org`);
  }
  // raw-socket must load in this very Node (same ABI as the binary shipped).
  try {
    createRequire(join(root, 'package.json'))('raw-socket');
  } catch (e) {
    throw new Error(`stage-node: raw-socket does not load in ${process.execPath} (Node ${process.version}, ABI ${process.versions.modules}): ${e.message}. Run \`npm rebuild raw-socket\` with this Node, then package again.`, { cause: e });
  }
  const exe = process.platform === 'win32' ? 'node.exe' : 'node';
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  copyFileSync(process.execPath, join(out, exe));
  chmodSync(join(out, exe), 0o755);
  const manifest = {
    version: process.version,
    modules: process.versions.modules,
    napi: process.versions.napi,
    platform: process.platform,
    arch: process.arch,
    flags: RUNTIME_FLAGS.filter((f) => process.allowedNodeEnvironmentFlags.has(f)),
  };
  writeFileSync(join(out, 'node-runtime.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return { dir: out, node: join(out, exe), manifest };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  try {
    if (i > 0 && !process.argv[i + 1]) throw new Error('stage-node: --out needs a directory');
    const r = stageNode(i > 0 ? { out: resolve(process.argv[i + 1]) } : {});
    console.log(`stage-node: Node ${r.manifest.version} (ABI ${r.manifest.modules}) → ${r.node}; flags ${r.manifest.flags.join(' ')}`);
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
