// The scenario runner against real sockets of this process: a listener that
// answers by rules plays the service, a scenario tests it (and the other way
// round: the scenario plays the server and a session connects to it). What
// an expect consumes, captures, datagrams and their sender, repeats, and the
// failures' words, bytes and positions.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RuleSetInput, ScenarioResult, StepResult } from '../../shared/contract/automation.js';
import { harness, until } from '../../test/support/engine-harness.js';
import { freePort } from '../../test/support/peers.js';
import { ScenarioRun } from './runner.js';
import { loadScenario } from './scenario-file.js';

type H = ReturnType<typeof harness>;
let h: H;
afterEach(async () => h?.close());

function start(): H {
  const dir = mkdtempSync(join(tmpdir(), 'sockbench-runner-'));
  h = harness({ workspace: { dir, source: 'flag', defaultDir: dir } });
  return h;
}

/** A listener of this workbench answering by `rules`; its port. */
async function service(rules: RuleSetInput, type: 'SOCK_STREAM' | 'SOCK_DGRAM' = 'SOCK_STREAM'): Promise<number> {
  const s = await h.call('socket.create', { family: 'AF_INET', type });
  const b = await h.call('socket.bind', { id: s.id, address: '127.0.0.1', port: 0 });
  if (type === 'SOCK_STREAM') await h.call('socket.listen', { id: s.id, backlog: 16 });
  await h.call('socket.setRules', { id: s.id, ruleSet: rules });
  return b.local!.port;
}

async function run(yaml: string, vars: Record<string, string> = {}, steps?: StepResult[]): Promise<ScenarioResult> {
  const r = loadScenario('scenarios/t.yaml', Buffer.from(yaml), '.', { vars });
  if (!r.ok) throw new Error(JSON.stringify(r.problem));
  const packets = () => h.workbench.workspace.list('packets').entries.map((e) => e.value);
  const runner = new ScenarioRun({ call: h.workbench.call, onEvent: (fn) => h.workbench.onEvent(fn), packet: (n) => packets().find((p) => p.name === n) }, r.loaded, { vars, ...(steps ? { onStep: (s) => steps.push(s) } : {}) });
  return runner.run();
}

const PINGPONG: RuleSetInput = {
  framing: 'line',
  rules: [
    { regex: '^PING ?(.*)$', reply: 'PONG $1 #{{counter}}\\r\\n' },
    { equals: 'TWO', reply: 'one\\r\\ntwo\\r\\n' },
    { contains: 'QUIT', reply: 'BYE\\r\\n', close: true },
  ],
};

