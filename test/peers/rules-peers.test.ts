// Auto-reply rules against Python clients: a stream cut into messages as the
// rule set's framing says (several in one segment, one over several),
// binary length-prefixed frames, close: true, 1,000 concurrent connections
// each with its own counter and hit counts, and the same rules on TLS: a TLS
// listener (every accepted connection) and a TLS client session. Then
// `sockbench listen --rules` for TCP, UDP and TLS.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RuleSetInput } from '../../shared/contract/automation.js';
import { makeCerts, type TestCerts } from '../support/certs.js';
import { harness, until } from '../support/engine-harness.js';
import { peerSuite } from '../support/peers.js';
import { python, start, type Proc } from '../support/tls-peers.js';

type H = ReturnType<typeof harness>;
let h: H | undefined;
let dir: string;
let certs: TestCerts;
const stops: (() => void)[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sockbench-rules-'));
  certs = makeCerts();
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  certs.remove();
});
afterEach(async () => {
  stops.splice(0).forEach((s) => s());
  await h?.close();
  h = undefined;
});

function start_(): H {
  h = harness({ workspace: { dir, source: 'flag', defaultDir: dir } });
  return h;
}

/** A TCP (or TLS) listener of the workbench answering by `rules`; its id and port. */
async function service(rules: RuleSetInput, tls = false): Promise<{ id: number; port: number }> {
  const s = await h!.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
  const b = await h!.call('socket.bind', { id: s.id, address: '127.0.0.1', port: 0 });
  await h!.call('socket.listen', { id: s.id, backlog: 1024, ...(tls ? { tls: { cert: certs.server.cert, key: certs.server.key } } : {}) });
  await h!.call('socket.setRules', { id: s.id, ruleSet: rules });
  return { id: s.id, port: b.local!.port };
}

/**
 * A Python client that plays a plan: argv port plan-json [ca]. Each plan step
 * (argv[3]: a CA file for TLS, or "insecure" for TLS unverified)
 * is ["send", hex] (one send() with TCP_NODELAY, so one segment), ["sleep", s],
 * ["read", n] (reads until n bytes), ["eof"] (reads until the peer closes).
 * Prints {"port": 0} first, then {"got": hex} per read and {"eof": true}.
 */
const PLAN_CLIENT = String.raw`
import socket, ssl, sys, json, time
port, plan = int(sys.argv[1]), json.loads(sys.argv[2])
print(json.dumps({'port': 0}), flush=True)
c = socket.create_connection(('127.0.0.1', port), timeout=20)
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
if len(sys.argv) > 3:
    ctx = ssl._create_unverified_context() if sys.argv[3] == 'insecure' else ssl.create_default_context(cafile=sys.argv[3])
    c = ctx.wrap_socket(c, server_hostname='localhost')
for step in plan:
    if step[0] == 'send': c.sendall(bytes.fromhex(step[1]))
    elif step[0] == 'sleep': time.sleep(step[1])
    elif step[0] == 'read':
        got = b''
        while len(got) < step[1]:
            d = c.recv(step[1] - len(got))
            if not d: break
            got += d
        print(json.dumps({'got': got.hex()}), flush=True)
    elif step[0] == 'eof':
        rest = b''
        while True:
            d = c.recv(4096)
            if not d: break
            rest += d
        print(json.dumps({'eof': True, 'rest': rest.hex()}), flush=True)
print(json.dumps({'done': True}), flush=True)
`;

const hex = (s: string | number[]): string => Buffer.from(typeof s === 'string' ? Buffer.from(s, 'latin1') : Uint8Array.from(s)).toString('hex');
const text = (h: unknown): string => Buffer.from(String(h), 'hex').toString('latin1');

async function plan(port: number, steps: unknown[], ca?: string): Promise<Record<string, unknown>[]> {
  const p = await python(PLAN_CLIENT, [String(port), JSON.stringify(steps), ...(ca ? [ca] : [])]);
  stops.push(p.stop);
  await until(() => p.lines().some((l) => l.done) || p.proc.exitCode !== null, 'the client to finish', 30_000);
  if (!p.lines().some((l) => l.done)) throw new Error(`client failed: ${p.err()}`);
  return p.lines();
}

