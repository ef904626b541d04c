// `sockbench` as a shell user meets it (issue 12): --help / -h on every
// command, --version, stdin sent by connect with its write side shut at EOF
// (nc -N), host names, and a reader that goes away (| head -c 10) without a
// stack trace. Through dist/cli.cjs (built by `npm test`) against python3.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { peerSuite, rawSuite } from '../support/peers.js';

const CLI = 'dist/cli.cjs';
const VERSION = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
const cli = (args: string[], input?: string) => spawnSync(process.execPath, [CLI, ...args], { timeout: 20_000, ...(input !== undefined ? { input } : {}) });

describe('sockbench --help, -h and --version', () => {
  it.each(['listen', 'connect', 'ping', 'traceroute', 'sweep', 'craft', 'packets', 'send', 'version', 'help'])('%s --help and -h print its usage and exit 0', (verb) => {
    for (const flag of ['--help', '-h']) {
      const r = cli([verb, flag]);
      expect(r.status, String(r.stderr)).toBe(0);
      expect(String(r.stdout)).toMatch(new RegExp(`usage:[\\s\\S]*sockbench ${verb}`));
      expect(String(r.stderr)).toBe('');
    }
  });

  it('--help after other arguments still wins (sockbench connect tcp x:1 --help)', () => {
    const r = cli(['connect', 'tcp', '127.0.0.1:1', '--send', 'x', '--help']);
    expect(r.status).toBe(0);
    expect(String(r.stdout)).toMatch(/waits? for the peer to close/);
  });

  it.each([['--version'], ['-V'], ['version']])('sockbench %s prints the package version', (flag) => {
    const r = cli([flag]);
    expect(r.status).toBe(0);
    expect(String(r.stdout)).toBe(`sockbench ${VERSION}\n`);
  });

  it('craft --address takes a host name (its first address); an unknown name is one line, exit 2', () => {
    expect(cli(['craft', 'icmp', '--address', 'localhost', '--hex']).status).toBe(0);
    const bad = cli(['craft', 'icmp', '--address', 'nosuch.invalid', '--hex']);
    expect(bad.status).toBe(2);
    expect(String(bad.stderr)).toBe('sockbench: craft: nosuch.invalid: Name or service not known\n');
  });

  it('help COMMAND gives that command’s usage; an unknown one is a usage error', () => {
    expect(String(cli(['help', 'sweep']).stdout)).toMatch(/as fping -g/);
    const bad = cli(['help', 'nope']);
    expect(bad.status).toBe(2);
    expect(String(bad.stderr)).toMatch(/help: unknown command "nope"/);
  });
});

const py = peerSuite('python3');

/**
 * A python3 TCP server on 127.0.0.1 that reads until the client's FIN (so it
 * only answers once the client shut down its write side), then answers with
 * "got N bytes: <what came, upper case>" and closes; or, with `flood`, sends
 * that many bytes at once and closes.
 */
function pyServer(mode: 'answer-at-eof' | { flood: number }): Promise<{ port: number; proc: ChildProcess; got: Promise<string> }> {
  const script = `
import socket, sys
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1)
print(s.getsockname()[1], flush=True)
s.settimeout(15)
c, _ = s.accept(); c.settimeout(15)
flood = int(sys.argv[1])
if flood:
    try: c.sendall(b'x' * flood)
    except OSError: pass
else:
    data = b''
    while True:
        b = c.recv(65536)
        if not b: break
        data += b
    sys.stderr.write(data.hex() + '\\n'); sys.stderr.flush()
    c.sendall(b'got %d bytes: ' % len(data) + data.upper())
c.close()
`;
  const proc = spawn('python3', ['-c', script, String(mode === 'answer-at-eof' ? 0 : mode.flood)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += String(d)));
  const got = new Promise<string>((r) => proc.once('exit', () => r(Buffer.from(err.trim(), 'hex').toString())));
  return new Promise((resolve, reject) => {
    proc.stdout!.once('data', (d: Buffer) => resolve({ port: Number(String(d).trim()), proc, got }));
    proc.once('exit', (code) => reject(new Error(`python3 server exited ${code}: ${err}`)));
  });
}

