// Sessions in the socket worker, driven through the router as the renderer
// drives them: AF_UNIX SOCK_SEQPACKET (message boundaries, manual accept from
// the kernel's queue, MSG_TRUNC, SHUT_WR), AF_UNIX SOCK_DGRAM (senders' paths,
// unnamed senders, abstract names), socket options through the worker, and a
// SIGKILLed worker costing its sessions only. Real Unix sockets in a temp dir.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CallError} from '../../shared/contract/index.js';
import { type SessionInfo } from '../../shared/contract/index.js';
import { harness, rejection, text, until } from '../../test/support/engine-harness.js';

let h: ReturnType<typeof harness>;
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sockbench-wsess-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await h?.close();
});

const path = (name: string) => join(dir, name);
const abstract = (name: string) => `@sockbench-test-${process.pid}-${name}`;

const inbound = (id: number) => h.engine.get(id).data.toArray().filter((d) => d.dir === 'in');
const lastTrace = (id: number, call: string) => [...h.engine.get(id).trace].reverse().find((t) => t.call === call);

async function seqListener(name: string, acceptMode: 'auto' | 'manual') {
  const s = await h.call('socket.create', { family: 'AF_UNIX', type: 'SOCK_SEQPACKET' });
  await h.call('socket.bind', { id: s.id, address: path(name), port: 0 });
  return h.call('socket.listen', { id: s.id, backlog: 4, acceptMode });
}

async function seqClient(name: string) {
  const c = await h.call('socket.create', { family: 'AF_UNIX', type: 'SOCK_SEQPACKET' });
  return h.call('socket.connect', { id: c.id, address: path(name), port: 0 });
}

/** A connected seqpacket pair: the client and the listener's accepted session. */
async function seqPair(name: string) {
  const srv = await seqListener(name, 'auto');
  const cli = await seqClient(name);
  const peer = await until(() => h.engine.list().find((s) => s.parent === srv.id)?.info(), 'the connection accepted');
  return { srv, cli, peer };
}

