// TLS against real peers the tests start themselves: openssl s_server with a
// self-signed and a CA-signed certificate, with ALPN, requiring a client
// certificate; openssl s_client and ncat --ssl against Sockbench's server;
// Python's ssl as a STARTTLS server (SMTP-like), for mutual TLS, and as a
// STARTTLS client of ours. Every verification failure has its message.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { workspaceConfig } from '../../main/workbench.js';
import type { SessionInfo } from '../../shared/contract/index.js';
import { makeCerts, type TestCerts } from '../support/certs.js';
import { harness, rejection, text, until } from '../support/engine-harness.js';
import { freePort, peerSuite } from '../support/peers.js';
import { MTLS_SERVER, python, sServer, start, STARTTLS_CLIENT, STARTTLS_SERVER, TLS_CLIENT, type Proc } from '../support/tls-peers.js';

let certs: TestCerts;
let h: ReturnType<typeof harness>;
let ws: string;
const stops: (() => void)[] = [];
beforeAll(() => {
  certs = makeCerts();
});
afterAll(() => certs.remove());
afterEach(async () => {
  stops.splice(0).forEach((s) => s());
  await h?.close();
  if (ws) rmSync(ws, { recursive: true, force: true });
});

function fresh(): void {
  ws = mkdtempSync(join(tmpdir(), 'sockbench-tls-ws-'));
  h = harness({ workspace: workspaceConfig(ws) });
}

/** The SHA-256 fingerprint openssl prints for a certificate file (AB:CD:…). */
const fingerprint = (file: string): string =>
  execFileSync('openssl', ['x509', '-in', file, '-noout', '-fingerprint', '-sha256']).toString().trim().replace(/^.*=/, '');

async function tcp() {
  return h.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
}

async function tlsListener(tls: Record<string, unknown> = {}) {
  const s = await tcp();
  const b = await h.call('socket.bind', { id: s.id, address: '127.0.0.1', port: 0 });
  const l = await h.call('socket.listen', { id: s.id, backlog: 8, tls });
  return { id: s.id, port: b.local!.port, info: l };
}

const acceptedOf = (listener: number, n = 1) => until(() => h.engine.list().filter((s) => s.parent === listener)[n - 1], `accepted session ${n}`, 20_000);
const infoOf = (id: number): SessionInfo => h.engine.get(id).info();

