// End to end in Chromium: a TLS client session to openssl s_server (SNI,
// ALPN, an extra CA) with its handshake and certificate view, data through
// it; field errors on the TLS options; a self-signed server refused in
// words, its certificate still shown; a TLS listener presenting the
// workspace's certificate with the fingerprint to pin. Screenshots in
// English and Chinese.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHOTS, workbenchPerSuite } from '../support/browser.js';
import { makeCerts, type TestCerts } from '../support/certs.js';
import { peerSuite } from '../support/peers.js';
import { python, sServer, start, STARTTLS_SERVER, type Proc } from '../support/tls-peers.js';

const chromium = peerSuite('chromium');
const openssl = peerSuite('openssl');

const fingerprint = (file: string): string =>
  execFileSync('openssl', ['x509', '-in', file, '-noout', '-fingerprint', '-sha256']).toString().trim().replace(/^.*=/, '');

const dir = mkdtempSync(join(tmpdir(), 'sockbench-e2e-tls-ws-'));
describe.skipIf(chromium.skip || openssl.skip)(`TLS in the browser (${chromium.title}, ${openssl.title})`, () => {
  const wb = workbenchPerSuite([process.execPath, 'dist/serve.cjs', '--port', '0', '--workspace', dir]);
  const { tid } = wb;
  let certs: TestCerts;
  const servers: Proc[] = [];
  beforeAll(() => {
    certs = makeCerts();
  });
  afterAll(() => {
    servers.forEach((s) => s.stop());
    certs?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  const newTcp = async (): Promise<void> => {
    await tid('new-socket-family').selectOption('AF_INET');
    await tid('new-socket-type').selectOption('SOCK_STREAM');
    await tid('new-socket-submit').click();
    await wb.page.waitForSelector('[data-testid=session-state][data-state=created]');
  };
  const fieldError = (field: string) => wb.page.locator(`[data-testid=field-error][data-field="${field}"]`);
  /** What arrived, as the conversation view shows it (open by default beside the rows). */
  const arrived = async (): Promise<string> => (await wb.page.locator('[data-testid=conv-content] .conv-in').allTextContents()).join('');

  it('connects with TLS to s_server: field errors first, then the handshake, the chain with its SHA-256, and data through it', async () => {
    const server = await sServer(['-cert', certs.server.cert, '-key', certs.server.key, '-alpn', 'http/1.1', '-rev']);
    servers.push(server);
    await newTcp();
    await tid('connect-address').fill('127.0.0.1');
    await tid('connect-port').fill(String(server.port));
    await tid('connect-tls-on').check();
    await tid('connect-tls-servername').fill('localhost');
    await tid('connect-tls-alpn').fill('h2, http/1.1');
    // A relative CA path and an IP address as SNI: each said on its field, nothing sent.
    await tid('connect-tls-ca').fill('ca.pem');
    await tid('connect-tls-servername').fill('127.0.0.1');
    await tid('connect-tls-alpn').fill(Array.from({ length: 17 }, (_, i) => `p${i}`).join(','));
    await tid('connect-submit').click();
    await expect.poll(() => fieldError('tls.ca').textContent()).toMatch(/ca must be an absolute path to a PEM file/);
    expect(await fieldError('tls.servername').textContent()).toMatch(/SNI cannot carry an IP address/);
    expect(await fieldError('tls.alpn').textContent()).toMatch(/alpn is too long: at most 16 protocol names, got 17/);
    await wb.page.screenshot({ path: `${SHOTS}/50-tls-field-errors-en.png` });
    // A file that is not PEM: main says so on the same field.
    await tid('connect-tls-servername').fill('localhost');
    await tid('connect-tls-alpn').fill('h2, http/1.1');
    await tid('connect-tls-ca').fill(join(certs.dir, 'ca.cnf'));
    await tid('connect-submit').click();
    await expect.poll(() => fieldError('tls.ca').textContent()).toMatch(/is not PEM/);

    // A client certificate whose key is another one's: refused on the key field.
    await tid('connect-tls-ca').fill(certs.ca.cert);
    await tid('connect-tls-cert').fill(certs.client.cert);
    await tid('connect-tls-key').fill(certs.server.key);
    await tid('connect-submit').click();
    await expect.poll(() => fieldError('tls.key').textContent()).toMatch(/does not match/);
    await tid('connect-tls-cert').fill('');
    await tid('connect-tls-key').fill('');
    // The highest version is honoured: s_server would speak TLS 1.3.
    await tid('connect-tls-max').selectOption('TLSv1.2');
    await tid('connect-submit').click();
    await wb.page.waitForSelector('[data-testid=tls-state]');
    await expect.poll(() => tid('tls-panel').getAttribute('data-tls-state'), { timeout: 15_000 }).toBe('established');
    expect(await tid('tls-protocol').textContent()).toBe('TLSv1.2');
    expect(await tid('tls-alpn').textContent()).toBe('http/1.1');
    expect(await tid('tls-servername').textContent()).toBe('localhost');
    expect(await tid('tls-verify').getAttribute('class')).toContain('ok');
    const certsShown = wb.page.locator('[data-testid=tls-peer-cert]');
    expect(await certsShown.first().getByTestId('cert-subject').textContent()).toBe('CN=localhost');
    expect(await certsShown.first().getByTestId('cert-issuer').textContent()).toBe('CN=Sockbench Test CA');
    expect(await certsShown.first().getByTestId('cert-san').textContent()).toContain('DNS:localhost');
    expect(await certsShown.first().getByTestId('cert-fingerprint').textContent()).toBe(fingerprint(certs.server.cert));
    // The handshake is in the trace like any call.
    await expect.poll(() => wb.page.locator('[data-testid=trace-row]').allTextContents()).toEqual(expect.arrayContaining([expect.stringMatching(/tls handshake/)]));

    await tid('composer-input').fill('hello tls\\n');
    await tid('send-submit').click();
    await expect.poll(arrived, { timeout: 10_000 }).toBe('slt olleh\n');
    await wb.page.screenshot({ path: `${SHOTS}/51-tls-client-en.png` });
    await tid('tls-panel').screenshot({ path: `${SHOTS}/52-tls-certificates-en.png` });
    await tid('language-switch').selectOption('zh-CN');
    await expect.poll(() => tid('tls-state').textContent()).toBe('已建立');
    await wb.page.screenshot({ path: `${SHOTS}/53-tls-client-zh.png` });
    await tid('tls-panel').screenshot({ path: `${SHOTS}/54-tls-certificates-zh.png` });
    await tid('language-switch').selectOption('en');
  }, 90_000);

  it('a self-signed server with verification on: the session ends in error, the reason in words, the certificate still shown', async () => {
    const server = await sServer(['-cert', certs.self.cert, '-key', certs.self.key]);
    servers.push(server);
    await newTcp();
    await tid('connect-address').fill('127.0.0.1');
    await tid('connect-port').fill(String(server.port));
    await tid('connect-tls-on').check();
    await tid('connect-submit').click();
    await wb.page.waitForSelector('[data-testid=session-state][data-state=error]', { timeout: 15_000 });
    expect(await tid('tls-verify').getAttribute('data-reason')).toBe('self-signed');
    expect(await tid('tls-panel').getAttribute('data-tls-state')).toBe('failed');
    expect(await wb.page.locator('[data-testid=tls-peer-cert]').first().getByTestId('cert-fingerprint').textContent()).toBe(fingerprint(certs.self.cert));
    expect(await tid('session-error').textContent()).toMatch(/self-signed/);
    await wb.page.screenshot({ path: `${SHOTS}/55-tls-self-signed-en.png` });
  }, 60_000);

  it('a TLS listener shows the workspace certificate to pin before listening, and presents it after', async () => {
    await newTcp();
    await tid('bind-address').fill('127.0.0.1');
    await tid('bind-port').fill('0');
    await tid('bind-submit').click();
    await wb.page.waitForSelector('[data-testid=session-state][data-state=bound]');
    await tid('listen-tls-on').check();
    const pem = join(dir, 'tls', 'localhost-cert.pem');
    // Made on first use, kept in the workspace: the page shows the file's own SHA-256.
    await expect.poll(() => tid('listen-tls-fingerprint').textContent(), { timeout: 15_000 }).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(await tid('listen-tls-fingerprint').textContent()).toBe(fingerprint(pem));
    await wb.page.screenshot({ path: `${SHOTS}/56-tls-listen-options-en.png` });
    await tid('listen-tls-client-cert').selectOption('request');
    await tid('listen-submit').click();
    await wb.page.waitForSelector('[data-testid=session-state][data-state=listening]');
    expect(await tid('tls-own-cert').getByTestId('cert-fingerprint').textContent()).toBe(fingerprint(pem));
    await tid('language-switch').selectOption('zh-CN');
    await wb.page.screenshot({ path: `${SHOTS}/57-tls-listener-zh.png` });
    await tid('language-switch').selectOption('en');

    // s_client with a client certificate: the accepted session shows it (asked for, not required: no CA was given, so it would not verify).
    const port = (await tid('session-local').textContent())!.replace(/^.*:/, '');
    const c = start('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-cert', certs.client.cert, '-key', certs.client.key, '-quiet']);
    servers.push(c);
    c.write('hello\n');
    await expect.poll(() => wb.page.locator('[data-testid=session-item]').count(), { timeout: 15_000 }).toBe(4);
    await wb.page.locator('[data-testid=session-item]').last().click();
    await expect.poll(() => tid('tls-panel').getAttribute('data-tls-state'), { timeout: 15_000 }).toBe('established');
    const shown = wb.page.locator('[data-testid=tls-peer-cert]').first();
    expect(await shown.getByTestId('cert-subject').textContent()).toBe('CN=Sockbench Test Client');
    expect(await shown.getByTestId('cert-fingerprint').textContent()).toBe(fingerprint(certs.client.cert));
    expect(await tid('tls-verify').getAttribute('data-reason')).toBe('unknown-issuer');
    await wb.page.screenshot({ path: `${SHOTS}/58-tls-accepted-client-cert-en.png` });
  }, 60_000);

  it('STARTTLS on a plain session to an SMTP-like server: the greeting stays in the log, the trace marks the upgrade, the rest goes inside TLS', async () => {
    const srv = await python(STARTTLS_SERVER, [certs.server.cert, certs.server.key]);
    servers.push(srv);
    await newTcp();
    await tid('connect-address').fill('127.0.0.1');
    await tid('connect-port').fill(String(srv.port));
    await tid('connect-submit').click();
    await wb.page.waitForSelector('[data-testid=session-state][data-state=connected]');
    await expect.poll(arrived, { timeout: 10_000 }).toMatch(/^220 mail\.test ESMTP ready\r?\n$/);
    await tid('composer-input').fill('STARTTLS\\r\\n');
    await tid('send-submit').click();
    await expect.poll(arrived, { timeout: 10_000 }).toMatch(/Ready to start TLS\r?\n$/);
    await tid('starttls-tls-servername').fill('localhost');
    await tid('starttls-tls-ca').fill(certs.ca.cert);
    await tid('starttls-submit').click();
    await expect.poll(() => tid('tls-panel').getAttribute('data-tls-state'), { timeout: 15_000 }).toBe('established');
    expect(await tid('tls-state').textContent()).toBe('established');
    await expect.poll(() => wb.page.locator('[data-testid=trace-row]').last().textContent()).toMatch(/starttls.*upgraded in place/);
    await tid('composer-input').fill('EHLO inside\\r\\n');
    await tid('send-submit').click();
    // What came in the clear before the upgrade is still there, followed by the answer from inside TLS.
    await expect.poll(arrived, { timeout: 10_000 }).toMatch(/^220 mail\.test ESMTP ready\r?\n220 2\.0\.0 Ready to start TLS\r?\n250 secure EHLO inside\r?\n$/);
    expect(srv.lines()).toEqual([{ plain: 'STARTTLS\r\n' }, { tls: 'TLSv1.3' }, { secure: 'EHLO inside\r\n' }]);
    await wb.page.screenshot({ path: `${SHOTS}/59-starttls-en.png` });
  }, 60_000);
});
