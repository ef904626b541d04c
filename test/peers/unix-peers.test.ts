// Sockbench's AF_UNIX sessions against real tools: Python's socket module for
// SOCK_SEQPACKET (message boundaries checked byte for byte on both sides),
// socat for AF_UNIX datagrams (UNIX-RECV, UNIX-SENDTO, UNIX-RECVFROM) and for
// AF_UNIX streams, ncat -U for AF_UNIX streams. Sockets live in a temp dir.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { harness, until } from '../support/engine-harness.js';
import { peerSuite, run } from '../support/peers.js';

let h: ReturnType<typeof harness>;
let dir: string;
const stops: (() => void)[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sockbench-unix-peers-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  stops.splice(0).forEach((s) => s());
  await h?.close();
});

const path = (name: string) => join(dir, name);
/** A peer's stream socket accepts only after listen(2), which comes after the bind that creates the file: wait for the kernel's listening flag (__SO_ACCEPTCON in /proc/net/unix). */
const listening = (file: string) =>
  readFileSync('/proc/net/unix', 'utf8').split('\n').some((l) => l.endsWith(` ${file}`) && l.split(/\s+/)[3] === '00010000');
const inbound = (id: number) => h.engine.get(id).data.toArray().filter((d) => d.dir === 'in');
const acceptedOf = (listenerId: number) => until(() => h.engine.list().find((s) => s.parent === listenerId), 'an accepted session');
/** Messages of very different sizes, random bytes (no zero-length one: Python reads b'' as the end). */
const messages = () => [randomBytes(1), randomBytes(3000), randomBytes(60_000)];
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function start(cmd: string, args: string[], input?: string) {
  const p = run(cmd, args, input);
  stops.push(p.stop);
  return p;
}

const PY_SEQ_SERVER = `
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(sys.argv[1]); s.listen(1)
print('ready', flush=True)
c, _ = s.accept()
got = []
while True:
    m = c.recv(1 << 20)
    if not m:
        break
    got.append(m.hex())
    c.send(m[::-1])  # one answer per message: the message reversed
print(json.dumps(got), flush=True)
c.close()
`;

const PY_SEQ_CLIENT = `
import json, socket, sys
msgs = [bytes.fromhex(m) for m in json.load(sys.stdin)]
c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
c.connect(sys.argv[1])
for m in msgs:
    c.send(m)
back = [c.recv(1 << 20).hex() for _ in msgs]  # each recv is exactly one message
print(json.dumps(back), flush=True)
c.close()
`;

const python = peerSuite('python3');
describe.skipIf(python.skip)(`${python.title}: AF_UNIX SOCK_SEQPACKET`, () => {
  it('a Sockbench client talks to a Python server: each message arrives whole on both sides', async () => {
    h = harness();
    const server = start('python3', ['-c', PY_SEQ_SERVER, path('py-srv.sock')]);
    await until(() => server.stdout().toString().startsWith('ready'), 'the Python server to listen');
    const c = await h.call('socket.create', { family: 'AF_UNIX', type: 'SOCK_SEQPACKET' });
    // An option set through the worker, read back through it (Linux doubles it).
    await h.call('socket.setsockopt', { id: c.id, option: 'SO_RCVBUF', value: 262_144 });
    expect((await h.call('socket.getsockopt', { id: c.id, option: 'SO_RCVBUF' })).value).toBe(524_288);
    await h.call('socket.connect', { id: c.id, address: path('py-srv.sock'), port: 0 });
    const sent = messages();
    for (const m of sent) await h.call('socket.sendall', { id: c.id, data: m });
    await until(() => inbound(c.id).length === 3, 'three answers from Python');
    inbound(c.id).forEach((d, i) => expect(hex(d.bytes)).toBe(hex(Buffer.from(sent[i]!).reverse())));
    await h.call('socket.shutdown', { id: c.id, how: 'SHUT_WR' });
    expect(await server.exited).toBe(0);
    const lines = server.stdout().toString().trim().split('\n');
    expect(JSON.parse(lines.at(-1)!)).toEqual(sent.map(hex));
    // Python closed after our SHUT_WR: both directions are done.
    await until(() => h.engine.get(c.id).state === 'closed', 'the session closed');
  });

  it('a Python client talks to a Sockbench listener (manual accept, echo): boundaries hold both ways', async () => {
    h = harness();
    const s = await h.call('socket.create', { family: 'AF_UNIX', type: 'SOCK_SEQPACKET' });
    await h.call('socket.bind', { id: s.id, address: path('sb-srv.sock'), port: 0 });
    await h.call('socket.listen', { id: s.id, backlog: 4, acceptMode: 'manual' });
    await h.call('socket.setServeMode', { id: s.id, mode: 'echo' });
    const sent = messages();
    const client = start('python3', ['-c', PY_SEQ_CLIENT, path('sb-srv.sock')], JSON.stringify(sent.map(hex)));
    await until(() => h.engine.get(s.id).info().pending === null, 'Python waiting in the accept queue');
    const acc = await h.call('socket.accept', { id: s.id });
    expect(acc.peer).toEqual({ family: 'AF_UNIX', address: '', port: 0 }); // Python did not bind
    expect(await client.exited).toBe(0);
    expect(JSON.parse(client.stdout().toString())).toEqual(sent.map(hex));
    await until(() => inbound(acc.id).length === 3, 'three messages at Sockbench');
    expect(inbound(acc.id).map((d) => hex(d.bytes))).toEqual(sent.map(hex));
    await until(() => h.engine.get(acc.id).state === 'half-closed', 'Python’s close seen as EOF');
  });
});

