// End to end in Debian's Chromium against `node dist/serve.cjs` (what
// `npm run serve` runs), used as a person would: forms, clicks, the log.
import { afterEach, describe, expect, it } from 'vitest';
import { SHOTS, workbenchPerSuite } from '../support/browser.js';
import { freePort, peerSuite } from '../support/peers.js';

const suite = peerSuite('chromium');

describe.skipIf(suite.skip)(`workbench in the browser (${suite.title})`, () => {
  const wb = workbenchPerSuite();
  const { tid } = wb;
  const selected = () => wb.page.locator('[data-testid=session-item][aria-current=true]');

  async function newTcpSocket(): Promise<string> {
    await tid('new-socket-family').selectOption('AF_INET');
    await tid('new-socket-type').selectOption('SOCK_STREAM');
    const before = await wb.page.locator('[data-testid=session-item]').count();
    await tid('new-socket-submit').click();
    await expect.poll(() => wb.page.locator('[data-testid=session-item]').count()).toBe(before + 1);
    await wb.page.waitForSelector('[data-testid=session-state][data-state=created]');
    return (await selected().getAttribute('data-session-id'))!;
  }

  /** A TCP socket bound to an ephemeral port on 127.0.0.1 and listening; its id and port. */
  async function newListener(): Promise<{ id: string; port: number }> {
    const id = await newTcpSocket();
    await tid('bind-address').fill('127.0.0.1');
    await tid('bind-port').fill('0');
    await tid('bind-submit').click();
    await wb.page.waitForSelector('[data-testid=session-state][data-state=bound]');
    const local = (await tid('session-local').textContent())!.trim();
    const port = Number(local.split(':').pop());
    expect(port, `the ephemeral port is shown after bind (${local})`).toBeGreaterThan(0);
    await tid('listen-submit').click();
    await wb.page.waitForSelector('[data-testid=session-state][data-state=listening]');
    return { id, port };
  }

  // Every test leaves a page without errors (each test stands alone: none needs another's sessions).
  afterEach(() => {
    expect(wb.pageErrors).toEqual([]);
  });

  async function select(id: string): Promise<void> {
    await wb.page.locator(`[data-testid=session-item][data-session-id="${id}"]`).click();
    await expect.poll(() => selected().getAttribute('data-session-id')).toBe(id);
  }

  it('a TCP server and client exchange bytes, shown as hex and ASCII on both sides', async () => {
    await wb.page.screenshot({ path: `${SHOTS}/01-empty.png` });

    const { id: serverId, port } = await newListener();

    const clientId = await newTcpSocket();
    await tid('connect-address').fill('127.0.0.1');
    await tid('connect-port').fill(String(port));
    await tid('connect-submit').click();
    await wb.page.waitForSelector('[data-testid=session-state][data-state=connected]');

    await tid('composer-input').fill('hello\\r\\n');
    await expect.poll(() => tid('composer-preview').getAttribute('data-bytes')).toBe('7');
    await tid('send-submit').click();
    await wb.page.waitForSelector('[data-testid=log-row][data-dir=out]');

    const accepted = wb.page.locator(`[data-testid=session-item][data-parent="${serverId}"]`);
    await expect.poll(() => accepted.count()).toBe(1);
    const acceptedId = (await accepted.getAttribute('data-session-id'))!;
    await select(acceptedId);
    const inRow = wb.page.locator('[data-testid=log-row][data-dir=in]').first();
    await inRow.waitFor();
    expect(await inRow.getAttribute('data-len')).toBe('7');
    expect((await inRow.getByTestId('log-hex').textContent())!.trim()).toBe('68 65 6c 6c 6f 0d 0a');
    expect((await inRow.getByTestId('log-text').textContent())!.trim()).toBe('hello\\r\\n');

    await tid('composer-input').fill('world\\x21\\n');
    await tid('send-submit').click();
    await wb.page.waitForSelector('[data-testid=log-row][data-dir=out]');
    await wb.page.screenshot({ path: `${SHOTS}/02-accepted-session.png` });

    await select(clientId);
    const reply = wb.page.locator('[data-testid=log-row][data-dir=in]').first();
    await reply.waitFor();
    expect((await reply.getByTestId('log-hex').textContent())!.trim()).toBe('77 6f 72 6c 64 21 0a');
    expect((await reply.getByTestId('log-text').textContent())!.trim()).toBe('world!\\n');
    const calls = await wb.page.locator('[data-testid=trace-row]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-call')));
    expect(calls).toEqual(expect.arrayContaining(['socket', 'connect', 'send']));
    await wb.page.screenshot({ path: `${SHOTS}/03-client-session.png` });
  });

  it('bad input is reported next to its field and loses nothing', async () => {
    const id = await newTcpSocket();
    await tid('bind-port').fill('70000');
    await tid('bind-submit').click();
    const portError = wb.page.locator('[data-testid=field-error][data-field=port]');
    await portError.waitFor();
    expect(await portError.textContent()).toMatch(/65535/);
    expect(await tid('bind-port').inputValue(), 'the typed value stays for correction').toBe('70000');

    await tid('connect-address').fill('not-an-address');
    await tid('connect-port').fill('80');
    await tid('connect-submit').click();
    const addrError = wb.page.locator('[data-testid=field-error][data-field=address]');
    await addrError.waitFor();
    expect(await addrError.textContent()).toMatch(/address/i);
    expect(await tid('session-state').getAttribute('data-state')).toBe('created');
    await wb.page.screenshot({ path: `${SHOTS}/04-field-errors.png` });
    await select(id);
  });

  it('a connect to a closed port shows ECONNREFUSED in the trace and the form; other sessions live on', async () => {
    const server = await newListener();
    const closed = await freePort();
    await newTcpSocket();
    await tid('connect-address').fill('127.0.0.1');
    await tid('connect-port').fill(String(closed));
    await tid('connect-submit').click();
    const errno = wb.page.locator('[data-testid=trace-errno]').first();
    await errno.waitFor();
    expect(await errno.textContent()).toContain('ECONNREFUSED (111)');
    await expect.poll(async () => (await wb.page.locator('[data-testid=field-error]').allTextContents()).join(' ')).toMatch(/ECONNREFUSED/);
    await wb.page.screenshot({ path: `${SHOTS}/05-refused.png` });

    const listener = wb.page.locator(`[data-testid=session-item][data-session-id="${server.id}"]`);
    expect(await listener.getAttribute('data-state'), 'the listener made before the refused connect still listens').toBe('listening');
  });

  it('a page opened without the token explains how to get in, and the bridge refuses it', async () => {
    const bare = await wb.browser.newPage();
    await bare.goto(wb.url.replace(/#.*$/, ''));
    await bare.getByTestId('no-token-banner').waitFor();
    const refused = await bare.evaluate(
      (u) =>
        new Promise<boolean>((resolve) => {
          const ws = new WebSocket(u.replace(/^http/, 'ws').replace(/\/?#.*$/, '/bridge'), ['sockbench.v1', 'token.' + '0'.repeat(48)]);
          ws.onopen = () => resolve(false);
          ws.onerror = () => resolve(true);
        }),
      wb.url,
    );
    expect(refused, 'a WebSocket with a wrong token does not open').toBe(true);
    await bare.screenshot({ path: `${SHOTS}/06-no-token.png` });
    await bare.close();
  });
});
