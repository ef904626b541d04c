// The page under a UDP flood from another process, as a person meets it: the
// flooded session selected with its log following. Not a timing test (speed
// is measured by `npm run bench`): what must hold whatever the machine's
// speed is that the page's counters end up equal to the session's (and the
// session's to what the kernel delivered), that what the view skipped is
// counted and said, and that a click still changes the selection mid-flood.
import { afterEach, describe, expect, it } from 'vitest';
import type { SessionInfo } from '../../shared/contract/index.js';
import { SHOTS, workbenchPerSuite } from '../support/browser.js';
import { peerSuite } from '../support/peers.js';
import { procUdpDrops, startUdpFlood } from '../support/udp-flood.js';
import { connectBridge } from '../support/ws-client.js';

const chromium = peerSuite('chromium');
const python = peerSuite('python3');

// 8 KiB datagrams at 5,000/s are 40 MB/s, more than the ¼ MiB a batch may carry
// 60 times a second: the view must skip some on any machine, and say so. The
// flood runs until the clicks are done (at most MAX_COUNT datagrams).
const RATE = 5000;
const MAX_COUNT = RATE * 300;
const SIZE = 8192;

describe.skipIf(chromium.skip || python.skip)(`the page under a UDP flood (${chromium.title}, ${python.title})`, () => {
  const wb = workbenchPerSuite();
  const { tid } = wb;
  const item = (id: string) => wb.page.locator(`[data-testid=session-item][data-session-id="${id}"]`);
  const selectedId = () => wb.page.locator('[data-testid=session-item][aria-current=true]').getAttribute('data-session-id');
  const attr = async (testid: string, name: string) => Number((await tid(testid).getAttribute(name)) ?? NaN);

  afterEach(() => {
    expect(wb.pageErrors).toEqual([]);
  });

  async function boundUdpSocket(): Promise<{ id: string; port: number }> {
    await tid('new-socket-family').selectOption('AF_INET');
    await tid('new-socket-type').selectOption('SOCK_DGRAM');
    const before = await wb.page.locator('[data-testid=session-item]').count();
    await tid('new-socket-submit').click();
    await expect.poll(() => wb.page.locator('[data-testid=session-item]').count()).toBe(before + 1);
    const id = (await selectedId())!;
    await tid('bind-address').fill('127.0.0.1');
    await tid('bind-port').fill('0');
    await tid('bind-submit').click();
    await wb.page.waitForSelector(`[data-testid=session-summary][data-session-id="${id}"] [data-testid=session-state][data-state=bound]`);
    const port = Number((await tid('session-local').textContent())!.trim().split(':').pop());
    expect(port).toBeGreaterThan(0);
    return { id, port };
  }

  it('keeps the counters exact, says what the view skipped, and answers a click mid-flood', { timeout: 120_000 }, async () => {
    const flooded = await boundUdpSocket();
    const other = await boundUdpSocket();
    await item(flooded.id).click();
    await expect.poll(selectedId).toBe(flooded.id);
    expect(await tid('log-follow').getAttribute('aria-pressed')).toBe('true');

    const flood = startUdpFlood({ port: flooded.port, rate: RATE, count: MAX_COUNT, size: SIZE });
    const chunksShown = () => attr('session-bytes-in', 'data-chunks');
    try {
      await expect.poll(chunksShown, { timeout: 10_000 }).toBeGreaterThan(0);
      // Mid-flood: away to the other session and back, each click answered while datagrams still pour in.
      await item(other.id).click();
      await expect.poll(selectedId).toBe(other.id);
      await wb.page.waitForSelector(`[data-testid=session-summary][data-session-id="${other.id}"]`);
      await item(flooded.id).click();
      await expect.poll(selectedId).toBe(flooded.id);
      await wb.page.waitForSelector(`[data-testid=session-summary][data-session-id="${flooded.id}"]`);
      // Back on the flooded session, its log still follows and shows rows (not an empty pane
      // scrolled away from where its rows are drawn).
      const rowsOnScreen = () => wb.page.evaluate(() => {
        const box = document.querySelector('.datalog .pane-scroll')!.getBoundingClientRect();
        return Array.from(document.querySelectorAll('[data-testid=log-row]')).filter((r) => {
          const b = r.getBoundingClientRect();
          return b.bottom > box.top && b.top < box.bottom;
        }).length;
      });
      await expect.poll(rowsOnScreen, { timeout: 500, message: 'no log row on screen after coming back' }).toBeGreaterThan(3);
      expect(await tid('log-follow').getAttribute('aria-pressed')).toBe('true');
      const atClick = await chunksShown();
      await wb.page.screenshot({ path: `${SHOTS}/flood-udp.png` });
      // The flood went on after the clicks were answered: the selection changed before it ended.
      await expect.poll(chunksShown, { timeout: 10_000 }).toBeGreaterThan(atClick);
      expect(flood.running()).toBe(true);
      flood.end();
      const { sent } = await flood.done;
      expect(sent).toBeGreaterThan(atClick);
      // Main's own view of the session (read after the flood: a second connection has its own batcher).
      const api = await connectBridge(wb.url);
      let session: SessionInfo | undefined;
      try {
        const info = async () => (await api.call('session.list', {})).sessions.find((s) => String(s.id) === flooded.id)!;
        // Every datagram sent was either received by the session or dropped by the kernel for a full buffer.
        await expect.poll(async () => (session = await info()).counters.chunksIn + (procUdpDrops(flooded.port) ?? 0), { timeout: 20_000 }).toBe(sent);
        expect(session!.counters.bytesIn).toBe(session!.counters.chunksIn * SIZE);
      } finally {
        api.close();
      }

      // The page's counters equal the session's.
      await expect.poll(() => attr('session-bytes-in', 'data-chunks'), { timeout: 20_000 }).toBe(session!.counters.chunksIn);
      expect(await attr('session-bytes-in', 'data-bytes')).toBe(session!.counters.bytesIn);

      // What the view skipped is counted and said, in the log and on the session, and nothing is unaccounted for.
      const skipped = await attr('log-dropped', 'data-chunks');
      expect(skipped).toBeGreaterThan(0);
      expect(await tid('log-dropped').textContent()).toMatch(new RegExp(`view skipped ${skipped} chunks`));
      expect(await attr('session-view-skipped', 'data-chunks')).toBe(skipped);
      const held = await attr('log-count', 'data-n');
      const evicted = (await tid('log-evicted').count()) ? await attr('log-evicted', 'data-n') : 0;
      expect(held + evicted + skipped, 'shown, scrolled out of the log, or counted as skipped').toBe(session!.counters.chunksIn);
      await wb.page.screenshot({ path: `${SHOTS}/flood-udp-after.png` });
    } finally {
      flood.stop();
    }
  });
});