const socat = peerSuite('socat');
describe.skipIf(socat.skip)(`${socat.title}: AF_UNIX datagrams and streams`, () => {
  it('`socat -u UNIX-RECV:… -` receives what a Sockbench datagram session sends', async () => {
    h = harness();
    const peer = start('socat', ['-u', `UNIX-RECV:${path('socat-r.sock')}`, '-']);
    await until(() => existsSync(path('socat-r.sock')), 'socat to bind');
    const s = await h.call('socket.create', { family: 'AF_UNIX', type: 'SOCK_DGRAM' });
    const parts = ['first\n', 'second datagram\n', '\x00\xff\n'].map((p) => Buffer.from(p, 'latin1'));
    for (const p of parts) expect(await h.call('socket.sendto', { id: s.id, data: p, address: path('socat-r.sock'), port: 0 })).toEqual({ bytes: p.byteLength });
    const all = Buffer.concat(parts);
    await until(() => peer.stdout().length === all.length, 'the datagrams at socat');
    expect(peer.stdout().equals(all)).toBe(true);
    const out = h.engine.get(s.id).data.toArray().filter((d) => d.dir === 'out');
    expect(out.map((d) => [d.bytes.byteLength, d.addr?.address])).toEqual(parts.map((p) => [p.byteLength, path('socat-r.sock')]));
  });

  it('`socat - UNIX-SENDTO:…` sends to a Sockbench session: the source is socat\'s bound path, or unnamed', async () => {
    h = harness();
    const s = await h.call('socket.create', { family: 'AF_UNIX', type: 'SOCK_DGRAM' });
    await h.call('socket.bind', { id: s.id, address: path('sb-rx.sock'), port: 0 });
    start('socat', ['-u', '-', `UNIX-SENDTO:${path('sb-rx.sock')},bind=${path('socat-tx.sock')}`], 'from a bound socat');
    const named = await until(() => inbound(s.id)[0], 'the datagram from socat');
    expect(Buffer.from(named.bytes).toString()).toBe('from a bound socat');
    expect(named.addr).toEqual({ family: 'AF_UNIX', address: path('socat-tx.sock'), port: 0 });
    start('socat', ['-u', '-', `UNIX-SENDTO:${path('sb-rx.sock')}`], 'from an unbound socat');
    const unnamed = await until(() => inbound(s.id)[1], 'the second datagram');
    expect(Buffer.from(unnamed.bytes).toString()).toBe('from an unbound socat');
    expect(unnamed.addr).toEqual({ family: 'AF_UNIX', address: '', port: 0 });
  });

  it('a socat UNIX-RECVFROM echo server answers a Sockbench session at its path; recvfrom shows socat\'s', async () => {
    h = harness();
    start('socat', [`UNIX-RECVFROM:${path('socat-echo.sock')},fork`, 'EXEC:cat']);
    await until(() => existsSync(path('socat-echo.sock')), 'socat to bind');
    const s = await h.call('socket.create', { family: 'AF_UNIX', type: 'SOCK_DGRAM' });
    await h.call('socket.bind', { id: s.id, address: path('sb-client.sock'), port: 0 });
    await h.call('socket.setReadMode', { id: s.id, mode: 'manual' });
    await h.call('socket.settimeout', { id: s.id, timeoutMs: 5000 });
    const payload = randomBytes(700);
    await h.call('socket.sendto', { id: s.id, data: payload, address: path('socat-echo.sock'), port: 0 });
    const back = await h.call('socket.recvfrom', { id: s.id, bufsize: 4096 });
    expect(Buffer.from(back.data).equals(payload)).toBe(true);
    expect(back.from).toEqual({ family: 'AF_UNIX', address: path('socat-echo.sock'), port: 0 });
  });

  it('AF_UNIX streams: a Sockbench client against `socat UNIX-LISTEN … EXEC:cat`, and socat UNIX-CONNECT to a Sockbench listener', async () => {
    h = harness();
    start('socat', [`UNIX-LISTEN:${path('socat-l.sock')}`, 'EXEC:cat']);
    await until(() => listening(path('socat-l.sock')), 'socat to listen');
    const c = await h.call('socket.create', { family: 'AF_UNIX', type: 'SOCK_STREAM' });
    await h.call('socket.connect', { id: c.id, address: path('socat-l.sock'), port: 0 });
    const payload = randomBytes(200_000);
    await h.call('socket.sendall', { id: c.id, data: payload });
    await until(() => h.received(c.id).length === payload.length, 'the echo from socat');
    expect(h.received(c.id).equals(payload)).toBe(true);

    const l = await h.call('socket.create', { family: 'AF_UNIX', type: 'SOCK_STREAM' });
    await h.call('socket.bind', { id: l.id, address: path('sb-l.sock'), port: 0 });
    await h.call('socket.listen', { id: l.id, backlog: 4 });
    await h.call('socket.setServeMode', { id: l.id, mode: 'echo' });
    const peer = start('socat', ['-t', '3', '-', `UNIX-CONNECT:${path('sb-l.sock')}`]);
    const sent = randomBytes(10_000);
    peer.proc.stdin!.end(sent);
    await until(() => peer.stdout().length === sent.length, 'the echo at socat');
    expect(peer.stdout().equals(sent)).toBe(true);
    const acc = await acceptedOf(l.id);
    expect(h.received(acc.id).equals(sent)).toBe(true);
  });
});

