// `sockbench connect tls` and `sockbench listen tls` (dist/cli.cjs) against
// openssl s_server and s_client: the handshake summary and the peer's
// certificate on stderr, data on stdout, a failed verification as one line
// and exit 1, bad TLS options as usage errors on the right flag.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeCerts, type TestCerts } from '../support/certs.js';
import { CLI, runCli } from '../support/cli.js';
import { until } from '../support/engine-harness.js';
import { peerSuite } from '../support/peers.js';
import { sServer, start, type Proc } from '../support/tls-peers.js';

let certs: TestCerts;
const stops: (() => void)[] = [];
const dirs: string[] = [];
beforeAll(() => {
  certs = makeCerts();
});
afterAll(() => certs.remove());
afterEach(() => {
  stops.splice(0).forEach((s) => s());
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
});

const cli = (args: string[]) => runCli(args);

const fingerprint = (file: string): string =>
  execFileSync('openssl', ['x509', '-in', file, '-noout', '-fingerprint', '-sha256']).toString().trim().replace(/^.*=/, '');

async function server(args: string[]): Promise<Proc & { port: number }> {
  const s = await sServer(args);
  stops.push(s.stop);
  return s;
}

const openssl = peerSuite('openssl');
describe.skipIf(openssl.skip)(`${openssl.title}: sockbench connect tls against openssl s_server`, () => {
  it('a CA-signed server with ALPN: the summary, the chain with its SHA-256, and the data both ways', { timeout: 60_000 }, async () => {
    const s = await server(['-cert', certs.server.cert, '-key', certs.server.key, '-alpn', 'http/1.1', '-rev']);
    const r = await cli(['connect', 'tls', `localhost:${s.port}`, '--ca', certs.ca.cert, '--alpn', 'h2,http/1.1', '--send', 'hello\\n']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('olleh\n');
    expect(r.stderr).toMatch(/^sockbench: TLSv1\.3 \S+, ALPN http\/1\.1, new session, verified CN=localhost$/m);
    expect(r.stderr).toMatch(/server certificate 1 of \d: CN=localhost/);
    expect(r.stderr).toContain('issuer  CN=Sockbench Test CA');
    expect(r.stderr).toContain('names   DNS:localhost, IP Address:127.0.0.1');
    expect(r.stderr).toContain(`sha256  ${fingerprint(certs.server.cert)}`);
  });

  it('verification failures exit 1 with one line naming the reason; --insecure goes on and still says why', { timeout: 60_000 }, async () => {
    const self = await server(['-cert', certs.self.cert, '-key', certs.self.key, '-rev']);
    const failed = await cli(['connect', 'tls', `127.0.0.1:${self.port}`, '--send', 'x']);
    expect(failed.status).toBe(1);
    expect(failed.stderr.trim().split('\n')).toHaveLength(1);
    expect(failed.stderr).toMatch(/^sockbench: tls handshake: .*self-signed/);
    const insecure = await cli(['connect', 'tls', `127.0.0.1:${self.port}`, '--insecure', '--send', 'abc\\n']);
    expect(insecure.status, insecure.stderr).toBe(0);
    expect(insecure.stdout).toBe('cba\n');
    expect(insecure.stderr).toMatch(/not verified \(verification off\).*self-signed/);

    const other = await server(['-cert', certs.other.cert, '-key', certs.other.key]);
    const mismatch = await cli(['connect', 'tls', `localhost:${other.port}`, '--ca', certs.ca.cert]);
    expect(mismatch.status).toBe(1);
    expect(mismatch.stderr.trim().split('\n')).toHaveLength(1);
    expect(mismatch.stderr).toMatch(/hostname mismatch/i);

    const expired = await server(['-cert', certs.expired.cert, '-key', certs.expired.key]);
    const old = await cli(['connect', 'tls', `localhost:${expired.port}`, '--ca', certs.ca.cert]);
    expect(old.status).toBe(1);
    expect(old.stderr.trim().split('\n')).toHaveLength(1);
    expect(old.stderr).toMatch(/expired/);
  });

  it('mutual TLS: --cert/--key answer a server that requires a client certificate', { timeout: 60_000 }, async () => {
    const s = await server(['-cert', certs.server.cert, '-key', certs.server.key, '-CAfile', certs.ca.cert, '-Verify', '1', '-verify_return_error', '-rev']);
    const r = await cli(['connect', 'tls', `localhost:${s.port}`, '--ca', certs.ca.cert, '--cert', certs.client.cert, '--key', certs.client.key, '--send', 'mutual\\n']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('lautum\n');
    // openssl's verify callback prints the chain it checked on stderr.
    await until(() => s.err().includes('CN = Sockbench Test Client'), 'openssl to name our client certificate', 10_000);
  });
});

describe('sockbench TLS options: clear usage errors', () => {
  it('--max-version and --min-version choose the protocol: TLSv1.2 with a TLS 1.3 server, and no handshake with a TLS 1.2-only one', { timeout: 60_000 }, async () => {
    const s = await server(['-cert', certs.server.cert, '-key', certs.server.key, '-rev']);
    const capped = await cli(['connect', 'tls', `localhost:${s.port}`, '--ca', certs.ca.cert, '--max-version', 'TLSv1.2', '--send', 'abc\\n']);
    expect(capped.status, capped.stderr).toBe(0);
    expect(capped.stdout).toBe('cba\n');
    expect(capped.stderr).toMatch(/^sockbench: TLSv1\.2 \S+, new session, verified CN=localhost$/m);
    const old = await server(['-cert', certs.server.cert, '-key', certs.server.key, '-tls1_2']);
    const refused = await cli(['connect', 'tls', `localhost:${old.port}`, '--ca', certs.ca.cert, '--min-version', 'TLSv1.3']);
    expect(refused.status).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/^sockbench: tls handshake: the peer accepts none of the TLS versions offered/);
  });

  it('each bad option names its flag', { timeout: 60_000 }, async () => {
    const half = await cli(['connect', 'tls', 'localhost:443', '--cert', '/tmp/c.pem']);
    expect(half.status).toBe(2);
    expect(half.stderr).toContain('--cert and --key go together');
    const tooMany = await cli(['connect', 'tls', 'localhost:443', '--alpn', Array.from({ length: 17 }, (_, i) => `p${i}`).join(',')]);
    expect(tooMany.status).toBe(2);
    expect(tooMany.stderr).toContain('--alpn: alpn is too long: at most 16 protocol names, got 17');
    const onTcp = await cli(['connect', 'tcp', '127.0.0.1:443', '--insecure']);
    expect(onTcp.status).toBe(2);
    expect(onTcp.stderr).toContain('--insecure is a TLS option: use the protocol tls, not tcp');
    const mode = await cli(['listen', 'tls', '127.0.0.1:0', '--client-cert', 'maybe']);
    expect(mode.status).toBe(2);
    expect(mode.stderr).toContain('--client-cert must be one of none, request, require, got "maybe"');
    const version = await cli(['connect', 'tls', 'localhost:443', '--min-version', '1.3']);
    expect(version.status).toBe(2);
    expect(version.stderr).toContain('--min-version must be one of TLSv1, TLSv1.1, TLSv1.2, TLSv1.3, got "1.3"');
    const crossed = await cli(['listen', 'tls', '127.0.0.1:0', '--min-version', 'TLSv1.3', '--max-version', 'TLSv1.2']);
    expect(crossed.status).toBe(2);
    expect(crossed.stderr).toContain('--min-version TLSv1.3 is above --max-version TLSv1.2');
  });

  it('a key that does not match the certificate, and a file that is not PEM, are refused naming the field', { timeout: 60_000 }, async () => {
    const wrongKey = await cli(['listen', 'tls', '127.0.0.1:0', '--cert', certs.server.cert, '--key', certs.client.key]);
    expect(wrongKey.status).toBe(1);
    expect(wrongKey.stderr).toMatch(/key.*does not match/i);
    const notPem = await cli(['connect', 'tls', '127.0.0.1:1', '--ca', join(certs.dir, 'ca.cnf')]);
    expect(notPem.status).toBe(1);
    expect(notPem.stderr).toMatch(/ca.*PEM/);
  });
});

describe.skipIf(openssl.skip)(`${openssl.title}: sockbench listen tls with openssl s_client`, () => {
  it('without --cert/--key it presents the workspace certificate: s_client verifies it with that file, and --echo answers', { timeout: 90_000 }, async () => {
    const ws = mkdtempSync(join(tmpdir(), 'sockbench-cli-tls-ws-'));
    dirs.push(ws);
    const l = start(process.execPath, [CLI, 'listen', 'tls', '127.0.0.1:0', '--echo', '--count', '1', '--timeout', '30', '--workspace', ws]);
    stops.push(l.stop);
    await until(() => /listening on tls 127\.0\.0\.1:(\d+)/.test(l.err()) && l.err().includes('sha256'), 'the listener to say where and what it presents', 20_000);
    const port = /listening on tls 127\.0\.0\.1:(\d+)/.exec(l.err())![1]!;
    const pem = join(ws, 'tls', 'localhost-cert.pem');
    expect(l.err()).toContain(`clients trust it with ${pem}`);
    expect(l.err()).toContain(`sha256  ${fingerprint(pem)}`);

    const c = start('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', pem, '-verify_return_error', '-verify_hostname', 'localhost', '-quiet', '-no_ign_eof']);
    stops.push(c.stop);
    c.write('through tls\n');
    await until(() => c.out().includes('through tls'), 'the echo to reach s_client', 20_000);
    c.proc.stdin!.end();
    expect(await l.exited, l.err()).toBe(0);
    expect(l.err()).toMatch(/session #\d+: TLSv1\.3 \S+, new session/);
  });

  it('--min-version TLSv1.3: s_client limited to TLS 1.2 is refused and the listener says why; TLS 1.3 gets the echo', { timeout: 90_000 }, async () => {
    const l = start(process.execPath, [CLI, 'listen', 'tls', '127.0.0.1:0', '--cert', certs.server.cert, '--key', certs.server.key,
      '--min-version', 'TLSv1.3', '--echo', '--timeout', '30']);
    stops.push(l.stop);
    await until(() => /listening on tls 127\.0\.0\.1:(\d+)/.test(l.err()), 'the listener', 20_000);
    const port = /listening on tls 127\.0\.0\.1:(\d+)/.exec(l.err())![1]!;
    const old = start('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', certs.ca.cert, '-tls1_2', '-quiet', '-no_ign_eof']);
    stops.push(old.stop);
    expect(await old.exited).not.toBe(0);
    await until(() => /session #\d+ ended \(error\): tls handshake: no TLS version both sides accept/.test(l.err()), 'the listener to say the handshake failed on the version', 20_000);
    const c = start('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', certs.ca.cert, '-tls1_3', '-quiet', '-no_ign_eof']);
    stops.push(c.stop);
    c.write('thirteen\n');
    await until(() => c.out().includes('thirteen'), 'the echo over TLS 1.3', 20_000);
    expect(l.err()).toMatch(/TLSv1\.3 \S+, new session/);
  });

  it('--cert/--key from files with --client-cert require: s_client with the client certificate is shown by subject', { timeout: 90_000 }, async () => {
    const l = start(process.execPath, [CLI, 'listen', 'tls', '127.0.0.1:0', '--cert', certs.server.cert, '--key', certs.server.key,
      '--client-cert', 'require', '--ca', certs.ca.cert, '--reply', 'welcome\\n', '--count', '1', '--timeout', '30']);
    stops.push(l.stop);
    await until(() => /listening on tls 127\.0\.0\.1:(\d+)/.test(l.err()), 'the listener', 20_000);
    const port = /listening on tls 127\.0\.0\.1:(\d+)/.exec(l.err())![1]!;
    const c = start('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', certs.ca.cert, '-cert', certs.client.cert, '-key', certs.client.key, '-quiet', '-no_ign_eof']);
    stops.push(c.stop);
    c.write('hi\n');
    await until(() => c.out().includes('welcome'), 'the reply to reach s_client', 20_000);
    c.proc.stdin!.end();
    expect(await l.exited, l.err()).toBe(0);
    expect(l.err()).toMatch(/client certificate 1 of \d: CN=Sockbench Test Client/);
  });
});