const PINGPONG: RuleSetInput = {
  framing: 'line',
  rules: [
    { regex: '^PING ?(.*)$', reply: 'PONG $1 #{{counter}}\\r\\n' },
    { contains: 'QUIT', reply: 'BYE\\r\\n', close: true },
    { default: true, reply: 'ERR unknown\\r\\n' },
  ],
};

const py = peerSuite('python3');
describe.skipIf(py.skip)(`${py.title}: rules against Python clients`, () => {
  it('line framing: two messages in one segment get two answers; one message over three segments gets one', { timeout: 60_000 }, async () => {
    start_();
    const { id, port } = await service(PINGPONG);
    const pong = (s: string) => `PONG ${s}\r\n`;
    const out = await plan(port, [
      ['send', hex('PING a\nPING b\r\n')],
      ['read', pong('a #1').length + pong('b #2').length],
      ['send', hex('PI')], ['sleep', 0.15], ['send', hex('NG c\r')], ['sleep', 0.15], ['send', hex('\n')],
      ['read', pong('c #3').length],
      ['send', hex('what\n')],
      ['read', 'ERR unknown\r\n'.length],
    ]);
    const got = out.filter((l) => l.got !== undefined).map((l) => text(l.got));
    expect(got).toEqual(['PONG a #1\r\nPONG b #2\r\n', 'PONG c #3\r\n', 'ERR unknown\r\n']);
    // The connection's counts, and the listener's over all its connections.
    const conn = h!.engine.list().find((s) => s.info().parent === id)!;
    expect(conn.info().rules).toMatchObject({ messages: 4, rules: [{ hits: 3 }, { hits: 0 }, { hits: 1 }] });
    expect(h!.engine.get(id).info().rules).toMatchObject({ messages: 4, rules: [{ hits: 3 }, { hits: 0 }, { hits: 1 }] });
    // The log marks each automatic reply with its rule.
    const replies = h!.of('session.data', conn.id).filter((d) => d.dir === 'out');
    expect(replies.map((d) => d.rule)).toEqual([...Array(3).fill(expect.stringMatching(/#1 regex \^PING/)), expect.stringMatching(/#3 default$/)]);
  });

  it('binary length-prefixed frames (u16be): frames in one segment and a frame split across segments', { timeout: 60_000 }, async () => {
    start_();
    const { port } = await service({
      framing: 'length:u16be',
      rules: [
        // Modbus-like: function 03 reads a register; the reply carries its own length prefix.
        { hex: '01 03', reply: 'hex:00 05 01 03 02 00 2a' },
        { hex: '01 06', reply: 'hex:00 03 01 06 ff' },
        { default: true, reply: 'hex:00 01 ee' },
      ],
    });
    const frame = (...b: number[]) => [b.length >> 8, b.length & 0xff, ...b];
    const out = await plan(port, [
      ['send', hex([...frame(1, 3, 0, 0), ...frame(1, 6, 0, 1, 0, 9)])],
      ['read', 7 + 5],
      ['send', hex(frame(1, 3, 0, 7).slice(0, 3))], ['sleep', 0.15], ['send', hex(frame(1, 3, 0, 7).slice(3))],
      ['read', 7],
      ['send', hex(frame(9))],
      ['read', 3],
    ]);
    expect(out.filter((l) => l.got !== undefined).map((l) => l.got)).toEqual(['0005010302002a' + '00030106ff', '0005010302002a', '0001ee']);
  });

  it('close: true answers, then closes the connection', { timeout: 60_000 }, async () => {
    start_();
    const { port } = await service(PINGPONG);
    const out = await plan(port, [['send', hex('PING x\nQUIT now\nPING never\n')], ['eof']]);
    expect(text(out.find((l) => l.eof)!.rest)).toBe('PONG x #1\r\nBYE\r\n');
  });

  it('1,000 concurrent connections: each its own counter and counts; the listener counts them all', { timeout: 180_000 }, async () => {
    start_();
    const { id, port } = await service(PINGPONG);
    // Every connection is open at once; connection i sends 1 + i % 3 pings, each answered with its own counter.
    const MANY = String.raw`
import socket, sys, json, selectors
port, n = int(sys.argv[1]), 1000
print(json.dumps({'port': 0}), flush=True)
socks = []
for i in range(n):
    c = socket.create_connection(('127.0.0.1', port), timeout=60)
    socks.append(c)
for i, c in enumerate(socks):
    c.sendall(''.join('PING %d\n' % i for _ in range(1 + i % 3)).encode())
bad, ports = [], {}
for i, c in enumerate(socks):
    k = 1 + i % 3
    want = ''.join('PONG %d #%d\r\n' % (i, j + 1) for j in range(k)).encode()
    got = b''
    while len(got) < len(want):
        d = c.recv(65536)
        if not d: break
        got += d
    if got != want: bad.append([i, got.decode(errors='replace')])
    ports[c.getsockname()[1]] = k
print(json.dumps({'bad': bad[:5], 'nbad': len(bad), 'ports': ports}), flush=True)
for c in socks: c.close()
print(json.dumps({'done': True}), flush=True)
`;
    const p = await python(MANY, [String(port)]);
    stops.push(p.stop);
    await until(() => p.lines().some((l) => l.done) || p.proc.exitCode !== null, 'the 1,000 clients', 150_000);
    const report = p.lines().find((l) => l.ports !== undefined);
    expect(report, p.err()).toBeDefined();
    expect(report!.nbad, JSON.stringify(report!.bad)).toBe(0);
    const ports = report!.ports as Record<string, number>;
    expect(Object.keys(ports)).toHaveLength(1000);
    // Each accepted session's own counts match what its client sent.
    const conns = h!.engine.list().filter((s) => s.info().parent === id).map((s) => s.info());
    expect(conns).toHaveLength(1000);
    const mismatched = conns.filter((c) => c.rules?.rules[0]!.hits !== ports[String(c.peer!.port)] || c.rules?.messages !== ports[String(c.peer!.port)]);
    expect(mismatched.length).toBe(0);
    const total = Object.values(ports).reduce((a, b) => a + b, 0);
    expect(h!.engine.get(id).info().rules).toMatchObject({ messages: total, rules: [{ hits: total }, { hits: 0 }, { hits: 0 }] });
  });
});

describe.skipIf(py.skip)(`${py.title}: rules over TLS`, () => {
  it('a TLS listener answers every accepted connection by its rules (Python ssl clients)', { timeout: 60_000 }, async () => {
    start_();
    const { port } = await service(PINGPONG, true);
    for (const who of ['one', 'two']) {
      const out = await plan(port, [['send', hex(`PING ${who}\nPING again\n`)], ['read', `PONG ${who} #1\r\nPONG again #2\r\n`.length], ['send', hex('QUIT\n')], ['eof']], certs.ca.cert);
      expect(text(out.find((l) => l.got !== undefined)!.got)).toBe(`PONG ${who} #1\r\nPONG again #2\r\n`);
      expect(text(out.find((l) => l.eof)!.rest)).toBe('BYE\r\n');
    }
  });

  it('a TLS client session answers its server by rules', { timeout: 60_000 }, async () => {
    start_();
    // The server asks twice and reports what came back.
    const SERVER = String.raw`
import socket, ssl, sys, json
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(sys.argv[1], sys.argv[2])
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1)
print(json.dumps({'port': s.getsockname()[1]}), flush=True)
s.settimeout(30)
c, _ = s.accept(); t = ctx.wrap_socket(c, server_side=True); t.settimeout(20)
f = t.makefile('rb')
for q in [b'PING first\n', b'PING second\n']:
    t.sendall(q)
    print(json.dumps({'got': f.readline().decode()}), flush=True)
t.close()
`;
    const srv = await python(SERVER, [certs.server.cert, certs.server.key]);
    stops.push(srv.stop);
    const c = await h!.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
    await h!.call('socket.setRules', { id: c.id, ruleSet: PINGPONG });
    const info = await h!.call('socket.connect', { id: c.id, address: '127.0.0.1', port: srv.port, tls: { ca: certs.ca.cert, servername: 'localhost' } });
    expect(info.tls?.state).toBe('established');
    await until(() => srv.lines().length >= 2, 'both answers', 20_000);
    expect(srv.lines().map((l) => l.got)).toEqual(['PONG first #1\r\n', 'PONG second #2\r\n']);
    expect(h!.engine.get(c.id).info().rules).toMatchObject({ messages: 2, rules: [{ hits: 2 }, { hits: 0 }, { hits: 0 }] });
  });
});

describe.skipIf(py.skip)(`${py.title}: rules on a UDP session, through the bridge as the page sets them`, () => {
  it('each datagram is answered to its own sender, and the hits are counted', { timeout: 60_000 }, async () => {
    start_();
    const u = await h!.call('socket.create', { family: 'AF_INET', type: 'SOCK_DGRAM' });
    const bound = await h!.call('socket.bind', { id: u.id, address: '127.0.0.1', port: 0 });
    await h!.call('socket.setRules', { id: u.id, ruleSet: PINGPONG });
    // Two client sockets, one after the other: each sender gets its own answers.
    const CLIENTS = String.raw`
import socket, sys, json
port = int(sys.argv[1])
print(json.dumps({'port': 0}), flush=True)
for name, msgs in [('a', [b'PING a1\n', b'PING a2\n']), ('b', [b'hello\n'])]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(20)
    for m in msgs:
        s.sendto(m, ('127.0.0.1', port))
        print(json.dumps({'who': name, 'got': s.recv(1000).decode()}), flush=True)
    s.close()
`;
    const p = await python(CLIENTS, [String(bound.local!.port)]);
    stops.push(p.stop);
    await until(() => p.lines().length >= 3, 'three answers', 20_000);
    expect(p.lines().map((l) => `${String(l.who)} ${String(l.got)}`)).toEqual(['a PONG a1 #1\r\n', 'a PONG a2 #2\r\n', 'b ERR unknown\r\n']);
    const info = h!.engine.get(u.id).info();
    expect(info.rules).toMatchObject({ messages: 3, rules: [{ hits: 2 }, { hits: 0 }, { hits: 1 }] });
    // The log marks each automatic reply with its rule, sent to the datagram's sender.
    const replies = h!.engine.get(u.id).data.toArray().filter((e) => e.dir === 'out');
    expect(replies).toHaveLength(3);
    expect(replies.every((e) => e.rule !== undefined && e.addr?.address === '127.0.0.1')).toBe(true);
  });
});

/** Runs `sockbench listen` in the background; its stdout lines and a stop. */
function listen(args: string[]): Proc {
  const p = start(process.execPath, ['dist/cli.cjs', '--workspace', dir, 'listen', ...args, '--json']);
  stops.push(p.stop);
  return p;
}
const portOf = async (p: Proc): Promise<number> => {
  const line = await until(() => p.out().split('\n').find((l) => l.startsWith('{"event":"status"') && l.includes('"port"')), 'the listener to say its port', 20_000);
  return (JSON.parse(line) as { port: number }).port;
};

describe.skipIf(py.skip)(`${py.title}: sockbench listen --rules`, () => {
  const rulesFile = (): string => {
    const f = join(dir, 'pingpong.yaml');
    writeFileSync(f, 'framing: line\nrules:\n  - regex: "^PING ?(.*)$"\n    reply: "PONG $1\\r\\n"\n  - contains: QUIT\n    reply: "BYE\\r\\n"\n    close: true\n');
    return f;
  };

  for (const proto of ['tcp', 'tls'] as const) {
    it(`listen ${proto} --rules answers a Python client`, { timeout: 60_000 }, async () => {
      const l = listen([proto, '127.0.0.1:0', '--rules', rulesFile()]);
      const port = await portOf(l);
      // tls: the workspace's self-signed certificate (its pinning is the TLS tests' part).
      const out = await plan(port, [['send', hex('PING cli\nQUIT\n')], ['eof']], proto === 'tls' ? 'insecure' : undefined);
      expect(text(out.find((l) => l.eof)!.rest)).toBe('PONG cli\r\nBYE\r\n');
    });
  }

  it('listen udp --rules answers each datagram', { timeout: 60_000 }, async () => {
    const l = listen(['udp', '127.0.0.1:0', '--rules', rulesFile()]);
    const port = await portOf(l);
    const UDP = String.raw`
import socket, sys, json
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(20)
print(json.dumps({'port': 0}), flush=True)
for m in [b'PING u1', b'PING u2\nPING u3\n']:
    s.sendto(m, ('127.0.0.1', int(sys.argv[1])))
    print(json.dumps({'got': s.recv(1000).decode()}), flush=True)
`;
    const p = await python(UDP, [String(port)]);
    stops.push(p.stop);
    await until(() => p.lines().length >= 2, 'two answers', 20_000);
    // A datagram is cut on its own: the second holds two lines, answered in one datagram each; the first arrives first.
    expect(p.lines()[0]!.got).toBe('PONG u1\r\n');
    expect(p.lines()[1]!.got).toBe('PONG u2\r\n');
  });
});
