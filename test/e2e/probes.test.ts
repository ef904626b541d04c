// The probe views end to end in Debian's Chromium against `node
// dist/serve.cjs`, as a person would use them: the tabs (by mouse and by
// keyboard), a ping from the form with its replies, statistics and chart, a
// traceroute, and a raw ICMP socket that receives the echo it sent.
// A sweep (fping -g) from the panel under the ping view.
// Screenshots: test-results/e2e/20-ping.png, 21-traceroute.png, 22-raw.png, 23-sweep.png.
import { lookup } from 'node:dns/promises';
import { describe, expect, it } from 'vitest';
import { SHOTS, workbenchPerSuite } from '../support/browser.js';
import { peerSuite, rawSuite } from '../support/peers.js';

const suite = peerSuite('chromium');
const raw = rawSuite('probes in the browser');

describe.skipIf(suite.skip || raw.skip)(raw.skip ? raw.title : `${raw.title} (${suite.title})`, () => {
  const wb = workbenchPerSuite();
  const { tid } = wb;
  const count = async (id: string) => Number(await tid(id).getAttribute('data-count'));

  it('the tabs switch views by keyboard; the Sockets view is the default and keeps its state', async () => {
    await expect.poll(() => tid('tab-sockets').getAttribute('aria-selected')).toBe('true');
    await tid('new-socket-family').selectOption('AF_INET6');
    await tid('tab-sockets').focus();
    await wb.page.keyboard.press('ArrowRight');
    await expect.poll(() => tid('tab-ping').getAttribute('aria-selected')).toBe('true');
    await expect.poll(() => wb.page.evaluate(() => document.activeElement?.id)).toBe('tab-ping');
    await wb.page.waitForSelector('[data-testid=ping-view]');
    expect(await tid('new-socket-family').isVisible()).toBe(false);
    await wb.page.keyboard.press('End'); // the last tab: Scenarios
    await expect.poll(() => tid('tab-scenarios').getAttribute('aria-selected')).toBe('true');
    await wb.page.keyboard.press('Home');
    await expect.poll(() => tid('tab-sockets').getAttribute('aria-selected')).toBe('true');
    expect(await tid('new-socket-family').inputValue()).toBe('AF_INET6');
    await tid('new-socket-family').selectOption('AF_INET');
  });

  it('ping 127.0.0.1 ×10 every 10 ms from the form: 10 replies, 0% loss, the histogram and the chart drawn', async () => {
    await tid('tab-ping').click();
    await wb.page.waitForSelector('[data-testid=probe-status][data-status=ready]', { timeout: 20_000 });
    // A field error first: the interval is checked before anything is sent.
    await tid('ping-target').fill('127.0.0.1');
    await tid('ping-count').fill('10');
    await tid('ping-interval').fill('0');
    await tid('ping-start').click();
    const intervalError = wb.page.locator('[data-testid=field-error][data-field=interval]');
    await intervalError.waitFor();
    expect(await intervalError.textContent()).toMatch(/at least 1 ms/);
    await tid('ping-interval').fill('10');
    await expect.poll(() => intervalError.count()).toBe(0);

    await tid('ping-start').click();
    await expect.poll(() => count('ping-reply-count'), { timeout: 20_000 }).toBe(10);
    await wb.page.waitForSelector('[data-testid=ping-state][data-state=done]', { timeout: 20_000 });
    expect((await tid('ping-stat-sent').textContent())!.trim()).toBe('10');
    expect((await tid('ping-stat-received').textContent())!.trim()).toBe('10');
    expect((await tid('ping-stat-loss').textContent())!.trim()).toBe('0%');
    expect(await tid('ping-stat-rtt').textContent()).toMatch(/^\s*\d+\.\d{3} \/ \d+\.\d{3} \/ \d+\.\d{3} \/ \d+\.\d{3}\s*$/);
    const rows = wb.page.locator('[data-testid=ping-reply][data-kind=ok]');
    expect(await rows.count()).toBe(10);
    expect(await rows.first().textContent()).toMatch(/127\.0\.0\.1\s*64\s*64\s*\d+\.\d{3} ms/);
    expect(Number(await tid('ping-histogram').getAttribute('data-buckets'))).toBeGreaterThan(0);
    await expect.poll(() => tid('rtt-chart').getAttribute('data-points')).toBe('10');
    // uPlot drew into its canvas: some pixel is not transparent.
    const drawn = await wb.page.evaluate(() => {
      const c = document.querySelector<HTMLCanvasElement>('[data-testid=rtt-chart] canvas');
      if (!c || c.width === 0) return false;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) return true;
      return false;
    });
    expect(drawn).toBe(true);
    await wb.page.screenshot({ path: `${SHOTS}/20-ping.png` });
  });

  it('sweep under the ping view: a /8 is refused on the targets field; a list and a /30 fill the table, every target alive', async () => {
    await tid('tab-ping').click();
    await tid('sweep-targets').fill('127.0.0.0/8');
    await tid('sweep-start').click();
    const targetsError = wb.page.locator('[data-testid=field-error][data-field=sweep-targets]');
    await targetsError.waitFor();
    expect(await targetsError.textContent()).toMatch(/16,777,214 addresses; the limit is 4,096/);
    await tid('sweep-targets').fill('127.0.0.1 ::1\n127.0.0.4/30');
    await expect.poll(() => targetsError.count()).toBe(0);
    await tid('sweep-count').fill('2');
    await tid('sweep-per-target').fill('10');
    await tid('sweep-start').click();
    const rows = wb.page.locator('[data-testid=sweep-results] tbody tr');
    await expect.poll(() => rows.count(), { timeout: 20_000 }).toBe(4);
    await expect.poll(() => tid('sweep-stop').isDisabled(), { timeout: 20_000 }).toBe(true);
    expect(await wb.page.locator('[data-testid=sweep-results] tbody tr[data-alive=true]').count()).toBe(4);
    expect((await tid('sweep-progress').textContent())!).toMatch(/4 of 4 done, 4 alive/);
    const text = (await rows.allTextContents()).join('\n');
    for (const host of ['127.0.0.1', '::1', '127.0.0.5', '127.0.0.6']) expect(text).toContain(host);
    expect(text).toMatch(/2\/2\s*0%/);
    await wb.page.screenshot({ path: `${SHOTS}/23-sweep.png` });
  });

  it('traceroute 127.0.0.1 shows one hop, answered with an echo reply', async () => {
    await tid('tab-traceroute').click();
    await tid('trace-target').fill('127.0.0.1');
    await tid('trace-mode').selectOption('icmp');
    await tid('trace-start').click();
    await wb.page.waitForSelector('[data-testid=trace-state][data-state=reached]', { timeout: 20_000 });
    const hops = wb.page.locator('[data-testid=trace-hop]');
    expect(await hops.count()).toBe(1);
    expect(await hops.first().getAttribute('data-from')).toBe('127.0.0.1');
    const text = (await hops.first().textContent())!;
    expect(text).toMatch(/echo reply/);
    expect(text.match(/\d+\.\d{3} ms/g)).toHaveLength(3);
    await wb.page.screenshot({ path: `${SHOTS}/21-traceroute.png` });
  });

  it('a host name in the Ping form: localhost pings the address getaddrinfo gives first; an unknown name is EAI_NONAME on the target', async () => {
    const first = (await lookup('localhost', { all: true, order: 'verbatim' }))[0]!.address;
    await tid('tab-ping').click();
    await tid('ping-target').fill('nosuch.invalid');
    await tid('ping-count').fill('2');
    await tid('ping-start').click();
    const targetError = wb.page.locator('[data-testid=field-error][data-field=target]');
    await expect.poll(() => targetError.textContent()).toMatch(/EAI_NONAME \(-2\)/);
    await tid('ping-target').fill('localhost');
    await tid('ping-start').click();
    await expect.poll(() => count('ping-reply-count'), { timeout: 20_000 }).toBe(2);
    const rows = wb.page.locator('[data-testid=ping-reply][data-kind=ok]');
    expect(await rows.first().textContent()).toContain(first);
  });

  it('the raw view opens an ICMP socket and receives the echo request it sent and the reply', async () => {
    await tid('tab-raw').click();
    await tid('raw-family').selectOption('4');
    await tid('raw-protocol').selectOption('icmp');
    await tid('raw-open').click();
    await wb.page.waitForSelector('[data-testid=raw-state][data-state=open]');
    // Bad hex is refused next to the field, before anything is sent.
    await tid('raw-hex').fill('08 0');
    await tid('raw-send').click();
    await wb.page.locator('[data-testid=field-error][data-field=bytes]').waitFor();
    await tid('raw-echo-template').click();
    await tid('raw-address').fill('127.0.0.1');
    await tid('raw-send').click();
    await expect.poll(() => tid('raw-send-result').textContent()).toMatch(/sendto: 26 bytes to 127\.0\.0\.1/);
    // A raw ICMP socket sees every ICMP packet on the host (other tests ping too): ours have id 0x5342 (21314).
    const reply = wb.page.locator('[data-testid=raw-packet][data-summary*="echo-reply id 21314 seq 1 ·"]');
    const request = wb.page.locator('[data-testid=raw-packet][data-summary*="echo-request id 21314 seq 1 ·"]');
    await reply.first().waitFor({ timeout: 10_000 });
    await request.first().waitFor({ timeout: 10_000 });
    expect(await reply.first().getAttribute('data-from')).toBe('127.0.0.1');
    expect(await reply.first().getAttribute('data-summary')).toBe('IPv4 127.0.0.1 → 127.0.0.1 ttl 64 · ICMP echo-reply id 21314 seq 1 · 18 B');
    await reply.first().click();
    await tid('raw-packet-detail').waitFor();
    // Per layer its bytes, summary and checksum state (decoded by the crafter's codecs), then the hexdump.
    const layers = tid('raw-packet-detail').locator('[data-testid=raw-layer]');
    expect((await layers.allTextContents()).map((s) => s.replace(/\s+/g, ' ').trim())).toEqual([
      'IPv4 [0..20) 127.0.0.1 → 127.0.0.1 ttl 64 checksum good',
      'ICMP [20..28) echo-reply id 21314 seq 1 checksum good',
      'Payload [28..46) 18 B',
    ]);
    expect(await tid('raw-packet-detail').textContent()).toMatch(/00000000/);
    await wb.page.screenshot({ path: `${SHOTS}/22-raw.png` });
  });

  it('no page errors (CSP included)', () => {
    expect(wb.pageErrors).toEqual([]);
  });
});

