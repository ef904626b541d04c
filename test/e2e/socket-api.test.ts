// End to end in Chromium, beyond the first slice: manual accept from the
// kernel's queue, a socket option set and read back, a partial send made
// visible, and an AF_UNIX SOCK_SEQPACKET pair made from the forms.
import { describe, expect, it } from 'vitest';
import { openGroup, SHOTS, workbenchPerSuite } from '../support/browser.js';
import { peerSuite } from '../support/peers.js';

const suite = peerSuite('chromium');

describe.skipIf(suite.skip)(`the socket API in the browser (${suite.title})`, () => {
  const wb = workbenchPerSuite();
  const { tid } = wb;
  const selected = () => wb.page.locator('[data-testid=session-item][aria-current=true]');
  const state = (s: string) => wb.page.waitForSelector(`[data-testid=session-state][data-state=${s}]`);

  async function newSocket(family: string, type: string): Promise<string> {
    await tid('new-socket-family').selectOption(family);
    await tid('new-socket-type').selectOption(type);
    const before = await wb.page.locator('[data-testid=session-item]').count();
    await tid('new-socket-submit').click();
    await expect.poll(() => wb.page.locator('[data-testid=session-item]').count()).toBe(before + 1);
    await state('created');
    return (await selected().getAttribute('data-session-id'))!;
  }

  async function select(id: string): Promise<void> {
    await wb.page.locator(`[data-testid=session-item][data-session-id="${id}"]`).click();
    await expect.poll(() => selected().getAttribute('data-session-id')).toBe(id);
  }

  /** A TCP listener on 127.0.0.1, port chosen by the kernel; returns its id and port. */
  async function tcpListener(acceptMode: 'auto' | 'manual', backlog = 5): Promise<{ id: string; port: number }> {
    const id = await newSocket('AF_INET', 'SOCK_STREAM');
    await tid('bind-submit').click();
    await state('bound');
    const port = Number((await tid('session-local').textContent())!.trim().split(':').pop());
    await tid('listen-accept-mode').selectOption(acceptMode);
    await tid('listen-backlog').fill(String(backlog));
    await tid('listen-submit').click();
    await state('listening');
    return { id, port };
  }

  async function connectTo(port: number): Promise<string> {
    const id = await newSocket('AF_INET', 'SOCK_STREAM');
    await tid('connect-port').fill(String(port));
    await tid('connect-submit').click();
    await state('connected');
    return id;
  }

  it('manual accept: the connection waits in the kernel queue until accept() is clicked', async () => {
    const srv = await tcpListener('manual');
    await connectTo(srv.port);
    await select(srv.id);
    // The client is connected (the kernel completed the handshake) but no session was accepted yet.
    await expect.poll(() => tid('accept-queue').getAttribute('data-pending'), { timeout: 5000 }).toBe('1');
    expect(await wb.page.locator(`[data-testid=session-item][data-parent="${srv.id}"]`).count()).toBe(0);
    await wb.page.screenshot({ path: `${SHOTS}/10-accept-queue.png` });
    await tid('accept-submit').click();
    await expect.poll(() => wb.page.locator(`[data-testid=session-item][data-parent="${srv.id}"]`).count()).toBe(1);
    await expect.poll(() => tid('accept-queue').getAttribute('data-pending')).toBe('0');
    expect(await tid('accept-result').textContent()).toMatch(/session #\d+/);
  });

  it('a socket option is set and read back from the kernel (SO_RCVBUF doubled by Linux)', async () => {
    await newSocket('AF_INET', 'SOCK_STREAM');
    await openGroup(wb.page, 'options');
    await tid('sockopt-option').selectOption('SO_RCVBUF');
    await tid('sockopt-number').fill('65536');
    await tid('sockopt-set').click();
    await tid('sockopt-get').click();
    await expect.poll(async () => (await tid('sockopt-readback').textContent()) ?? '').toMatch(/131072/);
    expect(await tid('sockopt-doubled').isVisible()).toBe(true);
    const calls = await wb.page.locator('[data-testid=trace-row]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-call')));
    expect(calls).toEqual(expect.arrayContaining(['setsockopt', 'getsockopt']));
    await wb.page.screenshot({ path: `${SHOTS}/11-sockopt.png` });
  });

  it('a partial send is shown: a non-blocking send of 8 MiB to a peer that does not read', async () => {
    const srv = await tcpListener('auto');
    const client = await connectTo(srv.port);
    const accepted = wb.page.locator(`[data-testid=session-item][data-parent="${srv.id}"]`);
    await expect.poll(() => accepted.count()).toBe(1);
    await select((await accepted.getAttribute('data-session-id'))!);
    await openGroup(wb.page, 'data');
    await tid('read-mode').selectOption('manual'); // the peer stops reading
    await select(client);
    await tid('setblocking-false').click();
    await tid('composer-mode').selectOption('hex');
    // 8 MiB as hex text is large for a textarea: use a file-free way, the repeat of a short pattern.
    await wb.page.evaluate(() => {
      const el = document.querySelector<HTMLTextAreaElement>('[data-testid=composer-input]')!;
      el.value = '61'.repeat(8 * 1024 * 1024);
      el.dispatchEvent(new Event('input'));
    });
    await expect.poll(() => tid('composer-preview').getAttribute('data-bytes'), { timeout: 10_000 }).toBe(String(8 * 1024 * 1024));
    await tid('send-submit').click();
    const result = tid('send-result');
    await result.waitFor({ timeout: 10_000 });
    expect(await result.textContent()).toMatch(/the kernel took \d+ of 8388608 bytes/);
    const last = wb.page.locator('[data-testid=trace-row][data-call=send]').last();
    expect(await last.textContent()).toMatch(/of 8388608 bytes/);
    await wb.page.screenshot({ path: `${SHOTS}/12-partial-send.png` });
    // Chromium lays out 16 M characters in the textarea (most of this test's time, a CPU profile shows): allow for a busy machine.
  }, 90_000);

  it('an AF_UNIX SOCK_SEQPACKET server and client from the forms: manual accept, and each message its own row', async () => {
    const srv = await newSocket('AF_UNIX', 'SOCK_SEQPACKET');
    const path = `@sockbench-e2e-${process.pid}`;
    await tid('bind-address').fill(path);
    await tid('bind-submit').click();
    await state('bound');
    expect((await tid('session-local').textContent())!.trim()).toBe(path);
    await tid('listen-accept-mode').selectOption('manual');
    await tid('listen-submit').click();
    await state('listening');

    await newSocket('AF_UNIX', 'SOCK_SEQPACKET');
    await tid('connect-address').fill(path);
    await tid('connect-submit').click();
    await state('connected');
    for (const msg of ['one', 'two\\r\\n', 'three']) {
      await tid('composer-input').fill(msg);
      await tid('send-submit').click();
      await expect.poll(async () => (await tid('send-result').textContent()) ?? '').toMatch(/bytes/);
      await tid('send-result').evaluate((el) => (el.textContent = ''));
    }

    await select(srv);
    await expect.poll(() => tid('accept-queue').getAttribute('data-pending'), { timeout: 5000 }).not.toBe('0');
    await tid('accept-submit').click();
    const accepted = wb.page.locator(`[data-testid=session-item][data-parent="${srv}"]`);
    await expect.poll(() => accepted.count()).toBe(1);
    await select((await accepted.getAttribute('data-session-id'))!);
    const rows = wb.page.locator('[data-testid=log-row][data-dir=in]');
    await expect.poll(() => rows.count()).toBe(3);
    expect(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-len')))).toEqual(['3', '5', '5']);
    // Options reach the socket in the worker: SO_RCVBUF set and read back.
    await openGroup(wb.page, 'options');
    await tid('sockopt-option').selectOption('SO_RCVBUF');
    await tid('sockopt-number').fill('65536');
    await tid('sockopt-set').click();
    await tid('sockopt-get').click();
    await expect.poll(async () => (await tid('sockopt-readback').textContent()) ?? '').toMatch(/131072/);
    await wb.page.screenshot({ path: `${SHOTS}/13-unix-seqpacket.png` });
  });

  it('makefile: a file sent with sendall arrives whole, and what was received is kept for saving', async () => {
    const srv = await tcpListener('auto');
    const client = await connectTo(srv.port);
    const accepted = wb.page.locator(`[data-testid=session-item][data-parent="${srv.id}"]`);
    await expect.poll(() => accepted.count()).toBe(1);
    const peer = (await accepted.getAttribute('data-session-id'))!;
    await select(peer);
    await openGroup(wb.page, 'data');
    await tid('capture-start').click();
    await select(client);
    const size = 3 * 1024 * 1024 + 7;
    await tid('file-input').setInputFiles({ name: 'blob.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(size, 0x5a) });
    await expect.poll(async () => (await tid('file-result').textContent()) ?? '', { timeout: 15_000 }).toMatch(/sent blob\.bin/);
    await select(peer);
    await expect.poll(() => tid('capture-bytes').getAttribute('data-bytes'), { timeout: 10_000 }).toBe(String(size));
    const download = wb.page.waitForEvent('download');
    await tid('capture-save').click();
    const file = await download;
    expect(file.suggestedFilename()).toBe(`sockbench-session-${peer}.bin`);
    const { readFileSync } = await import('node:fs');
    const saved = readFileSync((await file.path())!);
    expect(saved.length).toBe(size);
    expect(saved.every((b) => b === 0x5a)).toBe(true);
    await wb.page.screenshot({ path: `${SHOTS}/14-makefile.png` });
  });

  it('one listener with 1,000 clients: the list shows them all and stays usable', async () => {
    const srv = await tcpListener('auto', 1024);
    // 1,000 idle clients from another process, as real peers would be.
    const { spawn } = await import('node:child_process');
    const clients = spawn(process.execPath, ['-e', `
      const net = require('net'); const socks = [];
      let open = 0;
      for (let i = 0; i < 1000; i++) { const s = net.connect(${srv.port}, '127.0.0.1', () => { if (++open === 1000) console.log('all'); }); socks.push(s); }
      setTimeout(() => process.exit(0), 60000);
    `], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const count = wb.page.locator('.session-list .section-head .count');
      await expect.poll(async () => Number(await count.textContent()), { timeout: 30_000 }).toBeGreaterThanOrEqual(1001);
      // Virtualised: far fewer rows in the DOM than sessions, and the last one reachable by keyboard.
      expect(await wb.page.locator('[data-testid=session-item]').count()).toBeLessThan(200);
      await select(srv.id);
      await wb.page.locator(`[data-testid=session-item][data-session-id="${srv.id}"]`).focus();
      for (let i = 0; i < 5; i++) await wb.page.keyboard.press('ArrowDown');
      const chosen = await selected().getAttribute('data-parent');
      expect(chosen).toBe(srv.id);
      await wb.page.screenshot({ path: `${SHOTS}/15-thousand-clients.png` });
    } finally {
      clients.kill('SIGKILL');
    }
  }, 60_000);

  it('the page raised no errors', () => {
    expect(wb.pageErrors).toEqual([]);
  });
});
