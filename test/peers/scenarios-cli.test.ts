// `sockbench run` (dist/cli.cjs) against real services the test starts:
// python3 -m http.server (200 and 404), a Python line-protocol server (one
// that answers at once, one that splits its answer byte by byte and slowly,
// one that never finishes its answer), a Python UDP service, socat as a
// server and ncat as a client of a scenario that plays the server, a closed
// port, and TLS (openssl s_server, a Python STARTTLS server). The JUnit file
// is parsed, the TAP output checked by a TAP parser, and every bad input is
// one line and exit 2.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOMParser } from '@xmldom/xmldom';
import { Parser } from 'tap-parser';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeCerts, type TestCerts } from '../support/certs.js';
import { runCli } from '../support/cli.js';
import { until } from '../support/engine-harness.js';
import { freePort, peerSuite } from '../support/peers.js';
import { python, sServer, start, STARTTLS_SERVER, type Proc } from '../support/tls-peers.js';

const T = { timeout: 90_000 };
let dir: string;
const stops: (() => void)[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sockbench-scenarios-'));
  mkdirSync(join(dir, 'ws'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => stops.splice(0).forEach((s) => s()));

const cli = (args: string[]) => runCli(['--workspace', join(dir, 'ws'), ...args], 60_000);

let n = 0;
/** A scenario file in the test's folder; its path. */
function scenario(yaml: string, name = `s${++n}.yaml`): string {
  const file = join(dir, name);
  writeFileSync(file, yaml);
  return file;
}

/** Whether something listens on this TCP port (the kernel's table: a probe connection would be accepted by the peer). */
const listening = (port: number): boolean => execFileSync('ss', ['-Hltn', `sport = :${port}`]).toString().includes(`:${port}`);

function peer<P extends Proc>(p: P): P {
  stops.push(p.stop);
  return p;
}

/**
 * A line-protocol server: "HELLO x" → "HI x", "ADD a b" → the sum, "BYE" →
 * "BYE" and close. argv: mode (fast | split: each answer a byte at a time,
 * 30 ms apart | stall: says "PARTIAL ans" to anything and then nothing).
 */
const LINE_SERVER = String.raw`
import socket, sys, json, time, threading
mode = sys.argv[1]
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', 0)); s.listen(8)
print(json.dumps({'port': s.getsockname()[1]}), flush=True)
def serve(c):
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    f = c.makefile('rb')
    for raw in f:
        line = raw.decode().rstrip('\r\n')
        if mode == 'stall':
            c.sendall(b'PARTIAL ans'); time.sleep(30); break
        if line.startswith('HELLO '): out = 'HI ' + line[6:] + '\r\n'
        elif line.startswith('ADD '): out = str(sum(int(x) for x in line.split()[1:])) + '\r\n'
        elif line == 'BYE': c.sendall(b'BYE\r\n'); break
        else: out = 'ERR ' + line + '\r\n'
        if mode == 'split':
            for b in out.encode(): c.sendall(bytes([b])); time.sleep(0.03)
        else: c.sendall(out.encode())
    c.close()
s.settimeout(60)
while True:
    try: c, _ = s.accept()
    except Exception: break
    threading.Thread(target=serve, args=(c,), daemon=True).start()
`;

/** A UDP service: answers each datagram with it upper-cased. */
const UDP_SERVER = String.raw`
import socket, json
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', 0))
print(json.dumps({'port': s.getsockname()[1]}), flush=True)
s.settimeout(60)
while True:
    try: d, a = s.recvfrom(65536)
    except Exception: break
    s.sendto(d.upper(), a)
`;

const py = peerSuite('python3');
describe.skipIf(py.skip)(`${py.title}: sockbench run against Python services`, () => {
  it('python3 -m http.server: 200 for /, 404 for a missing file, status captured and asserted', T, async () => {
    const root = join(dir, 'www');
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'index.html'), '<h1>hi</h1>');
    const port = await freePort();
    const http = peer(start('python3', ['-m', 'http.server', '--bind', '127.0.0.1', '--directory', root, String(port)]));
    await until(() => http.err().includes('Serving HTTP') || http.out().includes('Serving HTTP'), 'http.server to listen', 20_000);
    const get = (path: string, want: string): string => scenario(`name: GET ${path} answers ${want}
vars: { host: 127.0.0.1, port: "8000" }
steps:
  - connect: tcp \${host}:\${port}
  - send: "GET ${path} HTTP/1.0\\r\\nHost: \${host}\\r\\n\\r\\n"
  - expect: { regex: "^HTTP/1\\\\.[01] (\\\\d{3})", capture: [status], timeout: 5000 }
  - assert: { equals: ["\${status}", "${want}"] }
  - expect-close: { timeout: 10000 }
`);
    const ok = await cli(['run', get('/', '200'), get('/nope.txt', '404'), '--var', `port=${port}`]);
    expect(ok.stderr).toBe('');
    expect(ok.status, ok.stdout).toBe(0);
    expect(ok.stdout).toMatch(/GET \/ answers 200/);
    expect(ok.stdout).toMatch(/2 passed/);
    // The same scenario expecting 200 for the missing file fails on the assert, with both values.
    const bad = await cli(['run', get('/nope.txt', '200'), '--var', `port=${port}`]);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/step 4 \(assert\): assert equals failed: "404" is not "200"/);
  });

  it('a line-protocol server: captures carried into later sends, repeat, expect-close after BYE', T, async () => {
    const srv = peer(await python(LINE_SERVER, ['fast']));
    const r = await cli(['run', '--var', `port=${srv.port}`, scenario(`name: line protocol
steps:
  - connect: tcp 127.0.0.1:\${port}
  - send: "HELLO bench\\n"
  - expect: { regex: "^HI (\\\\w+)\\r\\n", capture: [who] }
  - assert: { equals: ["\${who}", bench] }
  - set: { a: "2" }
  - repeat:
      times: 3
      steps:
        - send: "ADD \${a} \${a}\\n"
        - expect: { regex: "^(\\\\d+)\\r\\n", capture: [a] }
  - assert: { equals: ["\${a}", "16"] }
  - send: "BYE\\n"
  - expect: { equals: "BYE\\r\\n" }
  - expect-close: { timeout: 5000 }
`)]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it('an answer split byte by byte, slowly: expect reads until it holds', T, async () => {
    const srv = peer(await python(LINE_SERVER, ['split']));
    const r = await cli(['run', '--var', `port=${srv.port}`, scenario(`name: split answer
steps:
  - connect: tcp 127.0.0.1:\${port}
  - send: "HELLO slow-world\\n"
  - expect: { equals: "HI slow-world\\r\\n", timeout: 10000 }
`)]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it('a server that never finishes: the timeout fails, showing what did arrive as text and hex', T, async () => {
    const srv = peer(await python(LINE_SERVER, ['stall']));
    const r = await cli(['run', '--var', `port=${srv.port}`, scenario(`name: stalls
steps:
  - connect: tcp 127.0.0.1:\${port}
  - send: "HELLO x\\n"
  - expect: { contains: "PARTIAL answer", timeout: 1500 }
`)]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/s\d+\.yaml:5:5: step 3 \(expect\): timed out after 1500 ms waiting for bytes containing "PARTIAL answer"; 11 bytes arrived unread/);
    expect(r.stdout).toContain('PARTIAL ans');
    expect(r.stdout).toContain('50 41 52 54 49 41 4c 20 61 6e 73');
  });

  it('a UDP service: each expect takes one datagram and stores from', T, async () => {
    const srv = peer(await python(UDP_SERVER, []));
    const r = await cli(['run', '--var', `port=${srv.port}`, scenario(`name: udp upper
steps:
  - connect: udp 127.0.0.1:\${port}
  - send: hello
  - expect: { equals: HELLO, timeout: 5000 }
  - assert: { equals: ["\${from}", "127.0.0.1:\${port}"] }
  - send: "hex:61 62 00"
  - expect: { hex: "41 42 00", timeout: 5000 }
`)]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it('a closed port: expect-error ECONNREFUSED passes; without it the connect fails naming the errno', T, async () => {
    const port = await freePort();
    const ok = await cli(['run', scenario(`name: refused
steps:
  - connect: tcp 127.0.0.1:${port}
  - expect-error: ECONNREFUSED
`)]);
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    const bad = await cli(['run', scenario(`name: refused unexpectedly
steps:
  - connect: tcp 127.0.0.1:${port}
`)]);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/step 1 \(connect\): connect to 127\.0\.0\.1:\d+ failed: ECONNREFUSED/);
  });

  it('--junit writes JUnit XML a CI reads (counts, names, failure text); --tap is TAP 14 by its grammar', T, async () => {
    const srv = peer(await python(LINE_SERVER, ['fast']));
    const pass = scenario(`name: says hi
steps:
  - connect: tcp 127.0.0.1:\${port}
  - send: "HELLO a\\n"
  - expect: { equals: "HI a\\r\\n" }
`, 'junit-pass.yaml');
    const fail = scenario(`name: wrong sum
steps:
  - connect: tcp 127.0.0.1:\${port}
  - send: "ADD 1 1\\n"
  - expect: { equals: "3\\r\\n", timeout: 3000 }
`, 'junit-fail.yaml');
    const junit = join(dir, 'report.xml');
    const r = await cli(['run', pass, fail, '--var', `port=${srv.port}`, '--junit', junit]);
    expect(r.status).toBe(1);
    const doc = new DOMParser().parseFromString(readFileSync(junit, 'utf8'), 'text/xml');
    const suites = doc.getElementsByTagName('testsuite');
    expect(suites.length).toBe(1);
    expect(suites[0]!.getAttribute('tests')).toBe('2');
    expect(suites[0]!.getAttribute('failures')).toBe('1');
    const cases = doc.getElementsByTagName('testcase');
    expect([cases[0]!.getAttribute('name'), cases[1]!.getAttribute('name')]).toEqual(['says hi', 'wrong sum']);
    expect(cases[0]!.getElementsByTagName('failure').length).toBe(0);
    const failure = cases[1]!.getElementsByTagName('failure')[0]!;
    expect(failure.getAttribute('message')).toMatch(/junit-fail\.yaml:5:5: step 3 \(expect\): received bytes differ from "3\\r\\n"/);
    expect(failure.textContent).toMatch(/expected[\s\S]*3\\r\\n[\s\S]*received[\s\S]*2\\r\\n/);

    const tap = await cli(['run', pass, fail, '--var', `port=${srv.port}`, '--tap']);
    expect(tap.status).toBe(1);
    const parsed = await new Promise<{ ok: boolean; count: number; pass: number; fail: number; failures: { name: string; diag?: Record<string, unknown> }[] }>((resolve) => {
      const p = new Parser((results) => resolve(results as never));
      p.end(tap.stdout);
    });
    expect(tap.stdout.split('\n')[0]).toBe('TAP version 14');
    expect(parsed).toMatchObject({ ok: false, count: 2, pass: 1, fail: 1 });
    expect(parsed.failures[0]!.name).toBe('wrong sum');
    expect(JSON.stringify(parsed.failures[0]!.diag)).toMatch(/received bytes differ/);
  });
});

const socat = peerSuite('socat');
describe.skipIf(socat.skip)(`${socat.title}: sockbench run with socat and ncat`, () => {
  it('socat as the server (an echo through cat); ncat as the client of a scenario that plays the server', T, async () => {
    const port = await freePort();
    const s = peer(start('socat', [`TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork`, 'EXEC:cat']));
    await until(() => listening(port), 'socat to listen', 20_000);
    const echo = await cli(['run', scenario(`name: socat echoes
steps:
  - connect: tcp 127.0.0.1:${port}
  - send: "one\\ntwo\\n"
  - expect: { equals: "one\\n" }
  - expect: { equals: "two\\n" }
  - shutdown: wr
  - expect-close: { timeout: 5000 }
`)]);
    expect(echo.status, echo.stdout + echo.stderr).toBe(0);
    s.stop();

    // The scenario listens; ncat connects, sends a line, and prints what it gets back.
    const sport = await freePort();
    const running = cli(['run', scenario(`name: serve ncat
steps:
  - listen: tcp 127.0.0.1:${sport}
    as: srv
  - accept: { timeout: 20000 }
    as: client
  - expect: { regex: "^GREETINGS (\\\\w+)\\n", capture: [who] }
  - send: "WELCOME \${who}\\n"
  - close: client
`)]);
    // ncat once the scenario listens (the kernel's table says so: a probe connection would be the one accepted).
    await until(() => listening(sport), 'the scenario to listen', 20_000);
    const nc = peer(start('ncat', ['127.0.0.1', String(sport)]));
    nc.write('GREETINGS ncat\n');
    const r = await running;
    expect(r.status, r.stdout + r.stderr).toBe(0);
    await until(() => nc.out() === 'WELCOME ncat\n', 'ncat to get the welcome', 10_000);
  });
});

const openssl = peerSuite('openssl');
describe.skipIf(openssl.skip)(`${openssl.title}: scenarios over TLS`, () => {
  let certs: TestCerts;
  beforeAll(() => {
    certs = makeCerts();
  });
  afterAll(() => certs?.remove());

  it('connect: tls with insecure, servername and alpn against openssl s_server; verification on fails naming why', T, async () => {
    const s = await sServer(['-cert', certs.self.cert, '-key', certs.self.key, '-alpn', 'x-test', '-rev']);
    stops.push(s.stop);
    const ok = await cli(['run', '--var', `port=${s.port}`, scenario(`name: tls reverse
steps:
  - connect: tls localhost:\${port}
    tls: { insecure: true, servername: localhost, alpn: [x-test] }
  - send: "hello\\n"
  - expect: { equals: "olleh\\n", timeout: 10000 }
`)]);
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    const s2 = await sServer(['-cert', certs.self.cert, '-key', certs.self.key]);
    stops.push(s2.stop);
    const bad = await cli(['run', '--var', `port=${s2.port}`, scenario(`name: tls verified
steps:
  - connect: tls localhost:\${port}
`)]);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/step 1 \(connect\): connect to 127\.0\.0\.1:\d+ failed: .*self-signed/);
  });

  it('starttls: upgrade a plain connection in place (an SMTP-like Python server)', T, async () => {
    const srv = peer(await python(STARTTLS_SERVER, [certs.server.cert, certs.server.key]));
    const r = await cli(['run', '--var', `port=${srv.port}`, scenario(`name: smtp starttls
steps:
  - connect: tcp 127.0.0.1:\${port}
  - expect: { regex: "^220 .*\\r\\n" }
  - send: "STARTTLS\\r\\n"
  - expect: { contains: "Ready to start TLS\\r\\n" }
  - starttls: { insecure: true, servername: localhost }
  - send: "EHLO inside\\r\\n"
  - expect: { equals: "250 secure EHLO inside\\r\\n", timeout: 10000 }
`)]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    await until(() => srv.lines().some((l) => l.secure === 'EHLO inside\r\n'), 'the server to read inside TLS', 5_000);
  });
});

describe('sockbench run: bad input is one line and exit 2', () => {
  const cases: [string, string | string[], RegExp][] = [
    ['invalid YAML names line and column', 'name: x\nsteps:\n  - send: "a\n  - b: [\n', /^sockbench: \S+\.yaml:\d+:\d+: not valid YAML: /],
    ['an unknown step', 'name: x\nsteps:\n  - connect: tcp 127.0.0.1:1\n  - sned: hi\n', /^sockbench: \S+\.yaml:4:5: .*unknown step "sned"/],
    ['a regex that does not compile', 'name: x\nsteps:\n  - connect: tcp 127.0.0.1:1\n  - expect: { regex: "a(" }\n', /^sockbench: \S+\.yaml:4:\d+: .*regex does not compile/],
    ['a variable never set', 'name: x\nsteps:\n  - connect: tcp 127.0.0.1:${port}\n', /^sockbench: \S+\.yaml:3:\d+: .*variable \$\{port\} is never set/],
    ['--var without =', ['--var', 'port'], /^sockbench: run: --var needs NAME=VALUE, got "port"/],
  ];
  for (const [what, input, line] of cases) {
    it(what, T, async () => {
      const args = typeof input === 'string' ? ['run', scenario(input)] : ['run', ...input, scenario('name: ok\nsteps:\n  - delay: 1\n')];
      const r = await cli(args);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(line);
    });
  }
});
