// TLS sessions between Sockbench's own client and server on loopback, and
// every kind of bad TLS input with its error on the right field.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeCerts, type TestCerts } from '../../../test/support/certs.js';
import { harness, rejection, text, until } from '../../../test/support/engine-harness.js';
import { workspaceConfig } from '../../workbench.js';
import { workspaceIdentity } from '../../workspace/tls-identity.js';

let certs: TestCerts;
let h: ReturnType<typeof harness>;
let ws: string;
beforeAll(() => {
  certs = makeCerts();
});
afterAll(() => certs.remove());
afterEach(async () => {
  await h?.close();
  rmSync(ws, { recursive: true, force: true });
});

function fresh(): void {
  ws = mkdtempSync(join(tmpdir(), 'sockbench-tls-'));
  h = harness({ workspace: workspaceConfig(ws) });
}

const tcp = () => h.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });

async function tlsListener(tls: Record<string, unknown> = {}) {
  const s = await tcp();
  const b = await h.call('socket.bind', { id: s.id, address: '127.0.0.1', port: 0 });
  await h.call('socket.listen', { id: s.id, backlog: 8, tls });
  return { id: s.id, port: b.local!.port };
}

const accepted = (listener: number) => until(() => h.engine.list().find((s) => s.parent === listener && s.info().tls?.state === 'established'), 'an established accepted session');

describe('TLS between Sockbench sessions', () => {
  it('the server sees the name (SNI) and ALPN the client sent, and the client certificate it asked for; both logs hold the plain text', async () => {
    fresh();
    const l = await tlsListener({ cert: certs.server.cert, key: certs.server.key, alpn: ['h2'], clientCert: 'request', ca: certs.ca.cert });
    const c = await tcp();
    const r = await h.call('socket.connect', { id: c.id, address: '127.0.0.1', port: l.port, tls: { servername: 'localhost', alpn: ['http/1.1', 'h2'], ca: certs.ca.cert, cert: certs.client.cert, key: certs.client.key } });
    expect(r.tls).toMatchObject({ alpn: 'h2', verify: { ok: true }, own: { cert: { subject: 'CN=Sockbench Test Client' } } });
    const srv = await accepted(l.id);
    expect(srv.info().tls).toMatchObject({ role: 'server', via: 'accept', servername: 'localhost', alpn: 'h2', clientCert: 'request', verify: { on: false, ok: true } });
    expect(srv.info().tls?.peer?.[0]?.subject).toBe('CN=Sockbench Test Client');
    await h.call('socket.sendall', { id: c.id, data: text('over tls') });
    await until(() => h.received(srv.id).toString() === 'over tls', 'plain text at the server');
    expect(h.engine.get(c.id).counters).toMatchObject({ bytesOut: 8, chunksOut: 1 });
  });

  it('a client certificate the server cannot verify is shown but not trusted in request mode; with no certificate it says so', async () => {
    fresh();
    const l = await tlsListener({ clientCert: 'request', ca: certs.ca.cert });
    const c = await tcp();
    await h.call('socket.connect', { id: c.id, address: '127.0.0.1', port: l.port, tls: { verify: false, cert: certs.stranger.cert, key: certs.stranger.key } });
    const srv = await accepted(l.id);
    expect(srv.info().state).toBe('connected');
    expect(srv.info().tls?.verify).toMatchObject({ on: false, ok: false, reason: 'self-signed' });
    expect(srv.info().tls?.peer?.[0]?.subject).toBe('CN=Stranger');
    const bare = await tcp();
    // (not resumed: a resumed session would bring back the first one's client certificate)
    await h.call('socket.connect', { id: bare.id, address: '127.0.0.1', port: l.port, tls: { verify: false, resume: false } });
    const second = await until(() => h.engine.list().filter((s) => s.parent === l.id && s.info().tls?.state === 'established')[1], 'the second');
    expect(second.info().tls).toMatchObject({ peer: [], verify: { ok: false, reason: 'no-certificate' } });
  });

  it('manual reads, send, and shutdown(SHUT_WR) work through TLS: the peer sees the end of the stream', async () => {
    fresh();
    const l = await tlsListener({ cert: certs.server.cert, key: certs.server.key });
    const c = await tcp();
    await h.call('socket.setReadMode', { id: c.id, mode: 'manual' });
    await h.call('socket.settimeout', { id: c.id, timeoutMs: 5000 });
    await h.call('socket.connect', { id: c.id, address: '127.0.0.1', port: l.port, tls: { ca: certs.ca.cert } });
    const srv = await accepted(l.id);
    await h.call('socket.send', { id: srv.id, data: text('abcdef') });
    const got = await h.call('socket.recv', { id: c.id, bufsize: 3 });
    expect(Buffer.from(got.data).toString()).toBe('abc');
    const rest = await h.call('socket.recv', { id: c.id, bufsize: 100 });
    expect(Buffer.from(rest.data).toString()).toBe('def');
    const sent = await h.call('socket.send', { id: c.id, data: text('bye') });
    expect(sent.bytes).toBe(3);
    await h.call('socket.shutdown', { id: c.id, how: 'SHUT_WR' });
    await until(() => srv.info().state === 'half-closed', 'the server to see the end');
    expect(h.received(srv.id).toString()).toBe('bye');
    // and the server can still answer in the other direction
    await h.call('socket.sendall', { id: srv.id, data: text('late') });
    const late = await h.call('socket.recv', { id: c.id, bufsize: 100 });
    expect(Buffer.from(late.data).toString()).toBe('late');
  });

  it('STARTTLS is refused where it cannot be: before connect, twice, on a datagram socket (no DTLS)', async () => {
    fresh();
    const c = await tcp();
    const e1 = await rejection(h.call('socket.starttls', { id: c.id, role: 'client' }));
    expect(e1.error).toMatchObject({ code: 'INVALID_STATE', errno: { name: 'ENOTCONN' } });
    expect(e1.message).toMatch(/STARTTLS upgrades a connected session/);
    const l = await tlsListener();
    await h.call('socket.connect', { id: c.id, address: '127.0.0.1', port: l.port, tls: { verify: false } });
    const e2 = await rejection(h.call('socket.starttls', { id: c.id, role: 'client' }));
    expect(e2.error.errno?.name).toBe('EISCONN');
    const u = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_DGRAM' });
    const e3 = await rejection(h.call('socket.connect', { id: u.id, address: '127.0.0.1', port: 9, tls: {} }));
    expect(e3.message).toMatch(/TLS runs over stream sockets \(SOCK_STREAM\); DTLS is not supported/);
    expect(h.engine.get(c.id).trace.filter((t) => t.call === 'starttls').map((t) => t.ok)).toEqual([false, false]);
  });

  it('a plain client talking to a TLS listener fails that session with words, and the listener goes on', async () => {
    fresh();
    const l = await tlsListener();
    const c = await tcp();
    await h.call('socket.connect', { id: c.id, address: '127.0.0.1', port: l.port });
    await h.call('socket.sendall', { id: c.id, data: text('GET / HTTP/1.0\r\n\r\n') });
    const srv = await until(() => h.engine.list().find((s) => s.parent === l.id && s.info().state === 'error'), 'the failed handshake');
    expect(srv.info().lastError?.message).toMatch(/^tls handshake: the peer sent a plain HTTP request, not a TLS hello \(ERR_SSL_HTTP_REQUEST\)$/);
    expect(h.engine.get(l.id).info().state).toBe('listening');
  });
});

