// Host names in the connect form (issue 12), in Chromium against dist/serve.cjs:
// getaddrinfo() lists what `localhost` resolves to as the system resolves it,
// connect to the name works and the trace shows the lookup and the address
// used; an unknown name is EAI_NONAME explained on the address field, in
// English and in Chinese. bind and sendto offer the same picker.
import { lookup } from 'node:dns/promises';
import { createSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SHOTS, workbenchPerSuite } from '../support/browser.js';
import { peerSuite } from '../support/peers.js';

const suite = peerSuite('chromium');
let server: Server | undefined;
afterAll(() => server?.close());

describe.skipIf(suite.skip)(`host names in the forms (${suite.title})`, () => {
  const wb = workbenchPerSuite();
  const { tid } = wb;

  async function newTcpSocket(): Promise<void> {
    const before = await wb.page.locator('[data-testid=session-item]').count();
    await tid('new-socket-family').selectOption('AF_INET');
    await tid('new-socket-type').selectOption('SOCK_STREAM');
    await tid('new-socket-submit').click();
    await expect.poll(() => wb.page.locator('[data-testid=session-item]').count()).toBe(before + 1);
    await wb.page.waitForSelector('[data-testid=session-state][data-state=created]');
  }

  it('localhost: every address the system gives is offered, and connect to the name is traced', async () => {
    const system = (await lookup('localhost', { all: true, order: 'verbatim' })).map((a) => `${a.family === 6 ? 'AF_INET6' : 'AF_INET'} ${a.address}`);
    server = createServer((c) => c.end());
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await newTcpSocket();
    await tid('connect-address').fill('localhost');
    await tid('connect-port').fill(String(port));
    await tid('lookup-submit').click();
    await expect.poll(() => wb.page.getByTestId('lookup-address').allTextContents()).toEqual(system);
    await wb.page.screenshot({ path: join(SHOTS, '62-connect-localhost-lookup.png') });
    await tid('connect-submit').click();
    await wb.page.waitForSelector('[data-testid=session-state]:is([data-state=connected],[data-state=half-closed],[data-state=closed])');
    expect(await tid('session-peer').textContent()).toBe(`127.0.0.1:${port}`);
    const rows = await wb.page.getByTestId('trace-row').allTextContents();
    const gai = rows.find((r) => r.includes('getaddrinfo'));
    expect(gai).toMatch(/host='localhost'/);
    expect(gai).toMatch(/using 127\.0\.0\.1/);
  });

  it('bind and sendto offer the same picker: a picked address fills the field, and the datagram reaches the peer', async () => {
    const peer = createSocket('udp4');
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', r));
    const got = new Promise<string>((r) => peer.once('message', (m) => r(m.toString())));
    try {
      await tid('new-socket-family').selectOption('AF_INET');
      await tid('new-socket-type').selectOption('SOCK_DGRAM');
      await tid('new-socket-submit').click();
      await wb.page.waitForSelector('[data-testid=session-state][data-state=created]');
      await tid('bind-address').fill('localhost');
      await tid('lookup-submit').click();
      await wb.page.locator('[data-testid=lookup-address]:not([disabled])', { hasText: '127.0.0.1' }).click();
      expect(await tid('bind-address').inputValue()).toBe('127.0.0.1');
      await expect.poll(() => wb.page.getByTestId('lookup-submit').count()).toBe(0); // an address now: no picker
      await tid('bind-submit').click();
      await wb.page.waitForSelector('[data-testid=session-state][data-state=bound]');
      await tid('sendto-address').fill('localhost');
      await tid('sendto-port').fill(String((peer.address() as { port: number }).port));
      await tid('lookup-submit').click();
      await wb.page.locator('[data-testid=lookup-address]:not([disabled])', { hasText: '127.0.0.1' }).click();
      expect(await tid('sendto-address').inputValue()).toBe('127.0.0.1');
      await tid('composer-input').fill('picked');
      await tid('composer-input').press('Control+Enter');
      expect(await got).toBe('picked');
    } finally {
      peer.close();
    }
  });

  it('an unknown name: EAI_NONAME explained on the address field, then in Chinese', async () => {
    await newTcpSocket();
    await tid('connect-address').fill('nosuch.invalid');
    await tid('connect-port').fill('80');
    await tid('connect-submit').click();
    const error = wb.page.locator('[data-testid=field-error][data-field=address]');
    await expect.poll(() => error.textContent()).toMatch(/getaddrinfo: EAI_NONAME \(-2\): Name or service not known: no address is known for "nosuch\.invalid"/);
    await wb.page.screenshot({ path: join(SHOTS, '63-connect-unknown-name.png') });
    await tid('language-switch').selectOption('zh-CN');
    await expect.poll(() => error.textContent()).toMatch(/EAI_NONAME \(-2\)：未知的名称或服务：没有“nosuch\.invalid”的地址/);
    await wb.page.screenshot({ path: join(SHOTS, '63-connect-unknown-name-zh.png') });
    await tid('language-switch').selectOption('en');
  });
});