const ncat = peerSuite('ncat');
describe.skipIf(ncat.skip)(`${ncat.title}: AF_UNIX streams`, () => {
  it('a Sockbench client reads what `ncat -lU` sends; `ncat -U` sends to a Sockbench listener', async () => {
    h = harness();
    start('ncat', ['-lU', path('ncat-l.sock'), '--send-only'], 'from ncat over a Unix socket\n');
    await until(() => listening(path('ncat-l.sock')), 'ncat to listen');
    const c = await h.call('socket.create', { family: 'AF_UNIX', type: 'SOCK_STREAM' });
    await h.call('socket.connect', { id: c.id, address: path('ncat-l.sock'), port: 0 });
    await until(() => h.engine.get(c.id).state === 'half-closed', 'ncat to finish');
    expect(h.received(c.id).toString()).toBe('from ncat over a Unix socket\n');

    const l = await h.call('socket.create', { family: 'AF_UNIX', type: 'SOCK_STREAM' });
    await h.call('socket.bind', { id: l.id, address: path('sb-ncat.sock'), port: 0 });
    await h.call('socket.listen', { id: l.id, backlog: 4 });
    start('ncat', ['-U', path('sb-ncat.sock'), '--send-only'], 'to Sockbench\n');
    const acc = await acceptedOf(l.id);
    await until(() => h.received(acc.id).toString() === 'to Sockbench\n', 'ncat’s bytes');
    await until(() => h.engine.get(acc.id).state === 'half-closed', 'ncat’s end of stream');
  });
});
