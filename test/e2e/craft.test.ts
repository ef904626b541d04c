// The Craft view end to end in Debian's Chromium against `node dist/serve.cjs`,
// as a person would use it: the ICMP echo template, fields and bytes linked
// both ways (a field's bytes light up, a byte selects its field, edited bytes
// update the fields), a bad value kept in its field with the codec's error,
// a send to 127.0.0.1 with the echo reply under the packet sent, a forced bad
// checksum that gets no answer and the note saying why, the fragment pair,
// saving a template (into the workspace, Ctrl+S), the pcapng export read back to the same bytes, and a
// send through a session (a connected UDP socket made in the Sockets view):
// the built bytes are its datagrams, seen by the peer and in its log.
// Screenshots: test-results/e2e/30-craft-*.png.
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildStack, type Layer } from '../../shared/packet/index.js';
import { readPcapng } from '../support/pcapng-reader.js';
import { SHOTS, workbenchPerSuite } from '../support/browser.js';
import { peerSuite, rawSuite } from '../support/peers.js';

const suite = peerSuite('chromium');
// The sends through the raw helper need CAP_NET_RAW (a failure instead of a skip with SOCKBENCH_REQUIRE_PEERS=1).
const raw = rawSuite('sends through the raw helper');

describe.skipIf(suite.skip)(`the packet crafter in the browser (${suite.title})`, () => {
  const wb = workbenchPerSuite();
  const { tid } = wb;
  const hex = async () => (await tid('craft-hex').getAttribute('data-hex'))!.split(' ');
  const fieldError = (field: string) => wb.page.locator(`[data-testid=field-error][data-field="${field}"]`);

  it('the ICMP echo template: ttl and seq set from their fields show in the hex; the focused field’s bytes light up', async () => {
    await tid('tab-craft').click();
    await tid('craft-view').waitFor();
    await tid('craft-template').selectOption({ label: 'ICMP echo' });
    await tid('craft-template-load').click();
    await expect.poll(() => tid('craft-layer-0').getAttribute('data-kind')).toBe('ipv4');
    expect(await tid('craft-layer-1').getAttribute('data-kind')).toBe('icmp');
    expect(await tid('craft-layer-2').getAttribute('data-kind')).toBe('payload');
    // 20 (IPv4) + 8 (ICMP echo) + 8 data bytes; both checksums computed and good.
    await expect.poll(() => tid('craft-length').getAttribute('data-length')).toBe('36');
    expect(await tid('craft-checksum-0').getAttribute('data-status')).toBe('good');
    expect(await tid('craft-checksum-1').getAttribute('data-status')).toBe('good');
    // Computed fields show their value greyed as placeholder.
    expect(await tid('craft-field-0-len').getAttribute('placeholder')).toBe('auto: 36');

    await tid('craft-field-0-ttl').fill('3');
    await tid('craft-field-1-seq').fill('7');
    await expect.poll(async () => (await hex())[8]).toBe('03');
    expect((await hex()).slice(26, 28)).toEqual(['00', '07']);
    expect(await tid('craft-checksum-0').getAttribute('data-status')).toBe('good');
    // The seq field has focus: its two bytes (26, 27) are highlighted, and only those.
    await expect.poll(() => wb.page.locator('.craft-hexdump [data-hl=true]').count()).toBe(2);
    expect(await tid('craft-byte-26').getAttribute('data-hl')).toBe('true');
    expect(await tid('craft-byte-27').getAttribute('data-hl')).toBe('true');
    await tid('craft-field-0-ttl').focus();
    await expect.poll(() => tid('craft-byte-8').getAttribute('data-hl')).toBe('true');
    expect(await tid('craft-selected-bytes').textContent()).toMatch(/IPv4 ttl: bytes 8–8 \(1\)/);
    // The same packet as a CLI line.
    expect(await tid('craft-cli').textContent()).toContain('ipv4 ttl=3 dst=127.0.0.1 / icmp type=echo-request id=1 seq=7 / payload hex:0001020304050607');
    await wb.page.screenshot({ path: `${SHOTS}/30-craft-icmp.png` });
  });

  it('a ttl of 300 is refused on the ttl field, and the 300 stays there; the hex keeps the last good bytes', async () => {
    await tid('craft-field-0-ttl').fill('300');
    const err = fieldError('0.ttl');
    await err.waitFor();
    expect(await err.textContent()).toMatch(/ttl must be 0\.\.255, got "300"/);
    expect(await tid('craft-field-0-ttl').inputValue()).toBe('300');
    expect(await tid('craft-field-0-ttl').getAttribute('aria-invalid')).toBe('true');
    await tid('craft-stale').waitFor();
    expect((await hex())[8]).toBe('03');
    await wb.page.screenshot({ path: `${SHOTS}/30-craft-error.png` });
    // In Chinese the same error, the field and its value kept.
    await tid('language-switch').selectOption('zh-CN');
    await expect.poll(() => err.textContent()).toMatch(/ttl 必须在 0\.\.255 之间，得到的是 "300"/);
    await tid('language-switch').selectOption('en');
    await tid('craft-field-0-ttl').fill('5');
    await expect.poll(() => err.count()).toBe(0);
    await expect.poll(async () => (await hex())[8]).toBe('05');
  });

  it('bytes edited in the hex update the fields; a click on a byte selects its field', async () => {
    const bytes = await hex();
    bytes[27] = '09'; // ICMP seq low byte: 7 → 9 (the checksum in the bytes is now wrong for 9)
    bytes[8] = '40'; // ttl 64
    await tid('craft-hex-edit').fill(bytes.join(' '));
    await tid('craft-hex-apply').click();
    await expect.poll(() => tid('craft-field-1-seq').inputValue()).toBe('9');
    // 64 is the default: the field is back to showing it as its placeholder.
    expect(await tid('craft-field-0-ttl').inputValue()).toBe('');
    expect(await tid('craft-field-0-ttl').getAttribute('placeholder')).toBe('64');
    // The IPv4 checksum no longer matches the ttl: it is kept as typed (overridden, bad).
    expect(await tid('craft-checksum-0').getAttribute('data-status')).toBe('bad');
    expect(await tid('craft-field-0-chksum').inputValue()).not.toBe('');
    expect((await hex()).join(' ')).toBe(bytes.join(' '));
    // Back to computed checksums.
    await tid('craft-field-0-chksum-auto').click();
    await tid('craft-field-1-chksum-auto').click();
    await expect.poll(() => tid('craft-checksum-0').getAttribute('data-status')).toBe('good');
    expect(await tid('craft-checksum-1').getAttribute('data-status')).toBe('good');
    // Byte 16 is the first byte of the destination address.
    await tid('craft-byte-16').click();
    await expect.poll(() => tid('craft-field-0-dst-box').getAttribute('data-selected')).toBe('true');
    expect(await wb.page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('craft-field-0-dst');
    expect(await wb.page.locator('.craft-hexdump [data-hl=true]').count()).toBe(4);
  });

  it('layers: only legal kinds can be added; illegal moves are disabled with the reason; arrows move between layers', async () => {
    const kinds = await tid('craft-add-kind').locator('option').allTextContents();
    // After a payload nothing may follow.
    expect(kinds).toHaveLength(1);
    expect(kinds[0]).toMatch(/Nothing may follow payload/);
    // The ICMP layer cannot go above IPv4 (ipv4 may not follow icmp echo).
    expect(await tid('craft-layer-up-1').isDisabled()).toBe(true);
    expect(await tid('craft-layer-up-1').getAttribute('title')).toMatch(/cannot follow/);
    await tid('craft-layer-title-0').focus();
    await wb.page.keyboard.press('ArrowDown');
    expect(await wb.page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('craft-layer-title-1');
    // Remove the payload, and add it back from the list of what may follow ICMP echo.
    await tid('craft-layer-remove-2').click();
    await expect.poll(() => tid('craft-layer-2').count()).toBe(0);
    expect(await tid('craft-add-kind').locator('option').allTextContents()).toEqual(expect.arrayContaining([expect.stringMatching(/^Payload/)]));
    await tid('craft-add-kind').selectOption('payload');
    await tid('craft-add-layer').click();
    await expect.poll(() => tid('craft-layer-2').getAttribute('data-kind')).toBe('payload');
    await tid('craft-field-2-load').fill('0001020304050607');
    await expect.poll(() => tid('craft-length').getAttribute('data-length')).toBe('36');
  });

  it('Save as pcapng: the downloaded file reads back to the same bytes', async () => {
    const shown = (await hex()).join('');
    const [download] = await Promise.all([wb.page.waitForEvent('download'), tid('craft-export').click()]);
    const path = await download.path();
    const file = readPcapng(new Uint8Array(readFileSync(path)));
    expect(file.ok).toBe(true);
    if (!file.ok) return;
    expect(file.value.packets).toHaveLength(1);
    expect(file.value.packets[0]!.link).toBe('ipv4');
    expect(Buffer.from(file.value.packets[0]!.bytes).toString('hex')).toBe(shown);
  });

  it.skipIf(raw.skip)('send ×2 to 127.0.0.1 with seq incrementing: the echo replies appear under the packets sent', async () => {
    await tid('craft-via').selectOption('raw');
    await tid('craft-count').fill('2');
    await tid('craft-interval').fill('10');
    await tid('craft-listen').fill('500');
    await tid('craft-add-variable').click();
    await tid('craft-var-layer-0').selectOption({ label: '2 ICMP' });
    await tid('craft-var-field-0').selectOption('seq');
    await tid('craft-var-start-0').fill('100');
    await tid('craft-start').click();
    await expect.poll(() => tid('craft-counts').getAttribute('data-state'), { timeout: 20_000 }).toBe('done');
    expect(await tid('craft-counts').getAttribute('data-sent')).toBe('2');
    expect(await tid('craft-counts').getAttribute('data-errors')).toBe('0');
    const sent = wb.page.locator('[data-testid=craft-sent]');
    expect(await sent.count()).toBe(2);
    const replies = wb.page.locator('[data-testid=craft-sent][data-index="0"] ~ [data-testid=craft-reply]');
    await expect.poll(() => replies.count()).toBeGreaterThanOrEqual(1);
    expect(await replies.first().getAttribute('data-summary')).toMatch(/ICMP echo-reply id 1 seq 100/);
    expect(await wb.page.locator('[data-testid=craft-sent][data-index="1"] ~ [data-testid=craft-reply]').first().getAttribute('data-summary')).toMatch(/seq 101/);
    await replies.first().click();
    await tid('craft-reply-detail').waitFor();
    expect(await tid('craft-reply-detail').textContent()).toMatch(/type=echo-reply/);
    await wb.page.screenshot({ path: `${SHOTS}/30-craft-sent.png` });

    // Export the run: the two requests and their replies.
    const [download] = await Promise.all([wb.page.waitForEvent('download'), tid('craft-export-results').click()]);
    const file = readPcapng(new Uint8Array(readFileSync(await download.path())));
    expect(file.ok && file.value.packets.length).toBeGreaterThanOrEqual(4);
  });

  it.skipIf(raw.skip)('an ICMP echo with a forced wrong checksum gets no reply, and the view says that is expected', async () => {
    await wb.page.locator('[data-testid=craft-var-0] button').click();
    await tid('craft-count').fill('1');
    await tid('craft-listen').fill('300');
    await tid('craft-field-1-chksum').fill('0x1234');
    await expect.poll(() => tid('craft-checksum-1').getAttribute('data-status')).toBe('bad');
    await tid('craft-start').click();
    await expect.poll(() => tid('craft-counts').getAttribute('data-state'), { timeout: 20_000 }).toBe('done');
    expect(await tid('craft-counts').getAttribute('data-replies')).toBe('0');
    // The run's note (from main) or the view's own says why silence is expected.
    const why = wb.page.locator('[data-testid=craft-done-note], [data-testid=craft-bad-checksum-note]');
    await why.first().waitFor({ timeout: 5_000 });
    expect((await why.allTextContents()).join(' ')).toMatch(/checksum.*drops|drops.*checksum/);
    await wb.page.screenshot({ path: `${SHOTS}/30-craft-bad-checksum.png` });
    await tid('craft-field-1-chksum-auto').click();
  });

  it.skipIf(raw.skip)('a TCP SYN to a closed port of 127.0.0.1 is answered with RST,ACK, shown under it', async () => {
    await tid('craft-template').selectOption({ label: 'TCP SYN' });
    await tid('craft-template-load').click();
    await expect.poll(() => tid('craft-layer-1').getAttribute('data-kind')).toBe('tcp');
    // Port 9 (discard) is closed here: the kernel answers the SYN with a reset.
    await tid('craft-field-1-dport').fill('9');
    expect(await tid('craft-checksum-1').getAttribute('data-status')).toBe('good');
    expect(await tid('craft-field-1-options').inputValue()).toBe('MSS:65495,SAckOK,Timestamp:1:0,NOP,WScale:7');
    await tid('craft-start').click();
    await expect.poll(() => tid('craft-counts').getAttribute('data-state'), { timeout: 20_000 }).toBe('done');
    const reply = wb.page.locator('[data-testid=craft-sent][data-index="0"] ~ [data-testid=craft-reply]').first();
    await reply.waitFor({ timeout: 5_000 });
    expect(await reply.getAttribute('data-summary')).toMatch(/TCP 9 → 40000 \[R,A\]/);
    await wb.page.screenshot({ path: `${SHOTS}/30-craft-tcp-syn.png` });
  });

  it('the fragment pair is a list of two packets; a template saved with a name is listed and can be deleted', async () => {
    await tid('craft-template').selectOption({ label: 'Fragment pair' });
    await tid('craft-template-load').click();
    await tid('craft-packet-tab-1').waitFor();
    expect(await tid('craft-layer-1').getAttribute('data-kind')).toBe('udp');
    await tid('craft-packet-tab-1').click();
    await expect.poll(() => tid('craft-layer-1').getAttribute('data-kind')).toBe('payload');
    expect(await tid('craft-field-0-frag').inputValue()).toBe('3');
    await tid('craft-packet-tab-1').focus();
    await wb.page.keyboard.press('ArrowLeft');
    await expect.poll(() => tid('craft-packet-tab-0').getAttribute('aria-selected')).toBe('true');
    await wb.page.screenshot({ path: `${SHOTS}/30-craft-fragments.png` });

    // Ctrl+S saves the list to the workspace: a raw packet of two layer lines, listed in the Saved panel too.
    await tid('craft-save-name').fill('my pair');
    await wb.page.keyboard.press('Control+s');
    await expect.poll(() => tid('craft-template').locator('option', { hasText: 'my pair' }).count()).toBe(1);
    await expect.poll(() => wb.page.locator('[data-testid=saved-row][data-name="my pair"]').count()).toBe(1);
    expect(await wb.page.evaluate(() => localStorage.getItem('sockbench.craft.templates'))).toBeNull();
    await tid('craft-template-delete').click();
    await expect.poll(() => tid('craft-template').locator('option', { hasText: 'my pair' }).count()).toBe(0);
  });

  it('send via a session: a UDP socket bound and connected in the Sockets view sends udp / payload ×3, sport varying; the peer gets exactly those bytes', async () => {
    // The peer: a UDP socket of this process on 127.0.0.1.
    const peer = createSocket('udp4');
    const got: Buffer[] = [];
    peer.on('message', (m) => got.push(m));
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', r));
    const peerPort = peer.address().port;
    try {
      // The session: AF_INET SOCK_DGRAM, bound to 127.0.0.1, connected to the peer.
      await tid('tab-sockets').click();
      const items = wb.page.locator('[data-testid=session-item]');
      const before = await items.count();
      await tid('new-socket-family').selectOption('AF_INET');
      await tid('new-socket-type').selectOption('SOCK_DGRAM');
      await tid('new-socket-submit').click();
      await expect.poll(() => items.count()).toBe(before + 1);
      const selected = wb.page.locator('[data-testid=session-item][aria-current=true]');
      const id = (await selected.getAttribute('data-session-id'))!;
      await tid('bind-address').fill('127.0.0.1');
      await tid('bind-port').fill('0');
      await tid('bind-submit').click();
      await wb.page.waitForSelector('[data-testid=session-state][data-state=bound]');
      const localPort = Number((await tid('session-local').textContent())!.trim().split(':').pop());
      expect(localPort).toBeGreaterThan(0);
      await tid('connect-address').fill('127.0.0.1');
      await tid('connect-port').fill(String(peerPort));
      await tid('connect-submit').click();
      await wb.page.waitForSelector('[data-testid=session-state][data-state=connected]');

      // The packet: the UDP datagram template without its IPv4 header (a session's data is what the stack builds).
      await tid('tab-craft').click();
      await tid('craft-view').waitFor();
      await tid('craft-template').selectOption({ label: 'UDP datagram' });
      await tid('craft-template-load').click();
      await expect.poll(() => tid('craft-layer-1').getAttribute('data-kind')).toBe('udp');
      await tid('craft-layer-remove-0').click();
      await expect.poll(() => tid('craft-layer-0').getAttribute('data-kind')).toBe('udp');
      expect(await tid('craft-layer-1').getAttribute('data-kind')).toBe('payload');
      await expect.poll(() => tid('craft-length').getAttribute('data-length')).toBe('13'); // 8 + "hello"
      await tid('craft-via').selectOption(id);
      await tid('craft-count').fill('3');
      await tid('craft-interval').fill('10');
      await tid('craft-add-variable').click();
      await tid('craft-var-layer-0').selectOption({ label: '1 UDP' });
      await tid('craft-var-field-0').selectOption('sport');
      await tid('craft-var-start-0').fill('50000');
      await tid('craft-start').click();
      await expect.poll(() => tid('craft-counts').getAttribute('data-state'), { timeout: 20_000 }).toBe('done');
      expect(await tid('craft-counts').getAttribute('data-sent')).toBe('3');
      expect(await tid('craft-counts').getAttribute('data-errors')).toBe('0');
      expect(await tid('craft-counts').getAttribute('data-replies')).toBe('0'); // through a session nothing is captured
      expect(await wb.page.locator('[data-testid=craft-sent]').count()).toBe(3);
      await expect.poll(() => got.length, { timeout: 5_000 }).toBe(3);
      await wb.page.screenshot({ path: `${SHOTS}/30-craft-session.png` });

      // Exactly what the stack builds with the session's addresses (they are in the UDP checksum), sport 50000, 50001, 50002.
      const want = [0, 1, 2].map((n) => {
        const layers: Layer[] = [{ kind: 'udp', fields: { sport: 50_000 + n, dport: 9 } }, { kind: 'payload', fields: { load: 'hello' } }];
        const b = buildStack(layers, { src: '127.0.0.1', dst: '127.0.0.1' });
        if (!b.ok) throw new Error(b.message);
        return Buffer.from(b.bytes).toString('hex');
      });
      expect(got.map((m) => m.toString('hex'))).toEqual(want);

      // The session's log shows the three datagrams going out.
      await tid('tab-sockets').click();
      await wb.page.locator(`[data-testid=session-item][data-session-id="${id}"]`).click();
      const out = wb.page.locator('[data-testid=log-row][data-dir=out]');
      await expect.poll(() => out.count()).toBe(3);
      expect(await out.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-len')))).toEqual(['13', '13', '13']);
      const shown = (await wb.page.locator('[data-testid=log-row][data-dir=out] [data-testid=log-hex]').allTextContents()).map((h) => h.replace(/\s+/g, ''));
      expect(shown).toEqual(want);
      await wb.page.screenshot({ path: `${SHOTS}/30-craft-session-log.png` });

      // And nothing more: a marker sent after the run (send() on the connected socket) reaches the peer fourth (loopback UDP keeps order).
      await tid('sendto-address').fill('');
      await tid('composer-input').fill('end');
      await tid('send-submit').click();
      await expect.poll(() => got.length, { timeout: 5_000 }).toBe(4);
      expect(got[3]!.toString()).toBe('end');
      await tid('tab-craft').click();
      await tid('craft-view').waitFor();
    } finally {
      await new Promise<void>((r) => peer.close(() => r()));
    }
  });

  it('in Simplified Chinese too', async () => {
    await tid('language-switch').selectOption('zh-CN');
    await expect.poll(() => tid('tab-craft').textContent()).toBe('构造');
    await wb.page.screenshot({ path: `${SHOTS}/30-craft-zh.png` });
    await tid('language-switch').selectOption('en');
  });

  it('no page errors (CSP included)', () => {
    expect(wb.pageErrors).toEqual([]);
  });
});
