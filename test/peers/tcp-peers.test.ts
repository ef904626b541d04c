// Sockbench against real tools on loopback: bytes must arrive intact both ways.
import { afterEach, describe, expect, it } from 'vitest';
import { harness, text, until } from '../support/engine-harness.js';
import { freePort, peerSuite, run } from '../support/peers.js';

let h: ReturnType<typeof harness>;
const stops: (() => void)[] = [];
afterEach(async () => {
  stops.splice(0).forEach((s) => s());
  await h?.close();
});

async function listener() {
  const s = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
  const bound = await h.call('socket.bind', { id: s.id, address: '127.0.0.1', port: 0 });
  await h.call('socket.listen', { id: s.id, backlog: 5 });
  return { id: s.id, port: bound.local!.port };
}

const acceptedOf = (listenerId: number) => until(() => h.engine.list().find((s) => s.parent === listenerId), 'an accepted session');

/** All 256 byte values, twice, so any mangling (text mode, UTF-8, CRLF) shows. */
const everyByte = Buffer.from([...Array(512).keys()].map((i) => i % 256));

const socat = peerSuite('socat');
describe.skipIf(socat.skip)(socat.title, () => {
  it('socat connects to a Sockbench server; every byte value arrives intact and the reply reaches socat', async () => {
    h = harness();
    const srv = await listener();
    const peer = run('socat', ['-t', '2', '-', `TCP:127.0.0.1:${srv.port}`]);
    stops.push(peer.stop);
    peer.proc.stdin!.write(everyByte);
    const acc = await acceptedOf(srv.id);
    await until(() => h.received(acc.id).length === everyByte.length, 'all bytes from socat');
    expect(h.received(acc.id).equals(everyByte)).toBe(true);
    await h.call('socket.send', { id: acc.id, data: text('pong\r\n') });
    await until(() => peer.stdout().toString() === 'pong\r\n', 'the reply at socat');
    expect(h.engine.get(acc.id).counters).toMatchObject({ bytesIn: 512, bytesOut: 6 });
  });

  it('a Sockbench UDP session exchanges datagrams with socat, keeping the source address', async () => {
    h = harness();
    const u = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_DGRAM' });
    const { local } = await h.call('socket.bind', { id: u.id, address: '127.0.0.1', port: 0 });
    const socatPort = await freePort();
    const peer = run('socat', ['-u', '-', `UDP-SENDTO:127.0.0.1:${local!.port},bind=127.0.0.1:${socatPort}`]);
    stops.push(peer.stop);
    peer.proc.stdin!.write('datagram one');
    const d = await until(() => h.engine.get(u.id).data.toArray().find((e) => e.dir === 'in'), 'the datagram');
    expect(Buffer.from(d.bytes).toString()).toBe('datagram one');
    expect(d.addr).toEqual({ family: 'AF_INET', address: '127.0.0.1', port: socatPort });
  });
});

const ncat = peerSuite('ncat');
describe.skipIf(ncat.skip)(ncat.title, () => {
  it('a Sockbench client connects to `ncat -l` and receives what ncat sends', async () => {
    h = harness();
    const port = await freePort();
    const peer = run('ncat', ['-l', '127.0.0.1', String(port)]);
    stops.push(peer.stop);
    const c = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
    // ncat needs a moment to listen: retry connect on ECONNREFUSED, as a person would.
    let connected = false;
    for (let i = 0; i < 50 && !connected; i++) {
      const s = i === 0 ? c : await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
      try {
        await h.call('socket.connect', { id: s.id, address: '127.0.0.1', port, timeoutMs: 1000 });
        connected = true;
        peer.proc.stdin!.write(everyByte);
        await until(() => h.received(s.id).length === everyByte.length, 'bytes from ncat');
        expect(h.received(s.id).equals(everyByte)).toBe(true);
        await h.call('socket.send', { id: s.id, data: text('from sockbench\n') });
        await until(() => peer.stdout().toString() === 'from sockbench\n', 'our bytes at ncat');
      } catch (e) {
        if (!(e instanceof Error && /ECONNREFUSED/.test(e.message))) throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    expect(connected).toBe(true);
  });
});

const packetsender = peerSuite('packetsender');
describe.skipIf(packetsender.skip)(packetsender.title, () => {
  it('packetsender sends a TCP packet: the bytes show in the accepted session, and our reply reaches it while it waits', async () => {
    h = harness();
    const srv = await listener();
    // -t TCP, -a ASCII with escapes, -w: wait up to 3000 ms for a response.
    const peer = run('packetsender', ['-taw', '3000', '127.0.0.1', String(srv.port), 'hello\\r\\n']);
    stops.push(peer.stop);
    const acc = await acceptedOf(srv.id);
    await until(() => h.received(acc.id).length === 7, 'packetsender bytes');
    expect([...h.received(acc.id)]).toEqual([0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x0d, 0x0a]);
    await h.call('socket.send', { id: acc.id, data: text('ok from sockbench') });
    await peer.exited;
    const out = peer.stdout().toString();
    expect(out).toMatch(/Response ASCII:ok from sockbench/);
    expect(out).toMatch(/Response HEX:6F 6B 20 66 72 6F 6D/i);
  });

  it('packetsender sends a UDP datagram: it shows with its source, and the session in reply mode answers it while packetsender waits', async () => {
    h = harness();
    const s = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_DGRAM' });
    const bound = await h.call('socket.bind', { id: s.id, address: '127.0.0.1', port: 0 });
    await h.call('socket.setServeMode', { id: s.id, mode: 'reply', reply: text('pong') });
    // packetsender's \xHH in ASCII mode mis-packs nibbles here; \r \n are safe.
    const peer = run('packetsender', ['-uaw', '3000', '127.0.0.1', String(bound.local!.port), 'ping\\r\\n']);
    stops.push(peer.stop);
    await until(() => h.received(s.id).length === 6, 'the datagram');
    const entry = h.engine.get(s.id).data.toArray().find((d) => d.dir === 'in')!;
    expect([...entry.bytes]).toEqual([0x70, 0x69, 0x6e, 0x67, 0x0d, 0x0a]);
    expect(entry.addr?.address).toBe('127.0.0.1');
    await peer.exited;
    expect(peer.stdout().toString()).toMatch(/Response ASCII:pong/);
  });
});
