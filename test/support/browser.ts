// Debian's Chromium driven by playwright-core against `npm run serve`
// (dist/serve.cjs), as a person would use it.
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';

/** Where the e2e tests leave their screenshots. */
export const SHOTS = 'test-results/e2e';

export function chromiumPath(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** `extraArgs`: more Chromium flags (e.g. the page benchmark's --js-flags=--expose-gc). */
export async function launch(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', ...extraArgs,
    ],
  });
}

/** `node dist/serve.cjs --port 0`, as serve() starts it by default. */
const SERVE_COMMAND: readonly string[] = [process.execPath, 'dist/serve.cjs', '--port', '0'];

export interface ServeOptions {
  /** Set in the server's environment; undefined removes a variable (e.g. SOCKBENCH_WORKSPACE, to open the default folder). */
  env?: Record<string, string | undefined>;
}

/**
 * Starts `node dist/serve.cjs --port 0` (or `command`, which must exec it in
 * the end, e.g. through capsh) and resolves with the URL it prints.
 */
export async function serve(command: readonly string[] = SERVE_COMMAND, opts: ServeOptions = {}): Promise<{ url: string; proc: ChildProcess; stop: () => Promise<void> }> {
  if (!existsSync('dist/serve.cjs')) throw new Error('dist/serve.cjs is missing: run `npm run build` (npm test does it first)');
  const [cmd, ...args] = command;
  // Each server gets a workspace of its own (a test that wants one passes --workspace, which wins), and a
  // per-user data folder of its own: what the page remembers there (a folder chosen in it) stays in the test.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SOCKBENCH_WORKSPACE: mkdtempSync(join(tmpdir(), 'sockbench-e2e-ws-')),
    XDG_DATA_HOME: mkdtempSync(join(tmpdir(), 'sockbench-e2e-data-')),
  };
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const proc = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve printed no URL: ${out}`)), 15_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += String(d);
      const m = /Open: (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    proc.stderr!.on('data', (d: Buffer) => (out += String(d)));
    proc.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
  });
  return {
    url,
    proc,
    stop: () => new Promise<void>((r) => {
      proc.once('exit', () => r());
      proc.kill('SIGTERM');
    }),
  };
}

/**
 * Browser mode served, Chromium launched, one page opened on the workbench
 * with its bridge connected; page errors and console errors are collected.
 */
export type Workbench = { browser: Browser; url: string; page: Page; pageErrors: string[]; close: () => Promise<void> };

export async function openWorkbench(command?: readonly string[], opts: ServeOptions = {}): Promise<Workbench> {
  const server = await serve(command, opts);
  const browser = await launch();
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });
  await page.goto(server.url);
  await page.waitForSelector('[data-testid=connection-status][data-state=open]');
  return {
    browser,
    url: server.url,
    page,
    pageErrors,
    close: async () => {
      await browser.close();
      await server.stop();
    },
  };
}

/**
 * One workbench page shared by the tests of the describe block that calls
 * this: opened in its beforeAll (with the screenshot folder made), closed in
 * its afterAll; `command` as for serve(). The fields are getters, so read them inside tests and hooks,
 * not while the block is being declared.
 */
export function workbenchPerSuite(command?: readonly string[]): Omit<Workbench, 'close'> & { tid: (id: string) => Locator } {
  let wb: Workbench | undefined;
  const opened = (): Workbench => {
    if (!wb) throw new Error('the workbench opens in beforeAll: use it inside tests');
    return wb;
  };
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    wb = await openWorkbench(command);
  }, 60_000);
  afterAll(async () => wb?.close());
  return {
    get browser() { return opened().browser; },
    get url() { return opened().url; },
    get page() { return opened().page; },
    get pageErrors() { return opened().pageErrors; },
    tid: (id) => opened().page.getByTestId(id),
  };
}

/** Opens a group of socket-call cards in the Sockets view (lifecycle, data, options) if it is closed. */
export async function openGroup(page: Page, group: 'lifecycle' | 'data' | 'options'): Promise<void> {
  const toggle = page.getByTestId(`group-toggle-${group}`);
  if ((await toggle.getAttribute('aria-expanded')) === 'false') await toggle.click();
}
