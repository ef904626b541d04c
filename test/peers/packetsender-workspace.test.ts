// Packet Sender's saved packets against Packet Sender itself: a packets.ini
// written by hand to every rule of its format is sent by `packetsender -n`
// with exactly the bytes our import reads from it; what we import we send to
// Python peers byte for byte; what we export, `packetsender -n` sends byte
// for byte; the JSON export comes back as it went.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSavedData, type SavedPacket } from '../../shared/contract/workspace.js';
import { harness, until } from '../support/engine-harness.js';
import { peerSuite } from '../support/peers.js';
import { pyPeer } from '../support/py-peer.js';

const FIXTURE = readFileSync(new URL('../fixtures/packetsender/packets.ini', import.meta.url), 'utf8');
const ini = (ports: { tcp?: number; udp?: number; tcp6?: number }): string =>
  FIXTURE.replaceAll('@TCP@', String(ports.tcp ?? 9)).replaceAll('@UDP@', String(ports.udp ?? 9)).replaceAll('@TCP6@', String(ports.tcp6 ?? 9));

/** `packetsender -n NAME` in portable mode (packets.ini in its working directory). */
function packetsender(dir: string, name: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('packetsender', ['-n', name], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += String(d)));
    p.stderr.on('data', (d: Buffer) => (out += String(d)));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`packetsender -n ${name} did not finish: ${out}`));
    }, 15_000);
    p.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

const tmp = (): string => mkdtempSync(join(tmpdir(), 'sockbench-ps-'));
const bytesOf = (p: SavedPacket): Buffer => {
  const r = parseSavedData(p.data ?? '', p.encoding);
  if (!r.ok) throw new Error(r.error.message);
  return Buffer.from(r.bytes);
};

const SENDABLE: { name: string; kind: 'tcp' | 'udp'; family?: 6; bytes: number[] }[] = [
  { name: 'Hello TCP', kind: 'tcp', bytes: [...Buffer.from('Hello\r\n')] },
  { name: 'Comma, semicolon; equals=', kind: 'udp', bytes: [0x00, 0x5c, 0x6e, 0xff, 0x7f] },
  { name: 'Café 中文', kind: 'tcp', bytes: [...Buffer.from('中文')] },
  { name: 'a/b slash', kind: 'udp', bytes: [...Buffer.from('a/b')] },
  { name: 'Quote "q" and back\\slash', kind: 'tcp', bytes: [0x22, 0x5c, 0x0d, 0x0a] },
  { name: 'Lower udp', kind: 'udp', bytes: [0x0a, 0x0b, 0x0c] },
  { name: 'Six', kind: 'tcp', family: 6, bytes: [0x36] },
];

