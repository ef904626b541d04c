// End to end in Chromium: a GBK send to a Python peer (which checks the bytes
// against its own str.encode('gbk') and echoes them) and its log rows shown as
// text; an unencodable character named at its position; the composer's
// preview with a CRC appended in its own colour, and the echoed frame marked
// as carrying a valid one; the send history, clear after send, the hex and
// text toggles, and a reload that keeps the draft. Screenshots in English and
// Chinese.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHOTS, workbenchPerSuite } from '../support/browser.js';
import { until } from '../support/engine-harness.js';
import { peerSuite, run } from '../support/peers.js';

/** Echoes every chunk back and reports it, with what Python's str.encode('gbk') makes of the text the test sends. */
const PY_ECHO = String.raw`
import json, socket
srv = socket.socket()
srv.bind(('127.0.0.1', 0))
srv.listen(1)
print(json.dumps({'port': srv.getsockname()[1], 'gbk': '你好，世界\r\n'.encode('gbk').hex()}), flush=True)
c, _ = srv.accept()
while True:
    b = c.recv(65536)
    if not b: break
    print(json.dumps({'got': b.hex()}), flush=True)
    c.sendall(b)
`;

const chromium = peerSuite('chromium');
const python = peerSuite('python3');

describe.skipIf(chromium.skip || python.skip)(`encodings and checksums in the browser (${chromium.title}, ${python.title})`, () => {
  const wb = workbenchPerSuite();
  const { tid } = wb;
  let peer: ReturnType<typeof run>;
  let port = 0;
  let gbkHex = '';
  /** Everything the peer received so far, as hex. */
  const received = () =>
    peer.stdout().toString().trim().split('\n').slice(1).filter(Boolean).map((l) => (JSON.parse(l) as { got: string }).got).join('');

  beforeAll(async () => {
    peer = run('python3', ['-c', PY_ECHO]);
    await until(() => peer.stdout().toString().includes('\n'), 'the Python peer to listen', 15_000);
    const first = JSON.parse(peer.stdout().toString().split('\n')[0]!) as { port: number; gbk: string };
    port = first.port;
    gbkHex = first.gbk;
  });
  afterAll(() => peer.stop());

  const rows = (dir: 'in' | 'out') => wb.page.locator(`[data-testid=log-row][data-dir=${dir}]`);
  const sendAndWait = async (inRows: number) => {
    await tid('send-submit').click();
    await expect.poll(() => rows('in').count(), { timeout: 10_000 }).toBe(inRows);
  };

  it('a GBK send reaches Python as its str.encode("gbk"), and both log rows read as text', async () => {
    await tid('new-socket-family').selectOption('AF_INET');
    await tid('new-socket-type').selectOption('SOCK_STREAM');
    await tid('new-socket-submit').click();
    await wb.page.waitForSelector('[data-testid=session-state][data-state=created]');
    await tid('connect-address').fill('127.0.0.1');
    await tid('connect-port').fill(String(port));
    await tid('connect-submit').click();
    await wb.page.waitForSelector('[data-testid=session-state][data-state=connected]');

    await tid('composer-encoding').selectOption('gbk');
    await tid('composer-input').fill('你好，世界\\r\\n');
    // 5 characters of 2 bytes, and CR LF.
    await expect.poll(() => tid('composer-preview').getAttribute('data-bytes')).toBe('12');
    expect((await tid('composer-preview-hex').textContent())!.trim()).toBe('c4 e3 ba c3 a3 ac ca c0 bd e7 0d 0a');
    await sendAndWait(1);
    expect(received()).toBe(gbkHex);
    expect((await rows('out').first().getByTestId('log-text').textContent())!.trim()).toBe('你好，世界\\r\\n');
    expect((await rows('in').first().getByTestId('log-text').textContent())!.trim()).toBe('你好，世界\\r\\n');
    expect((await rows('in').first().getByTestId('log-hex').textContent())!.trim()).toBe('c4 e3 ba c3 a3 ac ca c0 bd e7 0d 0a');
    await wb.page.screenshot({ path: `${SHOTS}/40-gbk-send-en.png` });
  });

  it('a character GBK cannot hold is an error naming it and its position, and nothing can be sent', async () => {
    await tid('composer-input').fill('你好😀');
    const error = wb.page.locator('[data-testid=composer-preview] [data-field=data]');
    await expect.poll(() => error.textContent()).toMatch(/"😀" at position 3 cannot be encoded in GBK/);
    expect(await tid('send-submit').isDisabled()).toBe(true);
    await wb.page.screenshot({ path: `${SHOTS}/41-unencodable-en.png` });
  });

  it('the preview shows an appended CRC in its own colour, and the echoed frame is marked as carrying a valid one', async () => {
    await tid('composer-mode').selectOption('hex');
    await tid('composer-input').fill('01 03 00 00 00 0a');
    await tid('composer-append').selectOption('crc16-modbus');
    await expect.poll(() => tid('composer-preview').getAttribute('data-bytes')).toBe('8');
    expect((await tid('composer-preview-hex').textContent())!.replace(/\s+/g, ' ').trim()).toBe('01 03 00 00 00 0a c5 cd');
    const appended = tid('composer-preview-appended');
    expect((await appended.textContent())!.trim()).toBe('c5 cd');
    // Its own colour: not the message's.
    const colour = (sel: string) => wb.page.locator(sel).evaluate((el) => getComputedStyle(el).color);
    expect(await colour('[data-testid=composer-preview-appended]')).not.toBe(await colour('[data-testid=composer-preview-hex]'));
    await tid('composer').screenshot({ path: `${SHOTS}/42-crc-preview-en.png` });

    const before = received().length;
    await sendAndWait(2);
    await expect.poll(() => received().slice(before)).toBe('01030000000ac5cd');
    await expect.poll(() => rows('in').nth(1).getByTestId('log-checksum-ok').count()).toBe(1);
    // The GBK text echoed before carries no CRC-16/MODBUS.
    expect(await rows('in').first().getByTestId('log-checksum-ok').count()).toBe(0);
    await expect.poll(() => tid('log-checksum').textContent()).toMatch(/✓ = valid CRC-16\/MODBUS/);
    await wb.page.screenshot({ path: `${SHOTS}/43-crc-log-en.png` });
  });

  it('in Simplified Chinese too', async () => {
    await tid('language-switch').selectOption('zh-CN');
    await expect.poll(() => tid('log-checksum').textContent()).toMatch(/CRC-16\/MODBUS 校验正确/);
    await wb.page.screenshot({ path: `${SHOTS}/44-gbk-crc-zh.png` });
    await tid('composer').screenshot({ path: `${SHOTS}/45-crc-preview-zh.png` });
    await tid('language-switch').selectOption('en');
  });

  it('the up arrow walks the send history as in a shell; clear after send empties the input', async () => {
    const input = tid('composer-input');
    await input.fill('');
    await input.press('ArrowUp');
    await expect.poll(() => input.inputValue()).toBe('01 03 00 00 00 0a');
    await input.press('ArrowUp');
    await expect.poll(() => input.inputValue()).toBe('你好，世界\\r\\n');
    expect(await tid('composer-mode').inputValue()).toBe('text');
    await input.press('ArrowDown');
    await input.press('ArrowDown');
    // Back to what was being written (nothing), in the mode it was written in.
    await expect.poll(() => input.inputValue()).toBe('');
    expect(await tid('composer-mode').inputValue()).toBe('hex');

    await tid('composer-mode').selectOption('text');

    await tid('composer-append').selectOption('none');
    await tid('composer-clear').check();
    await input.fill('再见\\n');
    await sendAndWait(3);
    await expect.poll(() => input.inputValue()).toBe('');
    expect((await rows('in').nth(2).getByTestId('log-text').textContent())!.trim()).toBe('再见\\n');
  });

  it('hex and text columns can each be hidden, never both', async () => {
    await tid('log-show-hex').click();
    expect(await wb.page.getByTestId('log-hex').count()).toBe(0);
    expect(await wb.page.getByTestId('log-text').count()).toBeGreaterThan(0);
    await wb.page.screenshot({ path: `${SHOTS}/46-text-only-en.png` });
    await tid('log-show-text').click(); // hiding the last one shows the other
    expect(await wb.page.getByTestId('log-text').count()).toBe(0);
    expect(await wb.page.getByTestId('log-hex').count()).toBeGreaterThan(0);
    await tid('log-show-text').click();
    expect(await wb.page.getByTestId('log-text').count()).toBeGreaterThan(0);
  });

  it('a page reload keeps the encoding, the history and the text column', async () => {
    await wb.page.reload();
    await wb.page.waitForSelector('[data-testid=connection-status][data-state=open]');
    await wb.page.waitForSelector('[data-testid=session-state][data-state=connected]');
    expect(await tid('composer-encoding').inputValue()).toBe('gbk');
    await expect.poll(() => rows('in').count()).toBe(3);
    expect((await rows('in').first().getByTestId('log-text').textContent())!.trim()).toBe('你好，世界\\r\\n');
    await tid('composer-input').press('ArrowUp');
    await expect.poll(() => tid('composer-input').inputValue()).toBe('再见\\n');
  });

  it('no page errors', () => {
    expect(wb.pageErrors).toEqual([]);
  });
});