describe('scenarios against a service of rules', () => {
  it('send, expect (what matched is consumed, the rest stays), capture, assert, repeat, expect-close', async () => {
    start();
    const port = await service(PINGPONG);
    const steps: StepResult[] = [];
    const r = await run(`name: ping pong
vars: { port: "${port}" }
steps:
  - connect: tcp 127.0.0.1:\${port}
  - repeat:
      times: 3
      steps:
        - send: "PING x\\r\\n"
        - expect: { regex: "PONG x #(\\\\d+)\\r\\n", capture: [n] }
  - assert: { equals: ["\${n}", "3"] }
  - send: "TWO\\n"
  - expect: { equals: "one\\r\\n" }
  - expect: { equals: "two\\r\\n" }
  - assert: { lessThan: ["\${elapsed}", "60000"] }
  - send: "QUIT\\n"
  - expect: { contains: BYE }
  - expect-close: { timeout: 5000 }
`, {}, steps);
    expect(r.failure?.summary).toBeUndefined();
    expect(r.status).toBe('passed');
    expect(r.steps.map((s) => `${s.index} ${s.status}`)).toEqual(['1 passed', '2 passed', '2.1 passed', '2.2 passed', '3 passed', '4 passed', '5 passed', '6 passed', '7 passed', '8 passed', '9 passed', '10 passed']);
    const third = r.steps.find((s) => s.index === '2.2')!;
    expect(third).toMatchObject({ iteration: 3, captured: { n: '3' } });
    expect(Buffer.from(third.bytes!).toString()).toBe('PONG x #3\r\n');
    expect(Buffer.from(r.steps.find((s) => s.index === '5')!.bytes!).toString()).toBe('one\r\n');
    // Live: each step said running, then passed.
    expect(steps.filter((s) => s.index === '1').map((s) => s.status)).toEqual(['running', 'passed']);
    // The session it opened is in the engine, traced, and closed now.
    const s = h.engine.get(r.sessions[0]!).info();
    expect(s.state).toBe('closed');
    expect(h.engine.get(r.sessions[0]!).trace.map((t) => t.call)).toEqual(expect.arrayContaining(['socket', 'connect', 'sendall']));
  });

  it('a datagram a time: each expect takes one, stores from; send to: ${from} answers it', async () => {
    start();
    const port = await service({ framing: 'raw', rules: [{ regex: '^(.*)$', reply: 'got $1' }] }, 'SOCK_DGRAM');
    const client = await freePort();
    const r = await run(`name: udp
steps:
  - connect: udp 127.0.0.1:${port}
  - send: one
  - send: two
  - expect: { equals: got one }
  - expect: { regex: "^got (\\\\w+)$", capture: [w] }
  - assert: { equals: ["\${w}", two] }
  - listen: udp 127.0.0.1:${client}
    as: me
  - send: hi
    to: 127.0.0.1:${port}
  - expect: { contains: got }
  - assert: { equals: ["\${from}", "127.0.0.1:${port}"] }
`);
    expect(r.failure?.summary).toBeUndefined();
    expect(r.status).toBe('passed');
  });

  it('the scenario plays the server: listen, accept, expect what the client sent, answer', async () => {
    start();
    const port = await freePort();
    const running = run(`name: server
steps:
  - listen: tcp 127.0.0.1:${port}
    as: srv
  - accept: { timeout: 10000 }
    as: client
  - expect: { equals: "hello\\n" }
  - send: "welcome\\n"
  - close: client
`);
    // A client of the same workbench connects once the listener is there.
    await until(() => h.engine.list().some((s) => s.info().state === 'listening' && s.info().local?.port === port), 'the scenario to listen', 10_000);
    const c = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
    await h.call('socket.connect', { id: c.id, address: '127.0.0.1', port });
    await h.call('socket.sendall', { id: c.id, data: new TextEncoder().encode('hello\n') });
    const r = await running;
    expect(r.failure?.summary).toBeUndefined();
    await until(() => h.received(c.id).toString() === 'welcome\n' && h.engine.get(c.id).info().state !== 'connected', 'the answer and the close');
  });

  it('a failure says what was expected and what arrived, where it departs, and the step, line and column', async () => {
    start();
    const port = await service(PINGPONG);
    const r = await run(`name: wrong
steps:
  - connect: tcp 127.0.0.1:${port}
  - repeat:
      times: 2
      steps:
        - send: "PING a\\n"
        - expect: { equals: "PONG a #1\\r\\n", timeout: 3000 }
  - send: never
`);
    expect(r.failure!.summary).toBe('scenarios/t.yaml:8:11: step 2.2 (expect): received bytes differ from "PONG a #1\\r\\n"');
    expect(r.failure).toMatchObject({ index: '2.2', line: 8, column: 11 });
    expect(r.failure!.summary).toBe('scenarios/t.yaml:8:11: step 2.2 (expect): received bytes differ from "PONG a #1\\r\\n"');
    const step = r.steps.find((s) => s.index === '2.2')!;
    expect(step.iteration).toBe(2);
    expect(step.failure).toMatchObject({
      diffAt: 8,
      expected: { text: 'PONG a #1\\r\\n', mark: { text: 8, hex: 24 } },
      received: { text: 'PONG a #2\\r\\n', hex: '50 4f 4e 47 20 61 20 23 32 0d 0a', mark: { text: 8, hex: 24 } },
    });
    expect(r.steps.find((s) => s.index === '3')!.status).toBe('skipped');
  });

  it('a silent peer: the timeout fails with what did arrive; expect-silence fails on an answer', async () => {
    start();
    const port = await service({ rules: [{ equals: 'hi', reply: 'partial' }] });
    const r = await run(`name: silent
steps:
  - connect: tcp 127.0.0.1:${port}
  - send: "hi\\n"
  - expect: { contains: "partial answer", timeout: 300 }
`);
    expect(r.failure!.summary).toMatch(/step 3 \(expect\): timed out after 300 ms waiting for bytes containing "partial answer"; 7 bytes arrived unread$/);
    expect(r.steps[2]!.failure).toMatchObject({ received: { text: 'partial' }, diffAt: 7, expected: { mark: { text: 7 } } });
    const quiet = await run(`name: quiet
steps:
  - connect: tcp 127.0.0.1:${port}
  - expect-silence: { for: 200 }
  - send: "hi\\n"
  - expect-silence: { for: 2000 }
`);
    expect(quiet.failure!.summary).toMatch(/step 4 \(expect-silence\): expected silence for 2000 ms, but 7 bytes arrived/);
  });

  it('expect-error: a refused connect and the errno named; a connect that fails without it stops the scenario', async () => {
    start();
    const closed = await freePort();
    const ok = await run(`name: refused
steps:
  - connect: tcp 127.0.0.1:${closed}
  - expect-error: ECONNREFUSED
`);
    expect(ok.failure?.summary).toBeUndefined();
    expect(ok.status).toBe("passed");
    const wrong = await run(`name: refused
steps:
  - connect: tcp 127.0.0.1:${closed}
  - expect-error: ETIMEDOUT
`);
    expect(wrong.failure!.summary).toMatch(/step 2 \(expect-error\): expected ETIMEDOUT, but the last connect failed with ECONNREFUSED/);
    const stop = await run(`name: refused
steps:
  - connect: tcp 127.0.0.1:${closed}
  - send: x
`);
    expect(stop.failure!.summary).toMatch(/step 1 \(connect\): connect to 127\.0\.0\.1:\d+ failed: ECONNREFUSED \(111\)/);
  });

  it('send: { packet } sends a saved packet into the connection', async () => {
    start();
    const port = await service(PINGPONG);
    await h.call('packets.save', { packet: { name: 'Ping', protocol: 'tcp', target: `127.0.0.1:${port}`, data: 'PING saved\\n' } });
    const r = await run(`name: packet
steps:
  - connect: tcp 127.0.0.1:${port}
  - send: { packet: Ping }
  - expect: { equals: "PONG saved #1\\r\\n" }
`);
    expect(r.failure?.summary).toBeUndefined();
  });
});

