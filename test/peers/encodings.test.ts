// Text encodings and appended checksums against Python: the bytes that reach
// a Python peer equal Python's own str.encode(...) (plus the checksum Python
// computes itself with binascii, zlib or a few lines of its own), sent through
// the bridge exactly as the composer builds them and through the CLI; and
// text Python sends one byte per send comes out whole, through the CLI and
// through the data log's decoder.
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { showText, TEXT_ENCODINGS, APPEND_NAMES, type AppendName, type TextEncodingName } from '../../shared/codec/index.js';
import type { DataEntry } from '../../shared/contract/index.js';
import { Ring } from '../../shared/ring.js';
import { LogText } from '../../renderer/src/lib/log-text.js';
import { draftBytes, type Draft } from '../../renderer/src/stores/composer.js';
import { harness, until } from '../support/engine-harness.js';
import { peerSuite, run } from '../support/peers.js';
import { PYTHON_CODECS, SAMPLES } from '../support/text-samples.js';

const CLI = 'dist/cli.cjs';

interface Case {
  name: string;
  text: string;
  codec: string;
  append?: AppendName;
}

/** Accepts one connection per case, reads it to EOF, and says whether the bytes are the text Python encodes plus the checksum Python computes. */
const PY_CHECK = String.raw`
import binascii, functools, json, socket, sys, zlib
cases = json.loads(sys.stdin.read())
def appendix(name, d):
    if name is None: return b''
    if name == 'crc16-modbus':
        c = 0xffff
        for b in d:
            c ^= b
            for _ in range(8): c = (c >> 1) ^ 0xa001 if c & 1 else c >> 1
        return c.to_bytes(2, 'little')
    if name == 'crc16-ccitt-false': return binascii.crc_hqx(d, 0xffff).to_bytes(2, 'big')
    if name == 'crc16-xmodem': return binascii.crc_hqx(d, 0).to_bytes(2, 'big')
    if name == 'crc32': return zlib.crc32(d).to_bytes(4, 'big')
    if name == 'sum8': return bytes([sum(d) & 0xff])
    if name == 'xor8': return bytes([functools.reduce(lambda a, b: a ^ b, d, 0)])
    if name == 'lrc': return bytes([-sum(d) & 0xff])
    return {'cr': b'\r', 'lf': b'\n', 'crlf': b'\r\n'}[name]
srv = socket.socket()
srv.bind(('127.0.0.1', 0))
srv.listen(8)
print(srv.getsockname()[1], flush=True)
for case in cases:
    c, _ = srv.accept()
    got = b''
    while True:
        b = c.recv(65536)
        if not b: break
        got += b
    c.close()
    body = case['text'].encode(case['codec'])
    want = body + appendix(case.get('append'), body)
    print(json.dumps({'name': case['name'], 'same': got == want, 'got': got.hex(), 'want': want.hex()}), flush=True)
`;

/**
 * For each case, accepts a connection, waits for the client's first byte (so
 * it is reading), sends the text Python encodes one byte per send (no Nagle,
 * a few ms apart), then closes.
 */
const PY_SEND = String.raw`
import json, socket, sys, time
cases = json.loads(sys.stdin.read())
srv = socket.socket()
srv.bind(('127.0.0.1', 0))
srv.listen(8)
print(srv.getsockname()[1], flush=True)
for case in cases:
    c, _ = srv.accept()
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    c.recv(1)
    for b in case['text'].encode(case['codec']):
        c.sendall(bytes([b]))
        time.sleep(0.004)
    c.close()
`;

const ENCODING_CASES: Case[] = TEXT_ENCODINGS.map((e) => ({ name: e, text: SAMPLES[e], codec: PYTHON_CODECS[e] }));
const CHECKSUM_CASES: Case[] = APPEND_NAMES.map((a) => ({ name: a, text: 'Modbus? 123456789', codec: 'utf-8', append: a }));

/** Starts a Python peer for the cases; resolves with its port and its report lines. */
async function python(script: string, cases: Case[]) {
  const p = run('python3', ['-c', script], JSON.stringify(cases));
  await until(() => /^\d+\n/.test(p.stdout().toString()), 'the Python peer to listen', 10_000);
  const port = Number(p.stdout().toString().split('\n')[0]);
  const reports = () => p.stdout().toString().trim().split('\n').slice(1).filter(Boolean).map((l) => JSON.parse(l) as { name: string; same: boolean; got: string; want: string });
  return { port, reports, exited: p.exited, stop: p.stop };
}

const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { timeout: 20_000 });

let stop: (() => void) | undefined;
let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  stop?.();
  await close?.();
  stop = close = undefined;
});

/** Sends each case's bytes (as the composer builds them) through the bridge on a fresh TCP session. */
async function sendThroughBridge(port: number, cases: Case[], draftOf: (c: Case) => Draft): Promise<void> {
  const h = harness();
  close = () => h.close();
  for (const c of cases) {
    const built = draftBytes(draftOf(c));
    if (!built.ok) throw new Error(`${c.name}: ${built.error.message}`);
    const s = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
    await h.call('socket.connect', { id: s.id, address: '127.0.0.1', port });
    await h.call('socket.sendall', { id: s.id, data: built.bytes });
    await h.call('socket.shutdown', { id: s.id, how: 'SHUT_WR' });
    await until(() => h.engine.get(s.id).info().state === 'closed', `${c.name}: Python closing`);
  }
}

