// RawHelper in the packaged desktop app: under Electron (process.versions.electron
// set, process.resourcesPath pointing at a fake resources/ directory) the
// helper runs under the Node shipped in resources/node, from the copy of
// dist/raw-helper.cjs unpacked from app.asar, with the permission flags that
// Node's manifest lists. The last test lays the tree out for real and runs it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { unpackedPath } from '../core/addon.js';
import { RawHelper, defaultEntry, defaultNode, shippedNodePaths, type RawHelperOptions } from './raw-helper.js';
import type { HelperChannel } from './launcher.js';
import { Probes } from './probe-service.js';
import { helperEntry } from './testkit.js';

const root = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const versions = process.versions as Record<string, string | undefined>;
const proc = process as { resourcesPath?: string };
const NODE20_FLAGS = ['--experimental-permission', '--allow-addons', '--allow-fs-read', '--allow-fs-write', '--allow-child-process', '--allow-worker', '--disable-warning'];

let dir: string;
let resources: string;
let rh: RawHelper | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sockbench-packaged-'));
  resources = join(dir, 'Sockbench', 'resources');
  versions.electron = '45.4.1';
  proc.resourcesPath = resources;
});

afterEach(async () => {
  await rh?.stop();
  rh = undefined;
  delete versions.electron;
  delete proc.resourcesPath;
  rmSync(dir, { recursive: true, force: true });
});

/** resources/node/node(.exe) and its manifest, as build/stage-node.mjs and extraResources leave them. */
function shipNode(flags: string[] | null = NODE20_FLAGS, binary?: string): string {
  const { node, manifest } = shippedNodePaths(resources);
  mkdirSync(join(resources, 'node'), { recursive: true });
  if (binary) symlinkSync(binary, node);
  else writeFileSync(node, '#!/bin/sh\nexit 99\n', { mode: 0o755 });
  if (flags) writeFileSync(manifest, JSON.stringify({ version: 'v20.20.2', modules: '115', flags }));
  return node;
}

/** resources/app.asar.unpacked/{dist/raw-helper.cjs, node_modules/raw-socket}; returns the asar's dist dir (the bundle's __dirname). */
function unpackHelper(): string {
  const unpacked = join(resources, 'app.asar.unpacked');
  mkdirSync(join(unpacked, 'dist'), { recursive: true });
  writeFileSync(join(unpacked, 'dist', 'raw-helper.cjs'), '');
  mkdirSync(join(unpacked, 'node_modules', 'raw-socket', 'build', 'Release'), { recursive: true });
  return join(resources, 'app.asar', 'dist');
}

/** A launcher that records the command and never starts anything. */
function recorder() {
  const launched: { command: string; args: string[] }[] = [];
  const launch = (command: string, args: string[]): HelperChannel => {
    launched.push({ command, args });
    const exits: ((code: number | null, signal: NodeJS.Signals | null) => void)[] = [];
    const exit = () => exits.splice(0).forEach((fn) => fn(0, null));
    return { pid: 4242, write: () => undefined, end: exit, onData: () => undefined, onExit: (fn) => void exits.push(fn), stderrTail: () => '', kill: exit, setRef: () => undefined };
  };
  return { launched, launch };
}

const privileged = () => ({ privileged: true, reason: 'test: CAP_NET_RAW' });

function helper(opts: RawHelperOptions): RawHelper {
  rh = new RawHelper({ privilege: privileged, ...opts });
  return rh;
}