describe('bad TLS input gets a clear error on the right field', () => {
  const cases: { what: string; method: 'socket.connect' | 'socket.listen'; tls: () => Record<string, unknown>; field: string; message: RegExp }[] = [
    { what: 'a key that does not match the certificate', method: 'socket.listen', tls: () => ({ cert: certs.server.cert, key: certs.client.key }), field: 'tls.key', message: /client\.key does not match the certificate in .*server\.pem \(CN=localhost\): they are not a pair/ },
    { what: 'a certificate file that is not PEM', method: 'socket.listen', tls: () => ({ cert: join(certs.dir, 'ca.cnf'), key: certs.server.key }), field: 'tls.cert', message: /ca\.cnf is not PEM: it has no -----BEGIN …----- block/ },
    { what: 'a DER certificate', method: 'socket.connect', tls: () => ({ ca: join(certs.dir, 'ca.der') }), field: 'tls.ca', message: /ca\.der is not PEM.*looks like DER: convert it with openssl x509 -inform der/ },
    { what: 'a key file given as the certificate', method: 'socket.listen', tls: () => ({ cert: certs.server.key, key: certs.server.key }), field: 'tls.cert', message: /server\.key has no certificate: it holds PRIVATE KEY/ },
    { what: 'a certificate given as the key', method: 'socket.connect', tls: () => ({ cert: certs.client.cert, key: certs.client.cert }), field: 'tls.key', message: /client\.pem holds no private key: it holds CERTIFICATE/ },
    { what: 'an encrypted key', method: 'socket.listen', tls: () => ({ cert: certs.server.cert, key: join(certs.dir, 'encrypted.key') }), field: 'tls.key', message: /encrypted\.key is encrypted with a passphrase/ },
    { what: 'a missing file', method: 'socket.connect', tls: () => ({ ca: join(certs.dir, 'nope.pem') }), field: 'tls.ca', message: /cannot read .*nope\.pem: no such file \(ENOENT\)/ },
    { what: 'an ALPN list that is too long', method: 'socket.connect', tls: () => ({ alpn: Array.from({ length: 17 }, (_, i) => `p${i}`) }), field: 'tls.alpn', message: /alpn is too long: at most 16 protocol names, got 17/ },
    { what: 'an ALPN name longer than 255 bytes', method: 'socket.listen', tls: () => ({ alpn: ['h2', 'x'.repeat(256)] }), field: 'tls.alpn.1', message: /an ALPN protocol name is at most 255 bytes, got 256/ },
    { what: 'a certificate without its key', method: 'socket.connect', tls: () => ({ cert: certs.client.cert }), field: 'tls.key', message: /key is needed with cert/ },
    { what: 'a relative path', method: 'socket.connect', tls: () => ({ ca: 'ca.pem' }), field: 'tls.ca', message: /ca must be an absolute path to a PEM file/ },
    { what: 'an IP address as the server name', method: 'socket.connect', tls: () => ({ servername: '127.0.0.1' }), field: 'tls.servername', message: /SNI cannot carry an IP address/ },
    { what: 'versions the wrong way round', method: 'socket.connect', tls: () => ({ minVersion: 'TLSv1.3', maxVersion: 'TLSv1.2' }), field: 'tls.minVersion', message: /minVersion TLSv1\.3 is above maxVersion TLSv1\.2/ },
    { what: 'an unknown option', method: 'socket.connect', tls: () => ({ insecure: true }), field: 'tls.insecure', message: /unknown TLS option "insecure"/ },
  ];
  beforeAll(() => {
    execFileSync('openssl', ['x509', '-in', certs.ca.cert, '-outform', 'der', '-out', join(certs.dir, 'ca.der')]);
    execFileSync('openssl', ['pkey', '-in', certs.server.key, '-aes256', '-passout', 'pass:secret', '-out', join(certs.dir, 'encrypted.key')]);
  });
  for (const c of cases) {
    it(c.what, async () => {
      fresh();
      const s = await tcp();
      const params = c.method === 'socket.listen'
        ? { id: s.id, backlog: 1, tls: c.tls() }
        : { id: s.id, address: '127.0.0.1', port: 9, tls: c.tls() };
      const e = await h.error(c.method, params);
      expect(e).toMatchObject({ code: 'BAD_REQUEST', field: c.field });
      expect(e.message).toMatch(c.message);
      expect(h.engine.get(s.id).info().state).toBe('created'); // nothing was tried
    });
  }
});