const suite = peerSuite('packetsender');
describe.skipIf(suite.skip)(`${suite.title}: Packet Sender's saved packets`, () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });
  const bench = () => {
    const h = harness({ workspace: { dir: tmp(), source: 'flag', defaultDir: tmpdir() } });
    cleanups.push(() => h.close());
    return h;
  };

  it('imports packets.ini: every sendable packet taken (SSL as tls), DTLS/HTTP kept but marked with the reason, the unreadable refused with why', { timeout: 120_000 }, async () => {
    const h = bench();
    const r = await h.call('packets.import', { text: ini({}), fileName: 'packets.ini' });
    expect(r.format).toBe('packetsender-ini');
    expect(r.took.map((t) => t.name).sort()).toEqual([...SENDABLE.map((s) => s.name), 'Secure'].sort());
    expect(Object.fromEntries(r.marked.map((m) => [m.name, m.reason]))).toEqual({
      'Datagram TLS': expect.stringMatching(/DTLS is not supported/),
      'Web GET': expect.stringMatching(/HTTP requests are not supported/),
      'Web post': expect.stringMatching(/HTTPS requests are not supported/),
    });
    expect(r.refused).toEqual([
      { name: 'Gone', reason: 'listed in [NAMES] but the file has no [Gone] group' },
      { name: 'Orphan', reason: 'the group is not listed in [NAMES] (Packet Sender ignores it too)' },
      { name: 'Weird', reason: 'tcpOrUdp "SCTP" is not TCP, UDP, SSL, DTLS or HTTP' },
    ]);
    const { packets } = await h.call('packets.list', {});
    const by = Object.fromEntries(packets.map((p) => [p.packet.name, p]));
    for (const s of SENDABLE) expect([...bytesOf(by[s.name]!.packet)], s.name).toEqual(s.bytes);
    expect(by['Comma, semicolon; equals=']!.packet.repeat).toEqual({ intervalMs: 2500 });
    expect(by['Café 中文']!.packet.repeat).toEqual({ intervalMs: 1500 });
    expect(by['Six']!.packet.target).toMatch(/^\[::1\]:\d+$/);
    expect(by['Web GET']).toMatchObject({ sendable: false, packet: { protocol: 'http', target: 'example.com:80', http: { method: 'GET', path: '/index.html' } } });
    expect(by['Web post']).toMatchObject({ sendable: false, packet: { protocol: 'https', http: { method: 'POST', path: '/form' }, data: 'a=1' } });
    expect(by['Secure']).toMatchObject({ sendable: true, packet: { protocol: 'tls', target: '127.0.0.1:443', data: 'hi' } });
    // Marked packets refuse to send, with the reason.
    await expect(h.call('packets.send', { file: by['Datagram TLS']!.file })).rejects.toThrow('"Datagram TLS" cannot be sent: DTLS is not supported');
  });

  it('packetsender -n sends every packet of that file with exactly the bytes our import reads', { timeout: 120_000 }, async () => {
    for (const s of SENDABLE) {
      const peer = await pyPeer(s.kind, s.family ? { family: s.family } : {});
      cleanups.push(peer.stop);
      const dir = tmp();
      writeFileSync(join(dir, 'packets.ini'), ini({ tcp: peer.port, udp: peer.port, tcp6: peer.port }));
      const ps = await packetsender(dir, s.name);
      expect(ps.out).not.toMatch(/Error/);
      const got = await peer.received();
      expect(got.map((g) => [...g.bytes]), `${s.name}: ${ps.out}`).toEqual([s.bytes]);
    }
  });

  it('sends each imported packet as new to Python peers: the bytes are exact, and the answer lands in the session', { timeout: 120_000 }, async () => {
    const h = bench();
    const peers = { tcp: await pyPeer('tcp', { reply: Buffer.from('pong') }), udp: await pyPeer('udp', { reply: Buffer.from('pong'), datagrams: 3 }), tcp6: await pyPeer('tcp', { family: 6 }) };
    for (const p of Object.values(peers)) cleanups.push(p.stop);
    await h.call('packets.import', { text: ini({ tcp: peers.tcp.port, udp: peers.udp.port, tcp6: peers.tcp6.port }), fileName: 'packets.ini' });
    const { packets } = await h.call('packets.list', {});
    const file = (name: string) => packets.find((p) => p.packet.name === name)!.file;
    const tcp = await h.call('packets.send', { file: file('Hello TCP') });
    await until(() => h.received(tcp.session!.id).length >= 4, 'the TCP answer in the session');
    expect(h.received(tcp.session!.id).toString()).toBe('pong');
    await h.call('socket.close', { id: tcp.session!.id });
    for (const name of ['Comma, semicolon; equals=', 'a/b slash', 'Lower udp']) {
      const r = await h.call('packets.send', { file: file(name) });
      await until(() => h.received(r.session!.id).length >= 4, `the UDP answer to ${name}`);
    }
    const six = await h.call('packets.send', { file: file('Six') });
    await h.call('socket.close', { id: six.session!.id });
    expect((await peers.tcp.received()).map((g) => [...g.bytes])).toEqual([[...Buffer.from('Hello\r\n')]]);
    expect((await peers.udp.received()).map((g) => [...g.bytes])).toEqual([[0x00, 0x5c, 0x6e, 0xff, 0x7f], [...Buffer.from('a/b')], [0x0a, 0x0b, 0x0c]]);
    expect((await peers.tcp6.received()).map((g) => [...g.bytes])).toEqual([[0x36]]);
  });

  it('exports packets.ini that packetsender -n sends byte for byte: every byte value, names that need every escape', { timeout: 120_000 }, async () => {
    const h = bench();
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const cases: { packet: SavedPacket; bytes: Buffer; kind: 'tcp' | 'udp' }[] = [
      { packet: { name: 'All 256, bytes; = "quoted" \\ é 中', protocol: 'tcp', target: '', data: `hex:${all.toString('hex')}` }, bytes: all, kind: 'tcp' },
      { packet: { name: ' leading space', protocol: 'udp', target: '', data: 'ping\\r\\n' }, bytes: Buffer.from('ping\r\n'), kind: 'udp' },
      { packet: { name: 'Text, with escapes', protocol: 'tcp', target: '', data: 'a\\\\n\\0\\x7f{}', tags: ['x'] }, bytes: Buffer.from([0x61, 0x5c, 0x6e, 0x00, 0x7f, 0x7b, 0x7d]), kind: 'tcp' },
      { packet: { name: 'Repeat', protocol: 'udp', target: '', data: 'r', repeat: { intervalMs: 2500 } }, bytes: Buffer.from('r'), kind: 'udp' },
    ];
    for (const c of cases) {
      const peer = await pyPeer(c.kind);
      cleanups.push(peer.stop);
      const r = await h.call('packets.save', { packet: { ...c.packet, name: c.packet.name.trim(), target: `127.0.0.1:${peer.port}` } });
      expect(r.ok).toBe(true);
      const out = await h.call('packets.export', { format: 'packetsender-ini' });
      const dir = tmp();
      writeFileSync(join(dir, 'packets.ini'), out.text);
      const ps = await packetsender(dir, c.packet.name.trim());
      expect(ps.out).not.toMatch(/Error/);
      expect((await peer.received()).map((g) => g.bytes.toString('hex')), `${c.packet.name}: ${ps.out}\n${out.text}`).toEqual([c.bytes.toString('hex')]);
      // And our own reader takes the file back to the same packets.
      const back = bench();
      const again = await back.call('packets.import', { text: out.text, fileName: 'packets.ini' });
      expect(again.refused).toEqual([]);
      const { packets } = await back.call('packets.list', {});
      expect([...bytesOf(packets.find((p) => p.packet.name === c.packet.name.trim())!.packet)]).toEqual([...c.bytes]);
    }
    // AF_UNIX and raw packets have no Packet Sender equivalent: left out, and said so.
    await h.call('packets.save', { packet: { name: 'Local', protocol: 'unix-stream', target: '/tmp/x.sock', data: 'x' } });
    expect((await h.call('packets.export', { format: 'packetsender-ini' })).skipped).toEqual([{ name: 'Local', reason: 'Packet Sender has no unix-stream packets' }]);
  });

  it('JSON: exported as Packet Sender writes it and imported back to the same packets; its own export format imports', { timeout: 120_000 }, async () => {
    const h = bench();
    await h.call('packets.import', { text: ini({ tcp: 7000, udp: 7001, tcp6: 7002 }), fileName: 'packets.ini' });
    const before = (await h.call('packets.list', {})).packets.map((p) => p.packet);
    const json = await h.call('packets.export', { format: 'packetsender-json' });
    const doc = JSON.parse(json.text) as Record<string, string>[];
    const hello = doc.find((d) => d.name === 'Hello TCP')!;
    expect(hello).toMatchObject({ hexstring: '48 65 6C 6C 6F 0D 0A ', tcporudp: 'TCP', port: '7000', toip: '127.0.0.1', repeat: '0' });
    expect(Buffer.from(hello.asciistring!, 'base64').toString('latin1')).toBe('Hello\\r\\n');
    const back = bench();
    const r = await back.call('packets.import', { text: json.text, fileName: 'export.json' });
    expect(r.format).toBe('packetsender-json');
    expect(r.refused).toEqual([]);
    const after = (await back.call('packets.list', {})).packets.map((p) => p.packet);
    const key = (p: SavedPacket) => p.name;
    expect([...after].sort((a, b) => key(a).localeCompare(key(b)))).toEqual([...before].sort((a, b) => key(a).localeCompare(key(b))));
    // Hand-made JSON in Packet Sender's shape: numbers as numbers, data only in asciistring.
    const other = bench();
    const r2 = await other.call('packets.import', {
      text: JSON.stringify([{ name: 'From JSON', tcporudp: 'udp', toip: '127.0.0.1', port: 9999, repeat: 0, asciistring: Buffer.from('hi\\r\\n\\00').toString('base64') }]),
    });
    expect(r2).toMatchObject({ format: 'packetsender-json', took: [{ name: 'From JSON' }] });
    const p = (await other.call('packets.list', {})).packets[0]!.packet;
    expect([...bytesOf(p)]).toEqual([...Buffer.from('hi\r\n\0')]);
  });
});
