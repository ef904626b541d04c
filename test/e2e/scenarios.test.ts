// Scenarios in Chromium against `node dist/serve.cjs --workspace DIR`, as a
// person would use them: talk to a real line server by hand, Record the
// session into a draft, loosen its expect into a regex, save it, run it from
// the Scenarios view and see it pass (its session in the session list); then
// run it against a server that answers differently and see the failure with
// what was expected and what arrived. Also a draft with a YAML error (line
// and column shown) and a broken file in the list. Screenshots are looked at.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openWorkbench, SHOTS, type Workbench } from '../support/browser.js';
import { peerSuite } from '../support/peers.js';

const suite = peerSuite('chromium');
/** Polls for up to 15 s: the machine is shared and busy. */
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 15_000 });

/** A Python line server on a free port: "PING x" gets "<word> x\r\n" (word PONG, or another to play a changed server). */
function lineServer(word: string): { proc: ChildProcess; port: () => Promise<number> } {
  const proc = spawn('python3', ['-u', '-c', `
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[2]))); s.listen(16); print(s.getsockname()[1], flush=True)
def serve(c):
    f = c.makefile("rb")
    for line in f:
        text = line.decode().rstrip("\\r\\n")
        if text.startswith("PING "): c.sendall(("%s %s\\r\\n" % (sys.argv[1], text[5:])).encode())
    c.close()
while True:
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
`, word, '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  return { proc, port: async () => Number(await expect.poll(() => out.trim(), { timeout: 10_000 }).toMatch(/^\d+$/).then(() => out.trim())) };
}

describe.skipIf(suite.skip)(`scenarios in the browser (${suite.title})`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockbench-e2e-scenarios-'));
  const serveCmd = [process.execPath, 'dist/serve.cjs', '--port', '0', '--workspace', dir];
  let wb: Workbench;
  const procs: ChildProcess[] = [];
  afterAll(async () => {
    for (const p of procs) p.kill();
    await wb?.close();
  });
  const tid = (id: string) => wb.page.getByTestId(id);
  const shot = (name: string) => wb.page.screenshot({ path: `${SHOTS}/${name}.png` });
  let port = 0;

  it('records a session talked to by hand into a draft, loosens the expect into a regex and saves it', async () => {
    wb = await openWorkbench(serveCmd);
    const server = lineServer('PONG');
    procs.push(server.proc);
    port = await server.port();
    const p = wb.page;
    await tid('new-socket-type').selectOption('SOCK_STREAM');
    await tid('new-socket-submit').click();
    await p.waitForSelector('[data-testid=session-state][data-state=created]');
    await tid('connect-port').fill(String(port));
    await tid('connect-submit').click();
    await p.waitForSelector('[data-testid=session-state][data-state=connected]');
    await tid('composer-input').fill('PING one\\n');
    await tid('send-submit').click();
    await poll(async () => Number(await tid('session-bytes-in').getAttribute('data-bytes'))).toBe('PONG one\r\n'.length);

    await tid('session-record').click();
    await p.waitForSelector('[data-testid=scenarios-view]');
    const text = tid('scenario-text');
    const draft = await text.inputValue();
    expect(draft).toContain(`port: "${port}"`);
    expect(draft).toContain('connect: tcp ${host}:${port}');
    expect(draft).toMatch(/send: "?PING one\\n"?/);
    expect(draft).toMatch(/equals: "?PONG one\\r\\n"?/);

    // A slip first: the YAML does not read, and the editor says where.
    await text.fill(`${draft}\n  - expect: { regex: "x"\n`);
    await tid('scenario-file').fill('ping');
    await tid('scenario-save').click();
    await poll(() => tid('yaml-at').textContent()).toMatch(/^line \d+, column \d+$/);
    expect(await tid('field-error').first().textContent()).toMatch(/not valid YAML/);

    // Loosened: any word after PONG. Saved with Ctrl+S from the editor.
    await text.fill(draft.replace(/equals: "?PONG one\\r\\n"?/, 'regex: "^PONG (\\\\w+)\\\\r\\\\n"\n      capture: [word]'));
    await text.press('Control+s');
    await poll(() => tid('scenario-saved').textContent()).toBe('Saved as scenarios/ping.yaml');
    await poll(() => p.locator('[data-testid=scenario-item][data-file="ping.yaml"]').count()).toBe(1);
    await shot('70-scenario-editor');
  }, 90_000);

  it('runs the saved scenario from the Scenarios view: every step passes, with durations and the bytes of the expect', async () => {
    const p = wb.page;
    await tid('scenario-discard').click();
    await tid('run-ping.yaml').click();
    await poll(() => tid('scenario-run').getAttribute('data-status')).toBe('passed');
    const statuses = await p.locator('[data-testid^=step-][data-status]').evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
    expect(statuses.length).toBeGreaterThanOrEqual(3);
    expect(statuses.every((s) => s === 'passed')).toBe(true);
    expect(await tid('step-bytes').first().textContent()).toContain('PONG one\\r\\n');
    expect(await tid('step-ms').count()).toBe(statuses.length);
    await shot('71-scenario-run-passed');
    // The run's session is in the session list like any other, with its trace.
    const sid = (await p.locator('[data-testid^=run-session-]').first().getAttribute('data-testid'))!.replace('run-session-', '');
    await tid(`run-session-${sid}`).click();
    await poll(() => p.locator(`[data-testid=session-item][data-session-id="${sid}"]`).count()).toBe(1);
    await poll(() => tid('session-summary').getAttribute('data-session-id')).toBe(sid);
    await poll(() => tid('session-bytes-in').getAttribute('data-bytes')).toBe('10');
    await tid('tab-scenarios').click();
    // Edit the saved file: the editor opens it, and a save writes it back.
    await tid('edit-ping.yaml').click();
    expect(await tid('scenario-text').inputValue()).toContain('capture:');
    await tid('scenario-save').click();
    await poll(() => tid('scenario-saved').textContent()).toBe('Saved as scenarios/ping.yaml');
    await tid('scenario-discard').click();
  }, 60_000);

  it('fails against a changed server, showing what was expected and what arrived', async () => {
    const changed = lineServer('PANG');
    procs.push(changed.proc);
    const other = await changed.port();
    const file = join(dir, 'scenarios', 'ping-changed.yaml');
    const { readFileSync } = await import('node:fs');
    writeFileSync(file, readFileSync(join(dir, 'scenarios', 'ping.yaml'), 'utf8').replace(`port: "${port}"`, `port: "${other}"`).replace(/name: .*/, 'name: ping against a changed server'));
    writeFileSync(join(dir, 'scenarios', 'broken.yaml'), 'name: broken\nsteps:\n  - sned: "x"\n');
    const p = wb.page;
    await poll(() => p.locator('[data-testid=scenario-item][data-file="ping-changed.yaml"]').count()).toBe(1);
    await poll(() => tid('scenario-broken').textContent()).toMatch(/unknown step "sned"/);
    await tid('run-ping-changed.yaml').click();
    await poll(() => tid('scenario-run').getAttribute('data-status')).toBe('failed');
    expect(await tid('run-failure').textContent()).toMatch(/ping-changed\.yaml:\d+:\d+/);
    const failure = tid('step-failure');
    expect(await failure.locator('[data-testid=failure-received] [data-testid=shown-text]').textContent()).toContain('PANG one');
    expect(await failure.locator('[data-testid=failure-received] [data-testid=shown-hex]').textContent()).toMatch(/50 41 4e 47/i);
    await shot('72-scenario-run-failed');
    // In Chinese the runner's words are translated; the file, line, bytes and regex stay as they are.
    const english = (await failure.locator('.field-error').textContent())!;
    await tid('language-switch').selectOption('zh-CN');
    await poll(() => tid('run-failure').textContent()).toMatch(/^scenarios\/ping-changed\.yaml:\d+:\d+：第 \d+ 步（expect）：等待 regex /);
    const chinese = (await failure.locator('.field-error').textContent())!;
    expect(english).toMatch(/^timed out after \d+ ms waiting for regex .+; \d+ bytes arrived unread$/);
    expect(chinese, english).toMatch(/^等待 regex .+ 超时（\d+ ms）；有 \d+ 字节到达但未被读取$/);
    await shot('75-scenario-run-failed-zh');
    await tid('language-switch').selectOption('en');
  }, 60_000);

  it('stops a run that waits on a server that never answers (keyboard: Tab to Stop, Enter)', async () => {
    writeFileSync(join(dir, 'scenarios', 'silent.yaml'), `name: a server that never answers\nsteps:\n  - connect: tcp 127.0.0.1:${port}\n  - send: "hello\\n"\n  - expect: { contains: "never", timeout: 600000 }\n`);
    const p = wb.page;
    await poll(() => p.locator('[data-testid=scenario-item][data-file="silent.yaml"]').count()).toBe(1);
    await tid('run-silent.yaml').focus();
    await p.keyboard.press('Enter');
    await poll(() => tid('step-3').getAttribute('data-status')).toBe('running');
    await tid('scenario-stop').focus();
    await p.keyboard.press('Enter');
    await poll(() => tid('scenario-run').getAttribute('data-status')).toBe('stopped');
    expect(await tid('step-1').getAttribute('data-status')).toBe('passed');
  }, 60_000);
  it('edits rules on a listener with a live preview, saves them, and answers a real client with them (hits counted)', async () => {
    const p = wb.page;
    await tid('tab-sockets').click();
    await tid('new-socket-type').selectOption('SOCK_STREAM');
    await tid('new-socket-submit').click();
    await p.waitForSelector('[data-testid=session-state][data-state=created]');
    await tid('bind-submit').click();
    await p.waitForSelector('[data-testid=session-state][data-state=bound]');
    const listenPort = Number((await tid('session-local').textContent())!.trim().split(':').pop());
    await tid('listen-accept-mode').selectOption('auto');
    await tid('listen-submit').click();
    await p.waitForSelector('[data-testid=session-state][data-state=listening]');

    await tid('rules-toggle').click();
    // The example rule set; two messages in one sample: the framing cuts them, each shows its rule and reply.
    await tid('rules-sample').fill('PING abc\\nQUIT\\nhello');
    await poll(() => p.locator('[data-testid=preview-row]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-rule')))).toEqual(['0', '1', '2']);
    expect(await tid('preview-reply').allTextContents()).toEqual([expect.stringContaining('PONG abc\\r\\n'), expect.stringMatching(/BYE\\r\\n\s+then close/), expect.stringContaining('ERR unknown\\r\\n')]);
    // A regex that does not compile is named at its line.
    const text = tid('rules-text');
    const good = await text.inputValue();
    await text.fill(good.replace('^PING ?(.*)$', '^PING (.*$'));
    await poll(() => tid('yaml-at').textContent()).toMatch(/^line 3, column \d+$/);
    expect(await p.locator('[data-testid=rules-panel] [data-testid=field-error]').textContent()).toMatch(/regex does not compile/);
    await text.fill(good);
    await tid('rules-file').fill('pingpong');
    await tid('rules-save').click();
    await poll(() => tid('rules-status').textContent()).toBe('Saved as rules/pingpong.yaml');
    const { existsSync } = await import('node:fs');
    expect(existsSync(join(dir, 'rules', 'pingpong.yaml'))).toBe(true);
    await tid('rules-apply').click();
    await poll(() => tid('rules-active').textContent()).toMatch(/pingpong/);

    // A real client: two pings in one segment get two pongs.
    const client = spawn('python3', ['-c', `
import socket, sys
c = socket.create_connection(("127.0.0.1", ${listenPort}))
c.sendall(b"PING x\\nPING y\\n")
got = b""
while got.count(b"\\n") < 2:
    d = c.recv(100)
    if not d: break
    got += d
sys.stdout.write(got.decode()); c.close()
`], { stdio: ['ignore', 'pipe', 'inherit'] });
    procs.push(client);
    let out = '';
    client.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await poll(() => out).toBe('PONG x\r\nPONG y\r\n');
    await poll(() => tid('rules-hit-count').allTextContents()).toEqual(['2', '0', '0']);
    await tid('rules-sample').fill('PING abc\\nQUIT\\nhello');
    await shot('73-rules-preview');
    // In Chinese: the view's words follow the language.
    await tid('language-switch').selectOption('zh-CN');
    await tid('tab-scenarios').click();
    await poll(() => tid('tab-scenarios').textContent()).toBe('场景');
    expect(await tid('run-status').textContent()).toBe('已停止');
    await shot('74-scenarios-zh');
    await tid('language-switch').selectOption('en');
  }, 90_000);
});

