// electron-builder.yml and build/stage-node.mjs: the desktop app ships the
// Node that runs its raw-socket helper (runAsNode is off), raw-socket stays
// built for that Node (no rebuild against Electron), and everything that plain
// Node process loads is unpacked from app.asar. Read with electron-builder's
// own YAML parser and glob matcher (js-yaml, minimatch), as it reads them.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { helperProblems } from '../../build/after-pack.mjs';
import { BUILDER_ARCH, BUILDER_OS, RUNTIME_FLAGS, stageDir, stageNode } from '../../build/stage-node.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(join(root, 'node_modules', 'app-builder-lib', 'package.json'));
const yaml = require('js-yaml') as { load(text: string): unknown };
const { minimatch } = require('minimatch') as { minimatch(path: string, pattern: string, opts?: { dot?: boolean }): boolean };

interface FileSet { from?: string; to?: string; filter?: string | string[] }
interface Config {
  files: (string | FileSet)[];
  asar: boolean;
  asarUnpack: string[];
  extraResources: (string | FileSet)[];
  npmRebuild: boolean;
  afterPack: string;
  electronFuses: Record<string, boolean>;
}

const config = yaml.load(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as Config;
// electron-builder matches with { dot: true } (app-builder-lib fileMatcher.js).
const unpacked = (path: string) => config.asarUnpack.some((p) => minimatch(path, p, { dot: true }));
const included = (path: string) => {
  const patterns = config.files.filter((p): p is string => typeof p === 'string');
  let yes = false;
  for (const p of patterns) {
    if (p.startsWith('!')) yes &&= !minimatch(path, p.slice(1), { dot: true });
    else yes ||= minimatch(path, p, { dot: true });
  }
  return yes;
};

describe('electron-builder.yml', () => {
  it('does not rebuild native modules against Electron: raw-socket stays built for the shipped Node', () => {
    expect(config.npmRebuild).toBe(false);
    expect(config.electronFuses.runAsNode).toBe(false);
  });

  it('ships the staged Node as resources/node with its manifest', () => {
    const node = config.extraResources.find((r): r is FileSet => typeof r === 'object' && r.to === 'node');
    expect(node).toBeDefined();
    expect(node!.from).toBe('build/node-runtime/${os}-${arch}');
    expect(node!.filter).toEqual(expect.arrayContaining(['node', 'node.exe', 'node-runtime.json']));
    // stage-node writes where the macros point for this machine (electron-builder's ${os} and ${arch} names).
    const expanded = node!.from!.replace('${os}', BUILDER_OS[process.platform]!).replace('${arch}', BUILDER_ARCH[process.arch]!);
    expect(join(root, expanded)).toBe(stageDir(join(root, 'build')));
    expect(stageDir('b', 'darwin', 'arm64')).toBe(join('b', 'node-runtime', 'mac-arm64'));
    expect(stageDir('b', 'win32', 'x64')).toBe(join('b', 'node-runtime', 'win-x64'));
    expect(readFileSync(join(root, '.gitignore'), 'utf8').split('\n')).toContain('build/node-runtime/');
  });

  it('unpacks from app.asar everything the helper\'s plain Node loads, and every native addon', () => {
    expect(config.asar).toBe(true);
    for (const f of ['dist/raw-helper.cjs', 'node_modules/raw-socket/index.js', 'node_modules/raw-socket/package.json', 'node_modules/raw-socket/build/Release/raw.node', 'dist/socket-worker.cjs']) {
      expect(unpacked(f), f).toBe(true);
    }
    for (const f of ['main/native/build/Release/sockbench_native.node', 'main/native/build/Release/sockbench_stamp.node', 'node_modules/raw-socket/build/Release/raw.node', 'node_modules/any/x.node']) {
      expect(unpacked(f), f).toBe(true);
    }
    expect(unpacked('dist/app.cjs')).toBe(false); // the app itself stays in the (integrity-checked) archive
  });

  it('packs both N-API addons (the stamp addon the helper loads too) and no source maps', () => {
    expect(included('main/native/build/Release/sockbench_native.node')).toBe(true);
    expect(included('main/native/build/Release/sockbench_stamp.node')).toBe(true);
    expect(included('dist/raw-helper.cjs')).toBe(true);
    expect(included('dist/raw-helper.cjs.map')).toBe(false);
  });

  it('`npm run dist` stages the Node before electron-builder runs', () => {
    const dist = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.dist!;
    expect(dist.indexOf('node build/stage-node.mjs')).toBeGreaterThan(-1);
    expect(dist.indexOf('node build/stage-node.mjs')).toBeLessThan(dist.indexOf('electron-builder'));
  });
});

describe('build/stage-node.mjs', () => {
  it('copies this Node with a manifest of its version, ABI and permission flags', () => {
    const out = mkdtempSync(join(tmpdir(), 'sockbench-stage-'));
    try {
      const r = stageNode({ out });
      const exe = join(out, process.platform === 'win32' ? 'node.exe' : 'node');
      expect(r.node).toBe(exe);
      accessSync(exe, constants.X_OK);
      expect(execFileSync(exe, ['--version'], { encoding: 'utf8' }).trim()).toBe(process.version);
      const manifest = JSON.parse(readFileSync(join(out, 'node-runtime.json'), 'utf8')) as { version: string; modules: string; flags: string[] };
      expect(manifest).toMatchObject({ version: process.version, modules: process.versions.modules });
      expect(manifest.flags).toEqual(RUNTIME_FLAGS.filter((f) => process.allowedNodeEnvironmentFlags.has(f)));
      expect(manifest.flags).toContain('--allow-addons');
      expect(manifest.flags.some((f) => f === '--permission' || f === '--experimental-permission')).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('build/after-pack.mjs', () => {
  it('is electron-builder\'s afterPack hook, and refuses a package without the shipped Node or the unpacked helper', () => {
    expect(config.afterPack).toBe('./build/after-pack.mjs');
    const res = mkdtempSync(join(tmpdir(), 'sockbench-resources-'));
    try {
      const missing = helperProblems(res, 'linux');
      expect(missing).toEqual(expect.arrayContaining([
        expect.stringContaining(join(res, 'node', 'node')),
        expect.stringContaining(join(res, 'node', 'node-runtime.json')),
        expect.stringContaining(join(res, 'app.asar.unpacked', 'dist', 'raw-helper.cjs')),
        expect.stringContaining(join(res, 'app.asar.unpacked', 'node_modules', 'raw-socket', 'build', 'Release', 'raw.node')),
      ]));
      mkdirSync(join(res, 'node'));
      writeFileSync(join(res, 'node', 'node'), '');
      writeFileSync(join(res, 'node', 'node-runtime.json'), JSON.stringify({ platform: 'linux', flags: [] }));
      for (const f of ['dist/raw-helper.cjs', 'node_modules/raw-socket/index.js', 'node_modules/raw-socket/build/Release/raw.node']) {
        mkdirSync(join(res, 'app.asar.unpacked', f, '..'), { recursive: true });
        writeFileSync(join(res, 'app.asar.unpacked', f), '');
      }
      expect(helperProblems(res, 'linux')).toEqual([]);
      // A Linux Node in a Windows package: node.exe missing, and the wrong OS.
      expect(helperProblems(res, 'win32')).toEqual([expect.stringContaining('node.exe is missing'), 'the shipped Node is for linux, the package for win32']);
    } finally {
      rmSync(res, { recursive: true, force: true });
    }
  });
});