describe('Record', () => {
  it('a session done by hand becomes a draft that, saved, runs and passes against the same server; a changed server fails it', async () => {
    start();
    const port = await service(PINGPONG);
    // By hand: connect, ping twice (one answer each), quit, see the peer close.
    const c = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
    await h.call('socket.connect', { id: c.id, address: '127.0.0.1', port });
    await h.call('socket.sendall', { id: c.id, data: new TextEncoder().encode('PING one\n') });
    await until(() => h.received(c.id).toString() === 'PONG one #1\r\n', 'the first pong');
    await h.call('socket.sendall', { id: c.id, data: new TextEncoder().encode('QUIT\n') });
    await until(() => h.engine.get(c.id).info().state === 'half-closed', 'the peer to close');
    await h.call('socket.close', { id: c.id });

    const { scenario, text } = await h.call('scenarios.record', { id: c.id, name: 'recorded ping' });
    expect(scenario.vars).toEqual({ host: '127.0.0.1', port: String(port) });
    expect(scenario.steps).toEqual([
      { connect: 'tcp ${host}:${port}' },
      { send: 'PING one\\n' },
      { expect: { equals: 'PONG one #1\\r\\n' } },
      { send: 'QUIT\\n' },
      { expect: { equals: 'BYE\\r\\n' } },
      { 'expect-close': null },
      { close: true },
    ]);
    expect(text).toContain('name: recorded ping');

    const saved = await h.call('scenarios.save', { scenario });
    if (!saved.ok) throw new Error('the save met a conflict');
    const done = (id: number) => until(() => h.of('scenario.done').find((d) => d.id === id), 'the run to end', 20_000);
    const ok = await done((await h.call('scenarios.run', { file: saved.file })).id);
    expect(ok.result.failure?.summary).toBeUndefined();
    expect(ok.result.status).toBe('passed');
    // The run's sessions are sessions of the engine, traced like any other.
    expect(ok.result.sessions.length).toBe(1);
    expect(h.engine.get(ok.result.sessions[0]!).trace.some((t) => t.call === 'connect')).toBe(true);

    // The same draft against a server that answers differently fails on the recorded bytes.
    const other = await service({ framing: 'line', rules: [{ regex: '^PING (.*)$', reply: 'PONG $1\\r\\n' }] });
    const bad = await done((await h.call('scenarios.run', { file: saved.file, vars: { port: String(other) } })).id);
    expect(bad.result.failure!.summary).toMatch(/step 3 \(expect\): received bytes differ from "PONG one #1\\r\\n"/);
  });
});

describe('Record over TLS', () => {
  it('a TLS session (verification off) records as connect: tls with insecure, and the draft passes', async () => {
    start();
    const s = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
    const b = await h.call('socket.bind', { id: s.id, address: '127.0.0.1', port: 0 });
    await h.call('socket.listen', { id: s.id, backlog: 16, tls: {} }); // the workspace's self-signed certificate
    await h.call('socket.setRules', { id: s.id, ruleSet: PINGPONG });
    const c = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
    await h.call('socket.connect', { id: c.id, address: '127.0.0.1', port: b.local!.port, tls: { verify: false } });
    await h.call('socket.sendall', { id: c.id, data: new TextEncoder().encode('PING tls\n') });
    await until(() => h.received(c.id).toString() === 'PONG tls #1\r\n', 'the pong inside TLS');
    await h.call('socket.close', { id: c.id });
    const { scenario } = await h.call('scenarios.record', { id: c.id });
    expect(scenario.steps[0]).toEqual({ connect: 'tls ${host}:${port}', tls: { insecure: true } });
    const saved = await h.call('scenarios.save', { scenario });
    if (!saved.ok) throw new Error('the save met a conflict');
    const { id } = await h.call('scenarios.run', { file: saved.file });
    const done = await until(() => h.of('scenario.done').find((d) => d.id === id), 'the run to end', 20_000);
    expect(done.result.failure?.summary).toBeUndefined();
  });
});