const openssl = peerSuite('openssl');
describe.skipIf(openssl.skip)(`${openssl.title}: Sockbench as a TLS client of openssl s_server`, () => {
  let server: Proc & { port: number };
  afterEach(() => server?.stop());

  it('a self-signed server: with verification the session ends in error naming "self-signed", its certificate still shown; without it, bytes go both ways', { timeout: 60_000 }, async () => {
    fresh();
    server = await sServer(['-cert', certs.self.cert, '-key', certs.self.key]);
    const s = await tcp();
    const e = await rejection(h.call('socket.connect', { id: s.id, address: '127.0.0.1', port: server.port, tls: {} }));
    expect(e.code).toBe('TLS_ERROR');
    expect(e.message).toMatch(/not trusted: self-signed: CN=localhost is signed by itself/);
    const failed = infoOf(s.id);
    expect(failed.state).toBe('error');
    expect(failed.lastError?.message).toBe(e.message);
    expect(failed.tls).toMatchObject({ state: 'failed', verify: { on: true, ok: false, reason: 'self-signed', code: 'DEPTH_ZERO_SELF_SIGNED_CERT' } });
    expect(failed.tls?.peer?.[0]).toMatchObject({ subject: 'CN=localhost', selfSigned: true, fingerprint256: fingerprint(certs.self.cert) });
    const hs = h.engine.get(s.id).trace.find((t) => t.call === 'tls handshake')!;
    expect(hs).toMatchObject({ ok: false, message: e.message });
    expect(hs.durUs).toBeGreaterThan(0);

    const ok = await tcp();
    const r = await h.call('socket.connect', { id: ok.id, address: '127.0.0.1', port: server.port, tls: { verify: false } });
    expect(r.state).toBe('connected');
    expect(r.tls).toMatchObject({ state: 'established', verify: { on: false, ok: false, reason: 'self-signed' } });
    await h.call('socket.sendall', { id: ok.id, data: text('hello s_server\n') });
    await until(() => server.out().includes('hello s_server'), 'our bytes at s_server');
    server.write('hello sockbench\n');
    await until(() => h.received(ok.id).toString() === 'hello sockbench\n', 's_server’s bytes');
    expect(infoOf(ok.id).counters).toMatchObject({ bytesIn: 16, bytesOut: 15 });
  });

  it('a CA-signed server with the CA as the extra CA file: verified, with protocol, cipher, the chain (subject, issuer, SAN, dates, fingerprints as openssl prints them) and the handshake in the trace', { timeout: 60_000 }, async () => {
    fresh();
    server = await sServer(['-cert', certs.server.cert, '-key', certs.server.key, '-cert_chain', certs.ca.cert]);
    const s = await tcp();
    const r = await h.call('socket.connect', { id: s.id, address: '127.0.0.1', port: server.port, tls: { ca: certs.ca.cert, servername: 'localhost' } });
    expect(r.tls).toMatchObject({ role: 'client', via: 'connect', state: 'established', servername: 'localhost', protocol: 'TLSv1.3', resumed: false, verify: { on: true, ok: true } });
    expect(r.tls?.cipher).toMatch(/^TLS_/);
    const [leaf, root] = r.tls!.peer!;
    expect(leaf).toMatchObject({ subject: 'CN=localhost', issuer: 'CN=Sockbench Test CA', selfSigned: false, ca: false, fingerprint256: fingerprint(certs.server.cert) });
    expect(leaf!.san).toEqual(['DNS:localhost', 'IP Address:127.0.0.1', 'IP Address:0:0:0:0:0:0:0:1']);
    expect(Date.parse(leaf!.validFrom)).toBeLessThan(Date.now());
    expect(Date.parse(leaf!.validTo)).toBeGreaterThan(Date.now());
    expect(root).toMatchObject({ subject: 'CN=Sockbench Test CA', ca: true, selfSigned: true, fingerprint256: fingerprint(certs.ca.cert) });
    const calls = h.engine.get(s.id).trace.map((t) => t.call);
    expect(calls.slice(calls.indexOf('connect'))).toEqual(['connect', 'tls handshake']);
    const hs = h.engine.get(s.id).trace.find((t) => t.call === 'tls handshake')!;
    expect(hs.result).toMatch(/^TLSv1\.3 TLS_\w+, new session, verified CN=localhost$/);
    expect(hs.args).toMatchObject({ role: 'client', servername: 'localhost', verify: true });
    expect(hs.durUs).toBeGreaterThan(0);
  });

  it('ALPN: the protocol s_server picks from our list is shown (and in the trace); TLS 1.2 as the highest version is honoured; the session is resumed on the next connect', { timeout: 60_000 }, async () => {
    fresh();
    server = await sServer(['-cert', certs.server.cert, '-key', certs.server.key, '-alpn', 'http/1.1,h2']);
    const first = await tcp();
    const a = await h.call('socket.connect', { id: first.id, address: '127.0.0.1', port: server.port, tls: { ca: certs.ca.cert, alpn: ['h2', 'http/1.1'] } });
    // s_server picks by its own preference among those offered (OpenSSL's SSL_select_next_proto)
    expect(a.tls).toMatchObject({ alpn: 'http/1.1', alpnOffered: ['h2', 'http/1.1'], resumed: false });
    // (TLS 1.3 tickets come after the handshake: once s_server's data is here, so is the ticket)
    server.write('ticket?\n');
    await until(() => h.received(first.id).toString() === 'ticket?\n', 'data after the ticket');
    expect(h.engine.get(first.id).trace.find((t) => t.call === 'tls handshake')?.result).toContain('ALPN http/1.1');
    await h.call('socket.close', { id: first.id });
    const second = await tcp();
    const b = await h.call('socket.connect', { id: second.id, address: '127.0.0.1', port: server.port, tls: { ca: certs.ca.cert, alpn: ['h2', 'http/1.1'] } });
    expect(b.tls).toMatchObject({ resumed: true, verify: { ok: true } });
    expect(b.tls?.peer?.[0]?.subject).toBe('CN=localhost'); // the chain of the full handshake
    await h.call('socket.close', { id: second.id });
    const old = await tcp();
    const c = await h.call('socket.connect', { id: old.id, address: '127.0.0.1', port: server.port, tls: { ca: certs.ca.cert, maxVersion: 'TLSv1.2', resume: false } });
    expect(c.tls).toMatchObject({ protocol: 'TLSv1.2', resumed: false, alpn: null });
  });

  it('a server that requires a client certificate: refused without one (the alert named), accepted with ours, whose subject s_server prints', { timeout: 60_000 }, async () => {
    fresh();
    server = await sServer(['-cert', certs.server.cert, '-key', certs.server.key, '-Verify', '1', '-CAfile', certs.ca.cert, '-verify_return_error']);
    const bare = await tcp();
    // TLS 1.3: the client's half of the handshake is done before the server judges it; the alert follows.
    try {
      await h.call('socket.connect', { id: bare.id, address: '127.0.0.1', port: server.port, tls: { ca: certs.ca.cert } });
    } catch (e) {
      expect((e as Error).message).toMatch(/client certificate|certificate required/);
    }
    await until(() => infoOf(bare.id).state === 'error', 'the refusal');
    expect(infoOf(bare.id).lastError).toMatchObject({ code: 'TLS_ERROR', message: expect.stringMatching(/requires a client certificate and we sent none \(alert 116\) \(ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED\)$/) });

    const mutual = await tcp();
    const r = await h.call('socket.connect', { id: mutual.id, address: '127.0.0.1', port: server.port, tls: { ca: certs.ca.cert, cert: certs.client.cert, key: certs.client.key } });
    expect(r.tls).toMatchObject({ state: 'established', verify: { ok: true }, own: { source: 'files', file: certs.client.cert, cert: { subject: 'CN=Sockbench Test Client' } } });
    await until(() => server.out().includes('subject=CN = Sockbench Test Client'), 's_server printed our certificate');
    await h.call('socket.sendall', { id: mutual.id, data: text('mutual\n') });
    await until(() => server.out().includes('mutual'), 'data at s_server');
    expect(infoOf(mutual.id).state).toBe('connected');
  });

  describe('every verification failure is named', () => {
    const cases = [
      { name: 'self-signed', pair: () => certs.self, tls: () => ({}), reason: 'self-signed', words: /not trusted: self-signed: CN=localhost is signed by itself.*\(DEPTH_ZERO_SELF_SIGNED_CERT\)$/ },
      { name: 'unknown issuer', pair: () => certs.server, tls: () => ({}), reason: 'unknown-issuer', words: /not trusted: unknown issuer: CN=localhost was issued by CN=Sockbench Test CA, which is not a CA you trust.*\(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)$/ },
      { name: 'hostname mismatch', pair: () => certs.other, tls: () => ({ ca: certs.ca.cert }), reason: 'hostname-mismatch', words: /not trusted: hostname mismatch: the certificate is for DNS:example\.com, not for 127\.0\.0\.1.*\(ERR_TLS_CERT_ALTNAME_INVALID\)$/ },
      { name: 'hostname mismatch by SNI', pair: () => certs.server, tls: () => ({ ca: certs.ca.cert, servername: 'www.example.org' }), reason: 'hostname-mismatch', words: /hostname mismatch: the certificate is for DNS:localhost, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1, not for www\.example\.org/ },
      { name: 'expired', pair: () => certs.expired, tls: () => ({ ca: certs.ca.cert }), reason: 'expired', words: /not trusted: expired: CN=localhost expired on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(CERT_HAS_EXPIRED\)$/ },
      { name: 'not yet valid', pair: () => certs.future, tls: () => ({ ca: certs.ca.cert }), reason: 'not-yet-valid', words: /not trusted: not yet valid: CN=localhost is not valid before \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(CERT_NOT_YET_VALID\)$/ },
    ] as const;
    for (const c of cases) {
      it(`${c.name}: a TLS_ERROR naming it, the session in error, the peer's certificate shown`, { timeout: 60_000 }, async () => {
        fresh();
        const pair = c.pair();
        server = await sServer(['-cert', pair.cert, '-key', pair.key]);
        const s = await tcp();
        const e = await rejection(h.call('socket.connect', { id: s.id, address: '127.0.0.1', port: server.port, tls: c.tls() }));
        expect(e.code).toBe('TLS_ERROR');
        expect(e.message).toMatch(c.words);
        const info = infoOf(s.id);
        expect(info.state).toBe('error');
        expect(info.tls?.verify).toMatchObject({ on: true, ok: false, reason: c.reason });
        expect(info.tls?.peer?.[0]?.fingerprint256).toBe(fingerprint(pair.cert));
      });
    }
  });
});