describe('RawHelper in the packaged app (Electron, runAsNode off)', () => {
  it('runs the helper unpacked from app.asar under the shipped Node, sandboxed to app.asar.unpacked', () => {
    const node = shipNode();
    const entry = defaultEntry(unpackHelper());
    const unpacked = join(resources, 'app.asar.unpacked');
    expect(entry).toBe(join(unpacked, 'dist', 'raw-helper.cjs'));
    const { launched, launch } = recorder();
    const r = helper({ entry, launch });
    expect(r.start()).toBe('starting');
    expect(launched).toEqual([{
      command: node,
      args: ['--experimental-permission', '--allow-addons', `--allow-fs-read=${unpacked}/*`, '--disable-warning=ExperimentalWarning', '--disable-warning=SecurityWarning', entry],
    }]);
    expect(node).toBe(join(resources, 'node', 'node'));
    // Never Electron's own binary, and no grants beyond reading the unpacked files and loading addons.
    expect(launched[0]!.command).not.toBe(process.execPath);
    expect(launched[0]!.args.filter((a) => /^--allow-(fs-write|child-process|worker)/.test(a))).toEqual([]);
  });

  it('uses --permission when the shipped Node is a newer one that has it', () => {
    shipNode(['--permission', '--experimental-permission', '--allow-addons', '--allow-fs-read']);
    const { launched, launch } = recorder();
    helper({ entry: defaultEntry(unpackHelper()), launch }).start();
    expect(launched[0]!.args.slice(0, 3)).toEqual(['--permission', '--allow-addons', `--allow-fs-read=${join(resources, 'app.asar.unpacked')}/*`]);
  });

  it('pkexec is asked to run the shipped Node with the same sandbox flags', async () => {
    const node = shipNode();
    const entry = defaultEntry(unpackHelper());
    const asked: { node: string; args: string[] }[] = [];
    const r = helper({
      entry,
      privilege: () => ({ privileged: false, reason: 'test: no CAP_NET_RAW' }),
      elevation: (n, args) => (asked.push({ node: n, args }), { ok: false, reason: 'test: no pkexec' }),
    });
    expect(await r.elevate()).toBe('unprivileged');
    expect(asked).toHaveLength(1);
    expect(asked[0]!.node).toBe(node);
    expect(asked[0]!.args).toContain(`--allow-fs-read=${join(resources, 'app.asar.unpacked')}/*`);
    expect(asked[0]!.args.at(-1)).toBe(entry);
  });

  it('the shipped Node missing → failed, naming the file and where it was looked for; nothing is spawned', async () => {
    const entry = defaultEntry(unpackHelper());
    const { launched, launch } = recorder();
    const r = helper({ entry, launch });
    expect(r.start()).toBe('failed');
    expect(r.reason).toContain(`looked for ${join(resources, 'node', 'node')}`);
    expect(r.reason).toMatch(/needs the Node binary shipped with Sockbench, and it is missing/);
    expect(r.reason).toMatch(/with the runAsNode fuse off/);
    expect(launched).toEqual([]);
    await expect(r.open({ protocol: 'icmp', family: 4 })).rejects.toMatchObject({ name: 'RawHelperUnavailableError', status: 'failed' });
    // elevate() says the same, and asks no one.
    expect(await r.elevate()).toBe('failed');
    expect(r.reason).toContain(join(resources, 'node', 'node'));
  });

  it('no resourcesPath → failed, saying so', () => {
    delete proc.resourcesPath;
    const { launch } = recorder();
    const r = helper({ entry: '/nonexistent/raw-helper.cjs', launch });
    expect(r.start()).toBe('failed');
    expect(r.reason).toMatch(/process\.resourcesPath is not set/);
  });

  it('Windows: resources/node/node.exe', () => {
    expect(shippedNodePaths(resources, 'win32').node).toBe(join(resources, 'node', 'node.exe'));
    expect(shippedNodePaths(resources, 'linux').node).toBe(join(resources, 'node', 'node'));
  });

  it('the manifest missing → failed (an unsandboxed helper is never started by the shipped Node)', () => {
    shipNode(null);
    const { launched, launch } = recorder();
    const r = helper({ entry: defaultEntry(unpackHelper()), launch });
    expect(r.start()).toBe('failed');
    expect(r.reason).toContain(`looked for ${join(resources, 'node', 'node-runtime.json')}`);
    expect(launched).toEqual([]);
  });

  it('a shipped Node without the permission model, or raw-socket not unpacked → failed, not unsandboxed', () => {
    shipNode(['--allow-fs-read']);
    const { launched, launch } = recorder();
    const r = helper({ entry: defaultEntry(unpackHelper()), launch });
    expect(r.start()).toBe('failed');
    expect(r.reason).toMatch(/cannot be sandboxed: .* does not support --permission/);
    rmSync(join(resources, 'node'), { recursive: true });
    shipNode();
    rmSync(join(resources, 'app.asar.unpacked', 'node_modules'), { recursive: true });
    r.start();
    expect(r.status()).toBe('failed');
    expect(r.reason).toMatch(/cannot be sandboxed: no node_modules\/raw-socket was found above .*app\.asar\.unpacked/);
    expect(launched).toEqual([]);
  });

  it('the helper not unpacked from app.asar → a plain sentence naming the unpacked path', () => {
    expect(() => defaultEntry(join(resources, 'app.asar', 'dist'))).toThrow(`looked for ${join(resources, 'app.asar.unpacked', 'dist', 'raw-helper.cjs')}`);
    expect(unpackedPath(join(resources, 'app.asar', 'dist', 'x.cjs'))).toBe(join(resources, 'app.asar.unpacked', 'dist', 'x.cjs'));
    expect(unpackedPath(join(resources, 'app.asar.unpacked', 'dist', 'x.cjs'))).toBe(join(resources, 'app.asar.unpacked', 'dist', 'x.cjs'));
  });

  it('a caller-given Node other than the shipped one gets no sandbox flags (its flags are unknown)', () => {
    shipNode();
    const entry = defaultEntry(unpackHelper());
    const { launched, launch } = recorder();
    helper({ entry, launch, node: '/usr/local/bin/some-node' }).start();
    expect(launched[0]).toEqual({ command: '/usr/local/bin/some-node', args: [entry] });
  });

  it('Probes offers elevation when the shipped Node is there, not when it is missing', () => {
    const noop = () => undefined;
    expect(new Probes(noop, { helper: { entry: '/x/raw-helper.cjs' } }).status().canElevate).toBe(false);
    shipNode();
    const plan = new Probes(noop, { helper: { entry: '/x/raw-helper.cjs' } }).status().canElevate;
    // Where pkexec is installed, the shipped Node can be elevated.
    expect(typeof plan).toBe('boolean');
    expect(defaultNode()).toMatchObject({ node: join(resources, 'node', 'node'), shipped: true });
  });

  /** The packaged layout for real: resources/node/node (this Node), app.asar.unpacked/{dist/raw-helper.cjs, node_modules/raw-socket, the addons}; the helper started and ready. */
  async function runPackaged() {
    const flags = ['--permission', '--experimental-permission', '--allow-addons', '--allow-fs-read', '--disable-warning'].filter((f) => process.allowedNodeEnvironmentFlags.has(f));
    shipNode(flags, process.execPath);
    const unpacked = join(resources, 'app.asar.unpacked');
    await build({ entryPoints: [helperEntry], outfile: join(unpacked, 'dist', 'raw-helper.cjs'), bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['raw-socket', '*.node'], logLevel: 'error' });
    // Copies, not links: the sandbox grants reads by real path.
    cpSync(join(root, 'node_modules', 'raw-socket'), join(unpacked, 'node_modules', 'raw-socket'), { recursive: true });
    if (existsSync(release)) {
      mkdirSync(join(unpacked, 'main', 'native', 'build', 'Release'), { recursive: true });
      for (const f of readdirSync(release).filter((n) => n.endsWith('.node'))) copyFileSync(join(release, f), join(unpacked, 'main', 'native', 'build', 'Release', f));
    }
    const r = helper({ entry: defaultEntry(join(resources, 'app.asar', 'dist')) });
    const ready = new Promise<{ pid: number; sandboxed: boolean }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready: ${r.status()}: ${r.reason}`)), 10_000);
      r.once('ready', (info) => (clearTimeout(timer), resolve(info)));
      r.on('status', (s, why) => s === 'failed' && (clearTimeout(timer), reject(new Error(why))));
    });
    r.start();
    const info = await ready;
    return { r, info, unpacked, maps: readFileSync(`/proc/${info.pid}/maps`, 'utf8') };
  }
  const release = join(root, 'main', 'native', 'build', 'Release');

  it('for real: the shipped Node (this one) runs the bundled helper from app.asar.unpacked, sandboxed, and it answers', async () => {
    const { r, info, unpacked, maps } = await runPackaged();
    expect(info.sandboxed).toBe(true);
    const argv = readFileSync(`/proc/${info.pid}/cmdline`, 'utf8').split('\0');
    expect(argv).toContain(`--allow-fs-read=${unpacked}/*`);
    expect(argv).toContain(join(unpacked, 'dist', 'raw-helper.cjs'));
    // Inside the sandbox, raw-socket's native code came from the unpacked copy.
    expect(maps).toContain(join(unpacked, 'node_modules', 'raw-socket', 'build', 'Release', 'raw.node'));
    // Raw sockets need CAP_NET_RAW; the open itself proves raw-socket loaded from the unpacked copy.
    const opened = await r.open({ protocol: 'icmp', family: 4 }).then(() => 'opened', (e: { code?: string }) => e.code ?? 'error');
    expect(['opened', 'EPERM', 'EACCES']).toContain(opened);
  });

  // findAddon once turned app.asar.unpacked into app.asar.unpacked.unpacked, outside
  // the sandbox's read grant (where Node 20's existsSync throws), so the packaged
  // helper silently lost the kernel's receive stamps.
  it('for real: the sandboxed helper loads sockbench_stamp.node from app.asar.unpacked', async () => {
    expect(existsSync(join(release, 'sockbench_stamp.node'))).toBe(true);
    const { maps, unpacked } = await runPackaged();
    expect(maps).toContain(join(unpacked, 'main', 'native', 'build', 'Release', 'sockbench_stamp.node'));
  });
});
