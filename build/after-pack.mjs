// electron-builder afterPack hook (electron-builder.yml): refuses a package in
// which the raw-socket helper could not run. The helper is started by the Node
// shipped in resources/node (build/stage-node.mjs, extraResources) from files
// unpacked from app.asar (asarUnpack); electron-builder only warns when
// extraResources' source is missing (for example when packaging for another
// OS or architecture than the one that staged the Node), so check here.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What is missing for the helper in a packaged app's resources directory (empty: nothing). */
export function helperProblems(resources, platform) {
  const problems = [];
  const node = join(resources, 'node', platform === 'win32' ? 'node.exe' : 'node');
  const manifest = join(resources, 'node', 'node-runtime.json');
  if (!existsSync(node)) problems.push(`${node} is missing (run \`node build/stage-node.mjs\` on the target OS and architecture before electron-builder)`);
  if (!existsSync(manifest)) {
    problems.push(`${manifest} is missing`);
  } else {
    const m = JSON.parse(readFileSync(manifest, 'utf8'));
    const os = { darwin: 'darwin', mas: 'darwin', linux: 'linux', win32: 'win32' }[platform] ?? platform;
    if (m.platform !== os) problems.push(`the shipped Node is for ${m.platform}, the package for ${os}`);
  }
  const unpacked = join(resources, 'app.asar.unpacked');
  for (const f of ['dist/raw-helper.cjs', 'node_modules/raw-socket/index.js', 'node_modules/raw-socket/build/Release/raw.node']) {
    if (!existsSync(join(unpacked, f))) problems.push(`${join(unpacked, f)} is missing (asarUnpack)`);
  }
  return problems;
}

export async function afterPack(context) {
  const resources = context.packager.getResourcesDir(context.appOutDir);
  const problems = helperProblems(resources, context.electronPlatformName);
  if (problems.length) throw new Error(`after-pack: the raw-socket helper could not run in this package:\n  ${problems.join('\n  ')}`);
}