describe.skipIf(openssl.skip)(`${openssl.title}: openssl s_client against Sockbench's TLS server`, () => {
  it('with no certificate given, the server presents the workspace’s self-signed one for localhost (kept in tls/, key 0600, same fingerprint next time); s_client verifies it against that file and bytes go both ways', { timeout: 60_000 }, async () => {
    fresh();
    const l = await tlsListener({ alpn: ['h2', 'http/1.1'] });
    const own = l.info.tls!.own!;
    expect(own).toMatchObject({ source: 'workspace', file: join(ws, 'tls', 'localhost-cert.pem'), note: 'generated', cert: { subject: expect.stringMatching(/^CN=localhost/), selfSigned: true } });
    expect(own.cert.san).toEqual(['DNS:localhost', 'IP Address:127.0.0.1', 'IP Address:0:0:0:0:0:0:0:1']);
    expect(own.cert.fingerprint256).toBe(fingerprint(own.file!));
    expect(execFileSync('stat', ['-c', '%a', join(ws, 'tls', 'localhost.pem')]).toString().trim()).toBe('600');
    await h.call('socket.setServeMode', { id: l.id, mode: 'echo' });

    const client = start('openssl', ['s_client', '-connect', `127.0.0.1:${l.port}`, '-CAfile', own.file!, '-verify_return_error', '-verify_hostname', 'localhost', '-alpn', 'h2', '-servername', 'localhost']);
    stops.push(client.stop);
    await until(() => client.out().includes('Verify return code: 0 (ok)'), 's_client verified us', 20_000);
    expect(client.out()).toContain('ALPN protocol: h2');
    const acc = await acceptedOf(l.id);
    await until(() => infoOf(acc.id).tls?.state === 'established', 'the accepted handshake');
    expect(infoOf(acc.id)).toMatchObject({ state: 'connected', tls: { role: 'server', via: 'accept', alpn: 'h2', servername: 'localhost', peer: [] } });
    client.write('echo me\n');
    await until(() => client.out().includes('echo me\n'), 'the echo at s_client');
    expect(h.received(acc.id).toString()).toBe('echo me\n');
    expect(h.engine.get(acc.id).trace.map((t) => t.call).slice(0, 2)).toEqual(['accept', 'tls handshake']);

    // The same certificate the next time, from the file, not made again.
    const again = await tlsListener();
    expect(again.info.tls?.own).toMatchObject({ source: 'workspace', cert: { fingerprint256: own.cert.fingerprint256 } });
    expect(again.info.tls?.own?.note).toBeUndefined();
  });

  it('a listener that requires a client certificate: s_client with the CA’s client certificate is accepted and the session shows it; one without is refused and the session says why', { timeout: 60_000 }, async () => {
    fresh();
    const l = await tlsListener({ cert: certs.server.cert, key: certs.server.key, clientCert: 'require', ca: certs.ca.cert });
    expect(l.info.tls).toMatchObject({ clientCert: 'require', own: { source: 'files', cert: { subject: 'CN=localhost' } } });
    const good = start('openssl', ['s_client', '-connect', `127.0.0.1:${l.port}`, '-CAfile', certs.ca.cert, '-cert', certs.client.cert, '-key', certs.client.key]);
    stops.push(good.stop);
    const acc = await acceptedOf(l.id);
    await until(() => infoOf(acc.id).tls?.state === 'established', 'the handshake');
    expect(infoOf(acc.id).tls).toMatchObject({ verify: { on: true, ok: true } });
    expect(infoOf(acc.id).tls?.peer?.[0]).toMatchObject({ subject: 'CN=Sockbench Test Client', issuer: 'CN=Sockbench Test CA', fingerprint256: fingerprint(certs.client.cert) });

    const bad = start('openssl', ['s_client', '-connect', `127.0.0.1:${l.port}`, '-CAfile', certs.ca.cert, '-cert', certs.stranger.cert, '-key', certs.stranger.key]);
    stops.push(bad.stop);
    const refused = await acceptedOf(l.id, 2);
    await until(() => infoOf(refused.id).state === 'error', 'the refusal');
    expect(infoOf(refused.id).lastError?.message).toMatch(/the client's certificate is not trusted: self-signed: CN=Stranger is signed by itself/);
    expect(infoOf(refused.id).tls?.peer?.[0]?.subject).toBe('CN=Stranger');

    const none = start('openssl', ['s_client', '-connect', `127.0.0.1:${l.port}`, '-CAfile', certs.ca.cert]);
    stops.push(none.stop);
    const bare = await acceptedOf(l.id, 3);
    await until(() => infoOf(bare.id).state === 'error', 'the refusal');
    expect(infoOf(bare.id).lastError?.message).toMatch(/the client sent no certificate, and this server requires one/);
    expect(infoOf(bare.id).tls?.verify).toMatchObject({ ok: false, reason: 'no-certificate' });
  });
});

const ncat = peerSuite('ncat');
describe.skipIf(ncat.skip)(ncat.title, () => {
  it('ncat --ssl talks to a Sockbench TLS listener in reply mode; Sockbench talks to `ncat --ssl -l` (its own throwaway certificate, so verification off)', { timeout: 60_000 }, async () => {
    fresh();
    const l = await tlsListener();
    await h.call('socket.setServeMode', { id: l.id, mode: 'reply', reply: text('pong\n') });
    const c = start('ncat', ['--ssl', '127.0.0.1', String(l.port)]);
    stops.push(c.stop);
    c.write('ping\n');
    await until(() => c.out() === 'pong\n', 'the reply at ncat', 20_000);
    const acc = await acceptedOf(l.id);
    expect(h.received(acc.id).toString()).toBe('ping\n');

    const p = await freePort();
    const srv = start('ncat', ['--ssl', '-l', '127.0.0.1', String(p)]);
    stops.push(srv.stop);
    // ncat needs a moment to listen: connect again on ECONNREFUSED, as a person would.
    let id = 0;
    for (let i = 0; i < 100 && id === 0; i++) {
      const s = await tcp();
      try {
        await h.call('socket.connect', { id: s.id, address: '127.0.0.1', port: p, timeoutMs: 2000, tls: { verify: false } });
        id = s.id;
      } catch (e) {
        if (!/ECONNREFUSED/.test((e as Error).message)) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(infoOf(id).tls?.verify).toMatchObject({ on: false, ok: false });
    await h.call('socket.sendall', { id, data: text('to ncat\n') });
    await until(() => srv.out() === 'to ncat\n', 'our bytes at ncat');
    srv.write('to sockbench\n');
    await until(() => h.received(id).toString() === 'to sockbench\n', 'ncat’s bytes');
  });
});

const py = peerSuite('python3');
describe.skipIf(py.skip)(`${py.title} (ssl module)`, () => {
  it('STARTTLS as the client against an SMTP-like Python server: the plain greeting and 220 stay in the log, the trace marks the upgrade, then EHLO goes inside TLS', { timeout: 60_000 }, async () => {
    fresh();
    const srv = await python(STARTTLS_SERVER, [certs.server.cert, certs.server.key]);
    stops.push(srv.stop);
    const s = await tcp();
    await h.call('socket.connect', { id: s.id, address: '127.0.0.1', port: srv.port });
    await until(() => h.received(s.id).toString().includes('ESMTP ready\r\n'), 'the greeting');
    await h.call('socket.sendall', { id: s.id, data: text('STARTTLS\r\n') });
    await until(() => h.received(s.id).toString().endsWith('Ready to start TLS\r\n'), 'the 220');
    const up = await h.call('socket.starttls', { id: s.id, role: 'client', tls: { ca: certs.ca.cert, servername: 'localhost' } });
    expect(up.tls).toMatchObject({ role: 'client', via: 'starttls', state: 'established', verify: { ok: true }, servername: 'localhost' });
    await h.call('socket.sendall', { id: s.id, data: text('EHLO me\r\n') });
    await until(() => h.received(s.id).toString().endsWith('250 secure EHLO me\r\n'), 'the answer inside TLS');
    const lines = srv.lines();
    expect(lines).toEqual([{ plain: 'STARTTLS\r\n' }, { tls: 'TLSv1.3' }, { secure: 'EHLO me\r\n' }]);
    const log = h.engine.get(s.id).data.toArray().map((d) => `${d.dir}:${Buffer.from(d.bytes).toString()}`);
    expect(log).toEqual(['in:220 mail.test ESMTP ready\r\n', 'out:STARTTLS\r\n', 'in:220 2.0.0 Ready to start TLS\r\n', 'out:EHLO me\r\n', 'in:250 secure EHLO me\r\n']);
    const calls = h.engine.get(s.id).trace.map((t) => t.call);
    expect(calls.filter((c) => ['connect', 'sendall', 'starttls'].includes(c))).toEqual(['connect', 'sendall', 'starttls', 'sendall']);
    const mark = h.engine.get(s.id).trace.find((t) => t.call === 'starttls')!;
    expect(mark.result).toMatch(/^upgraded in place: TLSv1\.3 /);
    expect(mark.durUs).toBeGreaterThan(0);
  });

  it('STARTTLS as the server: Sockbench answers STARTTLS with its 220 and upgrades at once, a Python client verifies it and speaks inside', { timeout: 60_000 }, async () => {
    fresh();
    const s = await tcp();
    const b = await h.call('socket.bind', { id: s.id, address: '127.0.0.1', port: 0 });
    await h.call('socket.listen', { id: s.id, backlog: 2 });
    const client = await python(STARTTLS_CLIENT, [String(b.local!.port), certs.ca.cert]);
    stops.push(client.stop);
    const acc = await acceptedOf(s.id);
    await h.call('socket.sendall', { id: acc.id, data: text('220 sockbench ready\r\n') });
    await until(() => h.received(acc.id).toString() === 'STARTTLS\r\n', 'STARTTLS');
    const up = await h.call('socket.starttls', { id: acc.id, role: 'server', send: text('220 go ahead\r\n'), tls: { cert: certs.server.cert, key: certs.server.key } });
    expect(up.tls).toMatchObject({ role: 'server', via: 'starttls', state: 'established' });
    await until(() => h.received(acc.id).toString().endsWith('EHLO inside\r\n'), 'EHLO inside TLS');
    await h.call('socket.sendall', { id: acc.id, data: text('250 welcome\r\n') });
    await until(() => client.lines().some((l) => 'got' in l), 'the answer at the client');
    expect(client.lines()).toEqual([{ greeting: '220 sockbench ready\r\n' }, { answer: '220 go ahead\r\n' }, { tls: 'TLSv1.3' }, { got: '250 welcome\r\n' }]);
  });

  it('mutual TLS with Python: our client certificate reaches a server that requires it; a Python client with one is shown on our accepted session', { timeout: 60_000 }, async () => {
    fresh();
    const srv = await python(MTLS_SERVER, [certs.server.cert, certs.server.key, certs.ca.cert]);
    stops.push(srv.stop);
    const s = await tcp();
    await h.call('socket.connect', { id: s.id, address: '127.0.0.1', port: srv.port, tls: { ca: certs.ca.cert, cert: certs.client.cert, key: certs.client.key } });
    await h.call('socket.sendall', { id: s.id, data: text('hi') });
    await until(() => h.received(s.id).toString() === 'hello Sockbench Test Client', 'the answer');
    expect(srv.lines().slice(0, 2)).toEqual([{ peer: 'Sockbench Test Client' }, { got: 'hi' }]);

    const l = await tlsListener({ cert: certs.server.cert, key: certs.server.key, clientCert: 'require', ca: certs.ca.cert });
    await h.call('socket.setServeMode', { id: l.id, mode: 'echo' });
    const client = await python(TLS_CLIENT, [String(l.port), certs.ca.cert, certs.client.cert, certs.client.key]);
    stops.push(client.stop);
    await until(() => client.lines().some((x) => 'got' in x || 'error' in x), 'the python client', 20_000);
    expect(client.lines()).toEqual([{ tls: 'TLSv1.3', peer: 'localhost' }, { got: 'ping over tls\n' }]);
    const acc = await acceptedOf(l.id);
    expect(infoOf(acc.id).tls).toMatchObject({ verify: { on: true, ok: true } });
    expect(infoOf(acc.id).tls?.peer?.map((c) => c.subject)).toEqual(['CN=Sockbench Test Client', 'CN=Sockbench Test CA']);
  });
});
