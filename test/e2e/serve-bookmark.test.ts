// Browser mode you can bookmark (issue 12): `serve` keeps its port and token
// in the workspace (the token file 0600), so a restart serves the same URL and
// a page left open finds the server again by itself; --new-token rotates the
// token and the old one is refused. In Debian's Chromium against dist/serve.cjs.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { chromiumPath, launch, serve, SHOTS } from '../support/browser.js';

const dir = mkdtempSync(join(tmpdir(), 'sockbench-bookmark-'));
const command = (...extra: string[]) => [process.execPath, 'dist/serve.cjs', '--workspace', dir, ...extra];
let browser: Browser | undefined;
let server: Awaited<ReturnType<typeof serve>> | undefined;
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Whether the bridge takes `token` on the server at `url` (the WebSocket upgrade the page makes). */
function bridgeTakes(url: string, token: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://${u.host}/bridge`, ['sockbench.v1', `token.${token}`], { origin: u.origin });
    ws.once('open', () => (ws.close(), resolve(true)));
    ws.once('error', () => resolve(false));
  });
}
const tokenOf = (url: string) => /#token=([0-9a-f]+)/.exec(url)![1]!;

describe.skipIf(!chromiumPath())('a bookmarked browser-mode page', () => {
  it('restart → the same URL works and the open page reconnects by itself; --new-token → the old token is refused', async () => {
    server = await serve(command());
    const first = server.url;
    expect(statSync(join(dir, 'serve-token')).mode & 0o777).toBe(0o600);
    browser = await launch();
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.goto(first);
    await page.waitForSelector('[data-testid=connection-status][data-state=open]');

    // The server stops: the page says so and how to start it again, with no Reload to a dead port.
    await server.stop();
    server = undefined;
    await page.waitForSelector('[data-testid=disconnected-banner][data-server=down]', { timeout: 20_000 });
    expect(await page.getByTestId('server-down').textContent()).toContain(new URL(first).host);
    expect(await page.getByTestId('reload').count()).toBe(0);
    await page.screenshot({ path: join(SHOTS, '60-serve-stopped.png') });

    // Started again on the same workspace: the same URL, and the page is back on its own.
    server = await serve(command());
    expect(server.url).toBe(first);
    await page.waitForSelector('[data-testid=connection-status][data-state=open]', { timeout: 20_000 });
    expect(await bridgeTakes(first, tokenOf(first))).toBe(true);

    // --new-token: same port, a new token; the old one is refused, and the page says what to do.
    await server.stop();
    server = await serve(command('--new-token'));
    expect(new URL(server.url).host).toBe(new URL(first).host);
    expect(tokenOf(server.url)).not.toBe(tokenOf(first));
    expect(statSync(join(dir, 'serve-token')).mode & 0o777).toBe(0o600);
    expect(await bridgeTakes(server.url, tokenOf(first))).toBe(false);
    expect(await bridgeTakes(server.url, tokenOf(server.url))).toBe(true);
    await page.goto(first);
    await page.reload();
    await page.waitForSelector('[data-testid=disconnected-banner][data-server=up]', { timeout: 20_000 });
    expect(await page.getByTestId('token-refused').textContent()).toMatch(/--new-token/);
    await page.screenshot({ path: join(SHOTS, '61-serve-token-replaced.png') });
  }, 120_000);
});
