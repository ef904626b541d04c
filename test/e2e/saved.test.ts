// The workspace in Chromium against `node dist/serve.cjs --workspace DIR`, as
// a person would use it: import a Packet Sender file, send from the Saved
// panel and see the reply, save from the composer (Ctrl+S), rename,
// duplicate, delete and undo, see an outside edit arrive, settle a conflict,
// export the session as pcapng; then reload the page and restart the server
// and find everything still there. Screenshots of each step are looked at.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openWorkbench, SHOTS, type Workbench } from '../support/browser.js';
import { peerSuite } from '../support/peers.js';
import { pyPeer, type PyPeer } from '../support/py-peer.js';
import { tsharkRead } from '../support/tshark.js';

const suite = peerSuite('chromium');
/** Polls for up to 10 s: the machine is shared and busy. */
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 10_000 });
const FIXTURE = readFileSync(new URL('../fixtures/packetsender/packets.ini', import.meta.url), 'utf8');

describe.skipIf(suite.skip)(`the workspace in the browser (${suite.title})`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockbench-e2e-workspace-'));
  const serveCmd = [process.execPath, 'dist/serve.cjs', '--port', '0', '--workspace', dir];
  let wb: Workbench;
  const peers: PyPeer[] = [];
  afterAll(async () => {
    for (const p of peers) p.stop();
    await wb?.close();
  });
  const tid = (id: string) => wb.page.getByTestId(id);
  const row = (name: string) => wb.page.locator(`[data-testid=saved-row][data-name="${name}"]`);
  const names = async () => wb.page.locator('[data-testid=saved-row]').evaluateAll((els) => els.map((e) => e.getAttribute('data-name')));
  const shot = (name: string) => wb.page.screenshot({ path: `${SHOTS}/${name}.png` });

  it('imports packets.ini, sends a packet as new from the Saved panel, and shows the reply', async () => {
    wb = await openWorkbench(serveCmd);
    await poll(() => tid('workspace-dir').getAttribute('data-dir')).toBe(dir);
    const tcp = await pyPeer('tcp', { reply: Buffer.from('pong\r\n') });
    const udp = await pyPeer('udp', { reply: Buffer.from('udp pong'), datagrams: 1 });
    peers.push(tcp, udp);
    const file = join(mkdtempSync(join(tmpdir(), 'sockbench-e2e-ini-')), 'packets.ini');
    writeFileSync(file, FIXTURE.replaceAll('@TCP@', String(tcp.port)).replaceAll('@UDP@', String(udp.port)).replaceAll('@TCP6@', '9'));
    await tid('saved-import-file').setInputFiles(file);
    await poll(() => tid('saved-report').textContent()).toMatch(/packetsender-ini: took 8, marked 3 not sendable, refused 3/);
    await poll(() => tid('saved-count').textContent()).toBe('11');
    expect(await row('Datagram TLS').getByTestId('saved-unsendable').getAttribute('title')).toMatch(/DTLS is not supported/);
    await shot('30-saved-import');

    // Keyboard: filter, Enter sends the first match as new (no session is selected).
    await tid('saved-filter').fill('hello');
    expect(await names()).toEqual(['Hello TCP']);
    await tid('saved-filter').press('Enter');
    await poll(() => tid('saved-status').textContent()).toMatch(/Sent “Hello TCP” in session #\d+/);
    await wb.page.waitForSelector('[data-testid=session-state][data-state=connected]');
    // The text column shows the session's text with escapes (hex is beside it).
    await poll(() => wb.page.locator('[data-testid=log-text]').allTextContents()).toEqual(['Hello\\r\\n', 'pong\\r\\n']);
    await shot('31-saved-sent-as-new');
    expect((await tcp.received()).map((g) => g.bytes.toString())).toEqual(['Hello\r\n']);
  }, 90_000);

  it('saves from the composer with Ctrl+S; the file is plain YAML in the folder', async () => {
    await tid('saved-filter').fill('');
    await tid('composer-input').fill('saved from the composer\\r\\n');
    await tid('composer-input').press('Control+s');
    await tid('save-name').fill('From composer');
    await tid('save-tags').fill('e2e, smoke');
    await shot('32-saved-save-dialog');
    await tid('save-name').press('Control+s');
    await poll(() => names()).toContain('From composer');
    const text = readFileSync(join(dir, 'packets', 'from-composer.yaml'), 'utf8');
    expect(text).toMatch(/^name: From composer$/m);
    expect(text).toMatch(/^protocol: tcp$/m);
    expect(text).toMatch(/^data: saved from the composer\\r\\n$/m);
    expect(text).toMatch(/^ {2}- e2e$/m);
  });

  it('filters by tag, renames (F2), duplicates (Ctrl+D), deletes (Delete) and undoes (Ctrl+Z), all from the keyboard', async () => {
    await tid('saved-filter').fill('#e2e');
    expect(await names()).toEqual(['From composer']);
    await tid('saved-filter').press('ArrowDown');
    await wb.page.keyboard.press('F2');
    await tid('saved-rename-input').fill('Composer packet');
    await tid('saved-rename-input').press('Enter');
    await poll(() => names()).toEqual(['Composer packet']);
    expect(existsSync(join(dir, 'packets', 'composer-packet.yaml'))).toBe(true);
    expect(existsSync(join(dir, 'packets', 'from-composer.yaml'))).toBe(false);
    await row('Composer packet').focus();
    await wb.page.keyboard.press('Control+d');
    await poll(() => names()).toEqual(['Composer packet', 'Composer packet copy']);
    await row('Composer packet copy').focus();
    await wb.page.keyboard.press('Delete');
    await poll(() => names()).toEqual(['Composer packet']);
    await poll(() => tid('saved-status').textContent()).toMatch(/Deleted “Composer packet copy”/);
    await shot('33-saved-deleted-undo');
    await row('Composer packet').focus();
    await wb.page.keyboard.press('Control+z');
    await poll(() => names()).toEqual(['Composer packet', 'Composer packet copy']);
  });

  it('a file edited outside the app shows up; a save over a changed file raises the conflict and keeps both', async () => {
    await tid('saved-filter').fill('');
    writeFileSync(join(dir, 'packets', 'outside.yaml'), '# written by an editor\nname: From outside\nprotocol: udp\ntarget: 127.0.0.1:9\ndata: hi\n');
    await poll(() => names()).toContain('From outside');
    // Someone edits the file while the person is renaming it here: the rename is checked against the version it began from.
    const path = join(dir, 'packets', 'outside.yaml');
    await row('From outside').click();
    await tid('saved-rename').click();
    await tid('saved-rename-input').fill('Renamed here');
    writeFileSync(path, readFileSync(path, 'utf8').replace('data: hi', 'data: yo, changed meanwhile'));
    await tid('saved-rename-input').press('Enter');
    await poll(() => tid('conflict-dialog').isVisible()).toBe(true);
    expect(await tid('conflict-disk').textContent()).toContain('data: yo');
    expect(await tid('conflict-mine').textContent()).toContain('name: Renamed here');
    await shot('34-saved-conflict');
    await tid('conflict-both').click();
    await poll(() => names()).toEqual(expect.arrayContaining(['From outside', 'Renamed here (mine)']));
    expect(readFileSync(path, 'utf8')).toContain('data: yo');
  });

  it('exports the session as pcapng from the data log: tshark follows both directions', async () => {
    const [download] = await Promise.all([wb.page.waitForEvent('download'), tid('log-pcap').click()]);
    const bytes = readFileSync((await download.path())!);
    const follow = (await tsharkRead(bytes, ['-qz', 'follow,tcp,ascii,0'])).toString('utf8');
    expect(follow).toContain('Hello');
    expect(follow).toContain('pong');
  });

  it('switching folders: a bad path is refused with the reason; another folder opens empty and the first comes back', async () => {
    await tid('workspace-switch').click();
    await tid('workspace-folder').fill('relative/path');
    await tid('workspace-open').click();
    await poll(() => tid('workspace-error').textContent()).toBe('workspace folder must be an absolute path, got "relative/path"');
    const other = mkdtempSync(join(tmpdir(), 'sockbench-e2e-other-'));
    await tid('workspace-folder').fill(other);
    await tid('workspace-open').click();
    await poll(() => tid('workspace-dir').getAttribute('data-dir')).toBe(other);
    await poll(() => tid('saved-count').textContent()).toBe('0');
    expect(readdirSync(other).sort()).toEqual(['packets', 'rules', 'scenarios', 'workspace.yaml']);
    await tid('workspace-switch').click();
    await tid('workspace-folder').fill(dir);
    await tid('workspace-open').click();
    await poll(() => tid('saved-count').textContent()).toBe('15');
  });

  it('after a reload and a server restart everything is still there; the panel in Chinese', async () => {
    const before = await names();
    expect(before.length).toBe(15);
    await wb.page.reload();
    await wb.page.waitForSelector('[data-testid=connection-status][data-state=open]');
    await poll(() => names()).toEqual(before);
    await wb.close();
    wb = await openWorkbench(serveCmd);
    await poll(() => names()).toEqual(before);
    await poll(() => tid('workspace-dir').getAttribute('data-dir')).toBe(dir);
    // And a packet still sends after the restart (UDP, into its answer).
    await tid('saved-filter').fill('comma');
    await tid('saved-filter').press('Enter');
    await poll(() => wb.page.locator('[data-testid=log-text]').allTextContents()).toEqual(['\\0\\\\n\ufffd\\x7f', 'udp pong']);
    // Resend every N seconds: into the session the first send made, until stopped.
    const ticker = await pyPeer('udp', { datagrams: 4 });
    peers.push(ticker);
    writeFileSync(join(dir, 'packets', 'tick.yaml'), `name: Tick\nprotocol: udp\ntarget: 127.0.0.1:${ticker.port}\ndata: tick\nrepeat:\n  intervalMs: 200\n`);
    await tid('saved-filter').fill('tick');
    await poll(() => names()).toEqual(['Tick']);
    await tid('saved-filter').press('Shift+Enter');
    await poll(() => tid('saved-status').textContent()).toMatch(/Sent “Tick” in session #\d+/);
    await tid('saved-resend').click();
    expect(await tid('saved-resend-every').inputValue()).toBe('0.2');
    await tid('saved-resend-start').click();
    await poll(async () => Number(/(\d+) sent/.exec((await tid('saved-resending').textContent()) ?? '')?.[1] ?? 0)).toBeGreaterThanOrEqual(3);
    await tid('saved-resend-stop').click();
    expect((await ticker.received()).map((g) => g.bytes.toString())).toEqual(['tick', 'tick', 'tick', 'tick']);
    await tid('saved-filter').fill('');
    await shot('35-saved-after-restart');
    await tid('language-switch').selectOption('zh-CN');
    await row('Web GET').click();
    await shot('36-saved-zh-CN');
    await tid('language-switch').selectOption('en');
    expect(wb.pageErrors).toEqual([]);
  }, 90_000);
});

describe.skipIf(suite.skip)(`a folder chosen in the page is remembered (${suite.title})`, () => {
  // Started as a person starts it: no --workspace, no $SOCKBENCH_WORKSPACE; a per-user data folder of the test's own.
  const data = mkdtempSync(join(tmpdir(), 'sockbench-e2e-data-'));
  const env = { SOCKBENCH_WORKSPACE: undefined, XDG_DATA_HOME: data };
  const plain = [process.execPath, 'dist/serve.cjs', '--port', '0'];
  const defaultDir = join(data, 'sockbench');
  let w: Workbench | undefined;
  afterAll(async () => void (await w?.close()));
  const tid = (id: string) => w!.page.getByTestId(id);
  const restart = async () => {
    await w!.close();
    w = await openWorkbench(plain, { env });
  };
  const switchTo = async (folder: string) => {
    await tid('workspace-switch').click();
    await tid('workspace-folder').fill(folder);
    await tid('workspace-open').click();
    await poll(() => tid('workspace-dir').getAttribute('data-dir')).toBe(folder);
  };

  it('opens it again after a restart (with the same token); switching back to the default forgets it; a folder gone since opens the default', async () => {
    w = await openWorkbench(plain, { env });
    await poll(() => tid('workspace-dir').getAttribute('data-dir')).toBe(defaultDir);
    const token = new URL(w.url).hash;
    const other = mkdtempSync(join(tmpdir(), 'sockbench-e2e-chosen-'));
    await switchTo(other);
    await restart();
    await poll(() => tid('workspace-dir').getAttribute('data-dir')).toBe(other);
    expect(new URL(w.url).hash, 'the token is kept with the default folder: a bookmark still works').toBe(token);

    await switchTo(defaultDir);
    await restart();
    await poll(() => tid('workspace-dir').getAttribute('data-dir')).toBe(defaultDir);

    const gone = mkdtempSync(join(tmpdir(), 'sockbench-e2e-gone-'));
    await switchTo(gone);
    rmSync(gone, { recursive: true });
    await restart();
    await poll(() => tid('workspace-dir').getAttribute('data-dir')).toBe(defaultDir);
    expect(w.pageErrors).toEqual([]);
  }, 60_000);
});