describe("the workspace's self-signed certificate", () => {
  it('is made once and kept with its key at 0600; an expired one is replaced; a read-only workspace gets one in memory', async () => {
    ws = mkdtempSync(join(tmpdir(), 'sockbench-tls-'));
    const first = await workspaceIdentity(ws);
    expect(first).toMatchObject({ source: 'workspace', note: 'generated', file: join(ws, 'tls', 'localhost-cert.pem') });
    expect(statSync(join(ws, 'tls', 'localhost.pem')).mode & 0o777).toBe(0o600);
    const [a, b] = await Promise.all([workspaceIdentity(ws), workspaceIdentity(ws)]);
    expect(a.cert).toBe(first.cert);
    expect(b.cert).toBe(first.cert);
    const later = await workspaceIdentity(ws, undefined, new Date(Date.now() + 900 * 86_400_000));
    expect(later.note).toMatch(/^replaced: the old one expired on /);
    expect(later.cert).not.toBe(first.cert);
    writeFileSync(join(ws, 'tls', 'localhost.pem'), 'garbage');
    expect((await workspaceIdentity(ws)).note).toMatch(/did not hold a certificate and a key/);
    const ro = await workspaceIdentity(mkdtempSync(join(tmpdir(), 'sockbench-ro-')), 'a newer format');
    expect(ro).toMatchObject({ source: 'memory', note: 'not kept: a newer format' });
  });
});