const draft = (text: string, encoding: TextEncodingName, append: Draft['append'] = 'none', mode: Draft['mode'] = 'text'): Draft => ({
  text, mode, encoding, append, clearAfterSend: false, address: '', port: '', history: [],
});

const py = peerSuite('python3');
describe.skipIf(py.skip)(`${py.title}: text encodings and checksums`, () => {
  it('through the bridge: each encoding reaches Python as its own str.encode()', async () => {
    const peer = await python(PY_CHECK, ENCODING_CASES);
    stop = peer.stop;
    // The composer's text is written with escapes: a backslash in a sample would need doubling (none has one).
    await sendThroughBridge(peer.port, ENCODING_CASES, (c) => draft(c.text, c.name as TextEncodingName));
    expect(await peer.exited).toBe(0);
    expect(peer.reports().map((r) => [r.name, r.same ? 'same' : `${r.got} ≠ ${r.want}`])).toEqual(ENCODING_CASES.map((c) => [c.name, 'same']));
  });

  it('through the CLI: --send TEXT --encoding NAME reaches Python as its own str.encode()', async () => {
    const peer = await python(PY_CHECK, ENCODING_CASES);
    stop = peer.stop;
    for (const c of ENCODING_CASES) {
      const r = cli(['connect', 'tcp', `127.0.0.1:${peer.port}`, '--send', c.text, '--encoding', c.name]);
      expect(r.status, String(r.stderr)).toBe(0);
    }
    expect(await peer.exited).toBe(0);
    expect(peer.reports().map((r) => [r.name, r.same ? 'same' : `${r.got} ≠ ${r.want}`])).toEqual(ENCODING_CASES.map((c) => [c.name, 'same']));
  });

  it('every appended checksum is the one Python computes, through the bridge and through the CLI', async () => {
    const peer = await python(PY_CHECK, [...CHECKSUM_CASES, ...CHECKSUM_CASES]);
    stop = peer.stop;
    await sendThroughBridge(peer.port, CHECKSUM_CASES, (c) => draft(c.text, 'utf-8', c.append));
    for (const c of CHECKSUM_CASES) {
      const r = cli(['connect', 'tcp', `127.0.0.1:${peer.port}`, '--send', c.text, '--append', c.append!]);
      expect(r.status, String(r.stderr)).toBe(0);
    }
    expect(await peer.exited).toBe(0);
    const want = CHECKSUM_CASES.map((c) => [c.name, 'same']);
    expect(peer.reports().map((r) => [r.name, r.same ? 'same' : `${r.got} ≠ ${r.want}`])).toEqual([...want, ...want]);
  });

  it('through the CLI: text Python sends a byte at a time prints whole with --encoding', async () => {
    const peer = await python(PY_SEND, ENCODING_CASES);
    stop = peer.stop;
    let reads = 0;
    for (const c of ENCODING_CASES) {
      const r = cli(['connect', 'tcp', `127.0.0.1:${peer.port}`, '--send', 'hex:67', '--encoding', c.name, '--json']);
      expect(r.status, String(r.stderr)).toBe(0);
      const data = String(r.stdout).trim().split('\n').map((l) => JSON.parse(l) as { event: string; text?: string }).filter((l) => l.event === 'data');
      reads += data.length;
      // Each read prints only whole characters; together they are the text.
      for (const d of data) expect(d.text).not.toContain('\ufffd');
      expect(data.map((d) => d.text).join(''), c.name).toBe(c.text);
    }
    // The peer sent one byte at a time: the reads were many (how many exactly is the kernel's and the scheduler's business).
    expect(reads).toBeGreaterThan(ENCODING_CASES.length * 2);
    expect(await peer.exited).toBe(0);
    // Plain mode prints the text itself, as UTF-8.
    const again = await python(PY_SEND, [ENCODING_CASES.find((c) => c.name === 'gbk')!]);
    stop = again.stop;
    const r = cli(['connect', 'tcp', `127.0.0.1:${again.port}`, '--send', 'hex:67', '--encoding', 'gbk']);
    expect(String(r.stdout)).toBe(SAMPLES.gbk);
  });

  it('through the bridge: the data log shows what Python sends a byte at a time as whole text', async () => {
    const peer = await python(PY_SEND, ENCODING_CASES);
    stop = peer.stop;
    const h = harness();
    close = () => h.close();
    for (const c of ENCODING_CASES) {
      const s = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
      await h.call('socket.connect', { id: s.id, address: '127.0.0.1', port: peer.port });
      await h.call('socket.sendall', { id: s.id, data: Uint8Array.of(0x67) });
      await until(() => ['half-closed', 'closed'].includes(h.engine.get(s.id).info().state), `${c.name}: Python closing`);
      const ring = new Ring<DataEntry>(100_000);
      for (const e of h.of('session.data', s.id)) if (e.dir === 'in') ring.push(e);
      const log = new LogText(c.name as TextEncodingName, true, null);
      const rows = Array.from({ length: ring.length }, (_, i) => log.text(ring, i));
      expect(rows.length, `${c.name}: several reads`).toBeGreaterThan(1);
      expect(rows.join(''), c.name).toBe(showText(c.text));
      for (const row of rows) expect(row).not.toContain('\ufffd');
      await h.call('socket.close', { id: s.id });
    }
    expect(await peer.exited).toBe(0);
  });
});