describe('AF_UNIX SOCK_SEQPACKET sessions in the socket worker', () => {
  it('three messages of different sizes arrive as three entries, byte for byte; manual accept takes from the queue', async () => {
    h = harness();
    const srv = await seqListener('seq.sock', 'manual');
    expect(srv).toMatchObject({ state: 'listening', acceptMode: 'manual', pending: 0, local: { family: 'AF_UNIX', address: path('seq.sock'), port: 0 } });
    expect(srv.fd).toBeUndefined(); // the descriptor lives in the worker

    const cli = await seqClient('seq.sock');
    expect(cli).toMatchObject({ state: 'connected', peer: { address: path('seq.sock') } });
    // AF_UNIX cannot count its queue: null means "some are waiting".
    await until(() => h.engine.get(srv.id).info().pending === null, 'the listener to see a waiting connection');
    expect(h.engine.list().filter((s) => s.parent === srv.id)).toHaveLength(0);

    const peer = await h.call('socket.accept', { id: srv.id });
    expect(peer).toMatchObject({ state: 'connected', parent: srv.id, type: 'SOCK_SEQPACKET', peer: { address: '' } });
    await until(() => h.engine.get(srv.id).info().pending === 0, 'the queue empty again');

    const messages = [randomBytes(1), randomBytes(4096), randomBytes(150_000)];
    for (const m of messages) expect(await h.call('socket.send', { id: cli.id, data: m })).toEqual({ bytes: m.byteLength });
    await until(() => inbound(peer.id).length === 3, 'three messages');
    const got = inbound(peer.id);
    expect(got.map((d) => d.bytes.byteLength)).toEqual([1, 4096, 150_000]);
    got.forEach((d, i) => expect(Buffer.from(d.bytes).equals(messages[i]!)).toBe(true));
    expect(h.engine.get(peer.id).counters).toMatchObject({ bytesIn: 154_097, chunksIn: 3 });
    expect(h.engine.get(cli.id).counters).toMatchObject({ bytesOut: 154_097, chunksOut: 3 });

    // Manual accept honours the timeout: 0 gives EAGAIN, a number ETIMEDOUT.
    await h.call('socket.setblocking', { id: srv.id, flag: false });
    expect((await rejection(h.call('socket.accept', { id: srv.id }))).error.errno?.name).toBe('EAGAIN');
    await h.call('socket.settimeout', { id: srv.id, timeoutMs: 100 });
    expect((await rejection(h.call('socket.accept', { id: srv.id }))).error.errno?.name).toBe('ETIMEDOUT');
    // A blocking accept waits for the next connection.
    await h.call('socket.settimeout', { id: srv.id, timeoutMs: 5000 });
    const waiting = h.call('socket.accept', { id: srv.id });
    await seqClient('seq.sock');
    expect(await waiting).toMatchObject({ state: 'connected', parent: srv.id });
    const calls = h.engine.get(srv.id).trace.map((t) => `${t.call}:${t.ok ? 'ok' : t.errno?.name}`);
    expect(calls).toEqual(expect.arrayContaining(['listen:ok', 'accept:ok', 'accept:EAGAIN', 'accept:ETIMEDOUT']));

    // Switching to auto accept takes what waits, as its own sessions.
    await seqClient('seq.sock');
    await until(() => h.engine.get(srv.id).info().pending === null, 'one waiting');
    await h.call('socket.setAcceptMode', { id: srv.id, mode: 'auto' });
    await until(() => h.engine.list().filter((s) => s.parent === srv.id).length === 3, 'the waiting one accepted');
    expect((await rejection(h.call('socket.accept', { id: srv.id }))).message).toMatch(/auto-accept is on/);
  });

  it('recv(bufsize) shorter than a message shows the truncation; timeouts as the seed says; SHUT_WR gives the peer EOF', async () => {
    h = harness();
    const { cli, peer } = await seqPair('trunc.sock');
    await h.call('socket.setReadMode', { id: peer.id, mode: 'manual' });
    const forty = randomBytes(40);
    await h.call('socket.send', { id: cli.id, data: forty });
    await h.call('socket.send', { id: cli.id, data: text('next') });
    const first = await h.call('socket.recv', { id: peer.id, bufsize: 16 });
    expect(Buffer.from(first.data).equals(forty.subarray(0, 16))).toBe(true);
    expect(lastTrace(peer.id, 'recv')?.result).toBe('16 of 40 bytes (the rest of the message was discarded: MSG_TRUNC)');
    // The rest of that message is gone: the next recv gets the next message.
    expect(Buffer.from((await h.call('socket.recv', { id: peer.id, bufsize: 100 })).data).toString()).toBe('next');
    expect(lastTrace(peer.id, 'recv')?.result).toBe('4 bytes');

    await h.call('socket.setblocking', { id: peer.id, flag: false });
    expect((await rejection(h.call('socket.recv', { id: peer.id, bufsize: 10 }))).error).toMatchObject({ code: 'OS_ERROR', errno: { name: 'EAGAIN', number: 11 } });
    await h.call('socket.settimeout', { id: peer.id, timeoutMs: 80 });
    expect((await rejection(h.call('socket.recv', { id: peer.id, bufsize: 10 }))).error.errno?.name).toBe('ETIMEDOUT');
    // A blocking recv gets a message sent while it waits; a zero-length message is data, not EOF.
    await h.call('socket.settimeout', { id: peer.id, timeoutMs: null });
    const waiting = h.call('socket.recv', { id: peer.id, bufsize: 10 });
    await h.call('socket.send', { id: cli.id, data: new Uint8Array(0) });
    expect((await waiting).data.byteLength).toBe(0);
    expect(h.engine.get(peer.id).info().state).toBe('connected');

    // SHUT_WR: the peer reads end of stream and shows half-closed; we can still receive.
    await h.call('socket.shutdown', { id: cli.id, how: 'SHUT_WR' });
    expect(h.engine.get(cli.id).info().state).toBe('half-closed');
    expect((await h.call('socket.recv', { id: peer.id, bufsize: 10 })).data.byteLength).toBe(0);
    expect(lastTrace(peer.id, 'recv')?.result).toMatch(/^0 bytes \(end of stream/);
    await until(() => h.engine.get(peer.id).info().state === 'half-closed', 'the peer half-closed');
    expect((await rejection(h.call('socket.send', { id: cli.id, data: text('x') }))).error.errno?.name).toBe('EPIPE');
    await h.call('socket.send', { id: peer.id, data: text('back') });
    await until(() => inbound(cli.id).length === 1, 'the reply after SHUT_WR');
    // Both directions done on the peer's side once it shuts down too: closed.
    await h.call('socket.shutdown', { id: peer.id, how: 'SHUT_WR' });
    expect(h.engine.get(peer.id).info().state).toBe('closed');
  });

  it('auto-read: the peer closing shows as EOF; echo keeps message boundaries; illegal calls get the kernel\'s errno', async () => {
    h = harness();
    const srv = await seqListener('echo.sock', 'auto');
    await h.call('socket.setServeMode', { id: srv.id, mode: 'echo' });
    const cli = await seqClient('echo.sock');
    const messages = ['a', 'bb', 'c'.repeat(3000)].map(text);
    for (const m of messages) await h.call('socket.sendall', { id: cli.id, data: m });
    await until(() => inbound(cli.id).length === 3, 'three echoes');
    expect(inbound(cli.id).map((d) => d.bytes.byteLength)).toEqual([1, 2, 3000]);
    const peer = h.engine.list().find((s) => s.parent === srv.id)!;
    expect(peer.info().serve).toEqual({ mode: 'echo', replyBytes: 0 });
    await h.call('socket.close', { id: cli.id });
    await until(() => peer.state === 'half-closed', 'EOF at the accepted session');
    expect(peer.trace.some((t) => t.call === 'recv' && /no more messages will arrive/.test(t.result ?? ''))).toBe(true);

    // The kernel's answers, through the worker; a refused call leaves the state as it was.
    const refused = await rejection(h.call('socket.connect', { id: srv.id, address: path('echo.sock'), port: 0 }));
    expect(refused.error.errno?.name).toBe('EINVAL');
    expect(h.engine.get(srv.id).info()).toMatchObject({ state: 'listening' });
    const lone = await h.call('socket.create', { family: 'AF_UNIX', type: 'SOCK_SEQPACKET' });
    expect((await rejection(h.call('socket.send', { id: lone.id, data: text('x') }))).error.errno?.name).toBe('ENOTCONN');
    expect((await rejection(h.call('socket.listen', { id: lone.id, backlog: 1 }))).error.errno?.name).toBe('EINVAL');
    const missing = await rejection(h.call('socket.connect', { id: lone.id, address: path('nobody.sock'), port: 0 }));
    expect(missing.error).toMatchObject({ code: 'OS_ERROR', errno: { name: 'ENOENT' }, field: 'address' });
    expect(missing.message).toMatch(/no socket exists at that path/);
    // A file that is not a listening socket: connect_ex returns the errno.
    const stale = await h.call('socket.create', { family: 'AF_UNIX', type: 'SOCK_SEQPACKET' });
    await h.call('socket.bind', { id: stale.id, address: path('stale.sock'), port: 0 });
    const ex = await h.call('socket.connect_ex', { id: (await h.call('socket.create', { family: 'AF_UNIX', type: 'SOCK_SEQPACKET' })).id, address: path('stale.sock'), port: 0 });
    expect(ex.errno).toEqual({ name: 'ECONNREFUSED', number: 111 });
    // Binding twice, or to a taken path.
    expect((await rejection(h.call('socket.bind', { id: stale.id, address: path('other.sock'), port: 0 }))).error.errno?.name).toBe('EINVAL');
    writeFileSync(path('plain-file'), 'x');
    expect((await rejection(h.call('socket.bind', { id: lone.id, address: path('plain-file'), port: 0 }))).error).toMatchObject({ errno: { name: 'EADDRINUSE' }, field: 'address' });
    expect((await rejection(h.call('socket.bind', { id: lone.id, address: '127.0.0.1', port: 0 }))).error.errno?.name).toBe('EAFNOSUPPORT');
    expect((await rejection(h.call('socket.getpeername', { id: lone.id }))).error.errno?.name).toBe('ENOTCONN');
  });

  it('SO_RCVBUF set and read back through the worker, and fileno() is none here', async () => {
    h = harness();
    const { cli } = await seqPair('opt.sock');
    const set = await h.call('socket.setsockopt', { id: cli.id, option: 'SO_RCVBUF', value: 65536 });
    expect(set.option).toBe('SO_RCVBUF');
    const got = await h.call('socket.getsockopt', { id: cli.id, option: 'SO_RCVBUF' });
    expect(got.value).toBe(131072); // Linux doubles it
    expect((await h.call('socket.getsockopt', { id: cli.id, option: 'SO_TYPE' })).value).toBe('SOCK_SEQPACKET');
    const raw = await h.call('socket.getsockoptRaw', { id: cli.id, level: 1, optname: 8, maxLen: 4 }); // SOL_SOCKET, SO_RCVBUF
    expect(Buffer.from(raw.data).readInt32LE(0)).toBe(131072);
    const trace = h.engine.get(cli.id).trace.filter((t) => t.call === 'setsockopt' || t.call === 'getsockopt');
    expect(trace.map((t) => t.ok)).toEqual([true, true, true, true]);
    expect(h.engine.get(cli.id).info().fd).toBeUndefined();
    // A closed session refuses as the kernel would.
    await h.call('socket.close', { id: cli.id });
    expect((await rejection(h.call('socket.getsockopt', { id: cli.id, option: 'SO_RCVBUF' }))).error.errno?.name).toBe('EBADF');
  });
});

describe('AF_UNIX SOCK_DGRAM sessions in the socket worker', () => {
  async function dgram(address?: string) {
    const s = await h.call('socket.create', { family: 'AF_UNIX', type: 'SOCK_DGRAM' });
    return address === undefined ? s : h.call('socket.bind', { id: s.id, address, port: 0 });
  }

  it('recvfrom shows each sender\'s path, or unnamed for an unbound sender; a short buffer shows MSG_TRUNC', async () => {
    h = harness();
    const rx = await dgram(path('rx.sock'));
    expect(rx).toMatchObject({ state: 'bound', local: { family: 'AF_UNIX', address: path('rx.sock'), port: 0 } });
    await h.call('socket.setReadMode', { id: rx.id, mode: 'manual' });
    const a = await dgram(path('a.sock'));
    const b = await dgram(path('b.sock'));
    const anon = await dgram();
    await h.call('socket.sendto', { id: a.id, data: text('from a'), address: path('rx.sock'), port: 0 });
    await h.call('socket.sendto', { id: b.id, data: text('from b'), address: path('rx.sock'), port: 0 });
    await h.call('socket.sendto', { id: anon.id, data: text('from nobody'), address: path('rx.sock'), port: 0 });
    await h.call('socket.sendto', { id: a.id, data: randomBytes(40), address: path('rx.sock'), port: 0 });

    const r1 = await h.call('socket.recvfrom', { id: rx.id, bufsize: 64 });
    expect([Buffer.from(r1.data).toString(), r1.from]).toEqual(['from a', { family: 'AF_UNIX', address: path('a.sock'), port: 0 }]);
    expect(lastTrace(rx.id, 'recvfrom')?.result).toBe(`6 bytes from ${path('a.sock')}`);
    const r2 = await h.call('socket.recvfrom', { id: rx.id, bufsize: 64 });
    expect(r2.from.address).toBe(path('b.sock'));
    const r3 = await h.call('socket.recvfrom', { id: rx.id, bufsize: 64 });
    expect([Buffer.from(r3.data).toString(), r3.from.address]).toEqual(['from nobody', '']);
    expect(lastTrace(rx.id, 'recvfrom')?.result).toBe('11 bytes from (unnamed)');
    const r4 = await h.call('socket.recvfrom', { id: rx.id, bufsize: 16 });
    expect(r4.data.byteLength).toBe(16);
    expect(lastTrace(rx.id, 'recvfrom')?.result).toBe(`16 of 40 bytes from ${path('a.sock')} (the rest of the datagram was discarded: MSG_TRUNC)`);
    // Each datagram is one entry in the data log, with its source.
    expect(inbound(rx.id).map((d) => [d.bytes.byteLength, d.addr?.address])).toEqual([[6, path('a.sock')], [6, path('b.sock')], [11, ''], [16, path('a.sock')]]);
    await h.call('socket.setblocking', { id: rx.id, flag: false });
    expect((await rejection(h.call('socket.recvfrom', { id: rx.id, bufsize: 64 }))).error.errno?.name).toBe('EAGAIN');

    // The kernel's answers: nobody at the path; listen on a datagram socket; send without a peer.
    const gone = await rejection(h.call('socket.sendto', { id: a.id, data: text('x'), address: path('nobody.sock'), port: 0 }));
    expect(gone.error).toMatchObject({ errno: { name: 'ENOENT' }, field: 'address' });
    expect((await rejection(h.call('socket.listen', { id: a.id, backlog: 1 }))).error.errno?.name).toBe('EOPNOTSUPP');
    expect((await rejection(h.call('socket.send', { id: a.id, data: text('x') }))).error.errno?.name).toBe('ENOTCONN');
    // A seqpacket listener is not a datagram socket: EPROTOTYPE.
    await seqListener('seq-for-dgram.sock', 'auto');
    expect((await rejection(h.call('socket.sendto', { id: a.id, data: text('x'), address: path('seq-for-dgram.sock'), port: 0 }))).error.errno?.name).toBe('EPROTOTYPE');
  });

  it('abstract names, auto-read with one entry per datagram, echo to the sender, and a connected sender', async () => {
    h = harness();
    const rx = await dgram(abstract('rx'));
    expect(rx.local?.address).toBe(abstract('rx'));
    await h.call('socket.setServeMode', { id: rx.id, mode: 'echo' });
    const tx = await dgram(abstract('tx'));
    const sizes = [0, 1, 500, 100_000];
    const sent = sizes.map((n) => randomBytes(n));
    for (const d of sent) await h.call('socket.sendto', { id: tx.id, data: d, address: abstract('rx'), port: 0 });
    await until(() => inbound(rx.id).length === 4, 'four datagrams');
    const got = inbound(rx.id);
    expect(got.map((d) => d.bytes.byteLength)).toEqual(sizes);
    got.forEach((d, i) => {
      expect(Buffer.from(d.bytes).equals(sent[i]!)).toBe(true);
      expect(d.addr).toEqual({ family: 'AF_UNIX', address: abstract('tx'), port: 0 });
    });
    // Echo went back to the sender's abstract name, datagram by datagram.
    await until(() => inbound(tx.id).length === 4, 'four echoes');
    expect(inbound(tx.id).map((d) => d.bytes.byteLength)).toEqual(sizes);

    // An unnamed sender cannot be answered: the trace says so.
    const anon = await dgram();
    await h.call('socket.sendto', { id: anon.id, data: text('hi'), address: abstract('rx'), port: 0 });
    await until(() => h.engine.get(rx.id).trace.some((t) => t.call === 'sendto' && t.errno?.name === 'EDESTADDRREQ'), 'the refused echo');

    // connect sets the default peer: send and getpeername work, sendto elsewhere too.
    const c = await dgram();
    const conn = await h.call('socket.connect', { id: c.id, address: abstract('rx'), port: 0 });
    expect(conn).toMatchObject({ state: 'connected', peer: { address: abstract('rx') } });
    expect(await h.call('socket.send', { id: c.id, data: text('via connect') })).toEqual({ bytes: 11 });
    expect(await h.call('socket.getpeername', { id: c.id })).toEqual({ family: 'AF_UNIX', address: abstract('rx'), port: 0 });
    await until(() => inbound(rx.id).some((d) => Buffer.from(d.bytes).toString() === 'via connect' && d.addr?.address === ''), 'the connected send');
  });
});

describe('a socket worker that dies', () => {
  it('SIGKILL mid-transfer: worker sessions go to error with its message, TCP is untouched, new sessions work', async () => {
    h = harness();
    // A TCP pair in the same engine (Node's net, not the worker).
    const tcpSrv = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
    await h.call('socket.bind', { id: tcpSrv.id, address: '127.0.0.1', port: 0 });
    const tcpListening = await h.call('socket.listen', { id: tcpSrv.id, backlog: 4 });
    const tcpCli = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
    await h.call('socket.connect', { id: tcpCli.id, address: '127.0.0.1', port: tcpListening.local!.port });
    const tcpPeer = await until(() => h.engine.list().find((s) => s.parent === tcpSrv.id), 'the TCP connection');

    // Seqpacket mid-transfer: the peer does not read, the client's sendall waits for room.
    const { srv, cli, peer } = await seqPair('kill.sock');
    await h.call('socket.setReadMode', { id: peer.id, mode: 'manual' });
    const rx = await h.call('socket.create', { family: 'AF_UNIX', type: 'SOCK_DGRAM' });
    await h.call('socket.bind', { id: rx.id, address: path('kill-rx.sock'), port: 0 });
    await h.call('socket.setblocking', { id: cli.id, flag: false });
    const chunk = new Uint8Array(32 * 1024);
    let full = false;
    for (let i = 0; i < 2000 && !full; i++) {
      full = await h.call('socket.send', { id: cli.id, data: chunk }).then(() => false, (e: CallError) => e.error.errno?.name === 'EAGAIN');
    }
    expect(full).toBe(true);
    await h.call('socket.setblocking', { id: cli.id, flag: true });
    const stuck = rejection(h.call('socket.sendall', { id: cli.id, data: chunk }));

    const sw = h.engine.socketWorker!;
    const pid = sw.pid!;
    process.kill(pid, 'SIGKILL');
    const message = "the socket worker died (SIGKILL); this session's socket was lost";
    expect((await stuck).message).toBe(message);
    const lost = [srv.id, cli.id, peer.id, rx.id];
    await until(() => lost.every((id) => h.engine.get(id).state === 'error'), 'every worker session in error');
    for (const id of lost) {
      const info: SessionInfo = h.engine.get(id).info();
      expect(info.lastError?.message).toBe(message);
      expect(h.engine.get(id).trace.at(-1)).toMatchObject({ ok: false, message });
    }
    // Calls on a lost session say why; close still works.
    expect((await rejection(h.call('socket.send', { id: peer.id, data: text('x') }))).error).toMatchObject({ errno: { name: 'EBADF' }, message: expect.stringContaining('SIGKILL') });
    await h.call('socket.close', { id: peer.id });

    // TCP keeps working.
    expect(h.engine.get(tcpCli.id).state).toBe('connected');
    await h.call('socket.sendall', { id: tcpCli.id, data: text('still here') });
    await until(() => Buffer.from(h.received(tcpPeer.id)).toString() === 'still here', 'TCP data after the crash');

    // The worker restarted; a new seqpacket pair works.
    const again = await seqPair('after.sock');
    await h.call('socket.send', { id: again.cli.id, data: text('alive') });
    await until(() => inbound(again.peer.id).length === 1, 'a message after the restart');
    expect(h.engine.socketWorker!.pid).not.toBe(pid);
  });
});
