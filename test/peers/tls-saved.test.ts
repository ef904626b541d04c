// Saved packets over TLS: Packet Sender's SSL packet imports as a sendable
// tls packet; with the CA added to its tls options it reaches openssl
// s_server through the bridge (packets.send) and through `sockbench send`;
// without it, the send fails naming why the certificate is not trusted.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { harness, until } from '../support/engine-harness.js';
import { makeCerts, type TestCerts } from '../support/certs.js';
import { runCli } from '../support/cli.js';
import { peerSuite } from '../support/peers.js';
import { sServer, type Proc } from '../support/tls-peers.js';
import { fromComposer } from '../../renderer/src/lib/saved-packet.js';
import type { Draft } from '../../renderer/src/stores/composer.js';

const FIXTURE = readFileSync(new URL('../fixtures/packetsender/packets.ini', import.meta.url), 'utf8');

let certs: TestCerts;
const cleanups: (() => Promise<void> | void)[] = [];
beforeAll(() => {
  certs = makeCerts();
});
afterAll(() => certs.remove());
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const cli = (args: string[]) => runCli(args);

const openssl = peerSuite('openssl');
describe.skipIf(openssl.skip)(`${openssl.title}: saved tls packets`, () => {
  it("Packet Sender's SSL packet imports as tls and is sent through TLS by packets.send and `sockbench send`", { timeout: 120_000 }, async () => {
    const server: Proc & { port: number } = await sServer(['-cert', certs.server.cert, '-key', certs.server.key, '-rev']);
    cleanups.push(server.stop);
    const ws = mkdtempSync(join(tmpdir(), 'sockbench-tls-saved-'));
    cleanups.push(() => rmSync(ws, { recursive: true, force: true }));
    const h = harness({ workspace: { dir: ws, source: 'flag', defaultDir: tmpdir() } });
    cleanups.push(() => h.close());

    const ini = FIXTURE.replaceAll('@TCP@', '9').replaceAll('@UDP@', '9').replaceAll('@TCP6@', '9').replace(/port=443/, `port=${server.port}`);
    const r = await h.call('packets.import', { text: ini, fileName: 'packets.ini' });
    expect(r.took.map((t) => t.name)).toContain('Secure');
    const entry = () => h.call('packets.list', {}).then((l) => l.packets.find((p) => p.packet.name === 'Secure')!);
    const imported = await entry();
    expect(imported).toMatchObject({ sendable: true, packet: { protocol: 'tls', target: `127.0.0.1:${server.port}`, data: 'hi' } });

    // As imported (no CA): the test CA is not trusted, and the send says so.
    await expect(h.call('packets.send', { file: imported.file })).rejects.toThrow(/certificate is not trusted: unknown issuer/);

    // With the CA and the name the certificate carries, it goes through TLS.
    const saved = await h.call('packets.save', { packet: { ...imported.packet, data: 'hi\\n', tls: { ca: certs.ca.cert, servername: 'localhost' } }, file: imported.file, rev: imported.rev });
    expect(saved.ok).toBe(true);
    const sent = await h.call('packets.send', { file: imported.file });
    expect(sent.session!.tls).toMatchObject({ state: 'established', servername: 'localhost', verify: { on: true, ok: true } });
    await until(() => h.received(sent.session!.id).toString() === 'ih\n', 'the reversed line back through TLS', 20_000);
    expect(h.engine.get(sent.session!.id).trace.map((t) => t.call)).toEqual(expect.arrayContaining(['connect', 'tls handshake', 'sendall']));
    await h.close();

    // The CLI reads the same file.
    const c = await cli(['send', 'Secure', '--wait', '1500', '--workspace', ws]);
    expect(c.status, c.stderr).toBe(0);
    expect(c.stdout).toBe('ih\n');

    // tls options on a packet that is not tls are refused on that field.
    const h2 = harness({ workspace: { dir: ws, source: 'flag', defaultDir: tmpdir() } });
    cleanups.push(() => h2.close());
    await expect(h2.call('packets.save', { packet: { name: 'Plain', protocol: 'tcp', target: '127.0.0.1:9', data: 'x', tls: { servername: 'localhost' } } })).rejects.toThrow('tls options are for tls packets; this one is tcp');
  });

  it('a session that answered a server requiring a client certificate is saved with its cert and key, and the saved packet is answered too', { timeout: 120_000 }, async () => {
    const server = await sServer(['-cert', certs.server.cert, '-key', certs.server.key, '-CAfile', certs.ca.cert, '-Verify', '1', '-verify_return_error', '-rev']);
    cleanups.push(server.stop);
    const ws = mkdtempSync(join(tmpdir(), 'sockbench-tls-saved-mtls-'));
    cleanups.push(() => rmSync(ws, { recursive: true, force: true }));
    const h = harness({ workspace: { dir: ws, source: 'flag', defaultDir: tmpdir() } });
    cleanups.push(() => h.close());
    const tls = { ca: certs.ca.cert, servername: 'localhost', cert: certs.client.cert, key: certs.client.key, maxVersion: 'TLSv1.2' as const };
    const s = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
    const connected = await h.call('socket.connect', { id: s.id, address: '127.0.0.1', port: server.port, tls });
    expect(connected.tls).toMatchObject({ state: 'established', protocol: 'TLSv1.2', certFile: certs.client.cert, keyFile: certs.client.key, maxVersion: 'TLSv1.2' });

    // What the composer's Save does with this session and a draft.
    const draft: Draft = { text: 'again\\n', mode: 'text', encoding: 'utf-8', append: 'none', clearAfterSend: false, address: '', port: '', history: [] };
    const fields = fromComposer(connected, draft);
    if ('error' in fields) throw new Error(`the composer would not save: ${fields.error}`);
    const packet = { ...fields, name: 'Mutual' };
    expect(packet).toMatchObject({ protocol: 'tls', tls: { cert: certs.client.cert, key: certs.client.key, ca: certs.ca.cert, servername: 'localhost', maxVersion: 'TLSv1.2' } });
    const saved = await h.call('packets.save', { packet });
    expect(saved.ok).toBe(true);
    await h.call('socket.close', { id: s.id }); // s_server serves one connection at a time
    const file = (await h.call('packets.list', {})).packets.find((p) => p.packet.name === 'Mutual')!.file;
    const sent = await h.call('packets.send', { file });
    expect(sent.session!.tls).toMatchObject({ state: 'established', protocol: 'TLSv1.2', certFile: certs.client.cert });
    await until(() => h.received(sent.session!.id).toString() === 'niaga\n', 'the reversed line back through mutual TLS', 20_000);
  });
});