describe.skipIf(py.skip)(`sockbench connect in a shell, ${py.title}`, () => {
  const procs: ChildProcess[] = [];
  afterEach(() => {
    for (const p of procs.splice(0)) p.kill('SIGKILL');
  });

  it("printf 'PING\\r\\n' | sockbench connect tcp: stdin is sent, the write side shut at EOF, the answer printed, exit 0", async () => {
    const srv = await pyServer('answer-at-eof');
    procs.push(srv.proc);
    const r = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const c = spawn(process.execPath, [CLI, 'connect', 'tcp', `127.0.0.1:${srv.port}`], { stdio: ['pipe', 'pipe', 'pipe'] });
      procs.push(c);
      let out = '';
      let err = '';
      c.stdout.on('data', (d: Buffer) => (out += String(d)));
      c.stderr.on('data', (d: Buffer) => (err += String(d)));
      c.once('exit', (code) => resolve({ code, out, err }));
      c.stdin.end('PING\r\n');
    });
    expect(r.code, r.err).toBe(0);
    // The server answers only after it saw our FIN: the answer proves SHUT_WR at EOF.
    expect(r.out).toBe('got 6 bytes: PING\r\n');
    expect(await srv.got).toBe('PING\r\n');
  });

  it('a name: connect tcp localhost:PORT reaches the server on the address the system gives localhost', async () => {
    const first = (await lookup('localhost', { all: true, order: 'verbatim' })).map((a) => a.address);
    expect(first).toContain('127.0.0.1'); // the server below listens there
    const srv = await pyServer('answer-at-eof');
    procs.push(srv.proc);
    const r = cli(['connect', 'tcp', `localhost:${srv.port}`, '--json'], 'hi');
    expect(r.status, String(r.stderr)).toBe(0);
    const lines = String(r.stdout).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const gai = lines.find((l) => l.event === 'trace' && l.call === 'getaddrinfo');
    expect(gai).toMatchObject({ ok: true, args: { host: 'localhost', port: srv.port } });
    expect(String(gai!.result)).toMatch(/using 127\.0\.0\.1$/);
    expect(lines.some((l) => l.event === 'status' && /connected to tcp localhost:\d+ \(127\.0\.0\.1:\d+\)/.test(String(l.message)))).toBe(true);
  });

  it('an unknown name is one line naming EAI_NONAME, exit 1', () => {
    const r = cli(['connect', 'tcp', 'nosuch.invalid:80'], '');
    expect(r.status).toBe(1);
    const err = String(r.stderr).trim();
    expect(err.split('\n')).toHaveLength(1);
    expect(err).toMatch(/^sockbench: getaddrinfo: EAI_NONAME \(-2\): Name or service not known: no address is known for "nosuch\.invalid"/);
  });

  it('| head -c 10: the reader goes away, sockbench ends quietly with exit 0 and no stack trace', async () => {
    const srv = await pyServer({ flood: 4_000_000 });
    procs.push(srv.proc);
    const r = spawnSync('bash', ['-c', `"${process.execPath}" ${CLI} connect tcp 127.0.0.1:${srv.port} </dev/null | head -c 10; echo " status=\${PIPESTATUS[0]}"`], { timeout: 20_000 });
    expect(String(r.stdout)).toBe('xxxxxxxxxx status=0\n');
    expect(String(r.stderr)).not.toMatch(/EPIPE|Error|\n\s+at /);
  });
});

const raw = rawSuite('sockbench sweep with host names');

describe.skipIf(raw.skip)(raw.title, () => {
  it('sweep localhost: the name is resolved as the system resolves it and probed; an unknown one is one line, exit 2', async () => {
    const first = (await lookup('localhost', { all: true, order: 'verbatim' }))[0]!.address;
    const r = cli(['sweep', 'localhost', '-t', '500']);
    expect(r.status, String(r.stderr)).toBe(0);
    expect(String(r.stdout)).toBe(`${first} is alive\n`);
    const bad = cli(['sweep', 'nosuch.invalid', '127.0.0.1']);
    expect(bad.status).toBe(2);
    expect(String(bad.stderr)).toBe('sockbench: sweep: nosuch.invalid: Name or service not known\n');
  });
});