const capsh = peerSuite('capsh');
describe.skipIf(suite.skip || capsh.skip)(`probes without CAP_NET_RAW (${capsh.skip ? capsh.title : suite.title})`, () => {
  // Browser mode started without CAP_NET_RAW.
  const wb = workbenchPerSuite(['capsh', '--drop=cap_net_raw', '--', '-c', `exec ${process.execPath} dist/serve.cjs --port 0`]);

  it('every probe view explains what is missing; a ping is refused next to its button; the Sockets view works', async () => {
    const { page, tid } = wb;
    for (const tab of ['ping', 'traceroute', 'craft', 'raw']) {
      await tid(`tab-${tab}`).click();
      const status = page.locator(`[data-testid=${tab === 'traceroute' ? 'trace' : tab}-view] [data-testid=probe-status]`);
      await expect.poll(() => status.getAttribute('data-status'), { timeout: 20_000 }).toBe('unprivileged');
      expect(await status.textContent()).toMatch(/Sending ICMP needs raw sockets, which need CAP_NET_RAW or root; Sockbench can ask the system to run only its small helper with that privilege/);
    }
    await tid('tab-ping').click();
    await tid('ping-start').click();
    const refused = page.locator('[data-testid=ping-form] [data-testid=field-error][data-field=action]');
    await refused.waitFor();
    expect(await refused.textContent()).toMatch(/Refused: this needs raw sockets \(see above\)/);
    await page.screenshot({ path: `${SHOTS}/23-unprivileged.png` });
    // The crafter builds and shows packets without the privilege; sending them through the helper is refused beside Send.
    await tid('tab-craft').click();
    await tid('craft-start').click();
    const craftRefused = page.locator('[data-testid=craft-send-form] [data-testid=field-error][data-field=action]');
    await craftRefused.waitFor();
    expect(await craftRefused.textContent()).toMatch(/Refused: this needs raw sockets \(see above\)/);
    await page.screenshot({ path: `${SHOTS}/23-unprivileged-craft.png` });
    await tid('tab-sockets').click();
    const before = await page.locator('[data-testid=session-item]').count();
    await tid('new-socket-submit').click();
    await expect.poll(() => page.locator('[data-testid=session-item]').count()).toBe(before + 1);
    expect(wb.pageErrors).toEqual([]);
  });
});
