// A session's traffic as pcapng, judged by tshark: "Follow TCP Stream" shows
// exactly the bytes sent and received, in order, both ways; UDP datagrams
// come one per packet with the right peers; AF_UNIX streams follow as TCP
// and say they are synthetic; bytes the ring let go are counted and said.
import { describe, expect, it } from 'vitest';
import { harness, text, until } from '../support/engine-harness.js';
import { peerSuite } from '../support/peers.js';
import { pyPeer } from '../support/py-peer.js';
import { tsharkRead } from '../support/tshark.js';

type Turn = { node: 0 | 1; bytes: Buffer };

/** `tshark -qz follow,tcp,hex,N`: the endpoints and the data as turns (Node 1's lines are indented by a tab). */
async function follow(pcap: Uint8Array, stream = 0): Promise<{ nodes: string[]; turns: Turn[] }> {
  const out = (await tsharkRead(pcap, ['-qz', `follow,tcp,hex,${stream}`])).toString('utf8');
  const nodes = [...out.matchAll(/^Node [01]: (.*)$/gm)].map((m) => m[1]!);
  const turns: Turn[] = [];
  for (const line of out.split('\n')) {
    const m = /^(\t?)([0-9A-Fa-f]{8}) {2}(.{1,49})/.exec(line);
    if (!m) continue;
    const node = m[1] ? 1 : 0;
    const bytes = Buffer.from((m[3]!.match(/[0-9a-f]{2}/gi) ?? []).join(''), 'hex');
    const last = turns.at(-1);
    if (last && last.node === node) last.bytes = Buffer.concat([last.bytes, bytes]);
    else turns.push({ node, bytes });
  }
  return { nodes, turns };
}

/** The session's own data as turns: consecutive chunks of one direction joined. */
function turnsOf(entries: { dir: 'in' | 'out'; bytes: Uint8Array }[], outIsNode: 0 | 1): Turn[] {
  const turns: Turn[] = [];
  for (const e of entries) {
    const node = (e.dir === 'out' ? outIsNode : 1 - outIsNode) as 0 | 1;
    const last = turns.at(-1);
    if (last && last.node === node) last.bytes = Buffer.concat([last.bytes, e.bytes]);
    else turns.push({ node, bytes: Buffer.from(e.bytes) });
  }
  return turns;
}

const hex = (t: Turn[]) => t.map((x) => `${x.node}:${x.bytes.toString('hex')}`);

const suite = peerSuite('tshark');
describe.skipIf(suite.skip)(`${suite.title}: session traffic as pcapng`, () => {
  it('TCP client: follow,tcp shows exactly the bytes sent and received, in order, both ways', { timeout: 120_000 }, async () => {
    const h = harness();
    const peer = await pyPeer('tcp', { reply: text('pong\r\n') });
    try {
      const s = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
      await h.call('socket.connect', { id: s.id, address: '127.0.0.1', port: peer.port });
      await h.call('socket.sendall', { id: s.id, data: text('ping\r\n') });
      await until(() => h.received(s.id).length >= 6, 'the answer');
      // Every byte value, and one chunk larger than a segment.
      await h.call('socket.sendall', { id: s.id, data: Uint8Array.from({ length: 70_000 }, (_, i) => i % 256) });
      await h.call('socket.close', { id: s.id });
      await peer.received();
      const r = await h.call('session.pcapng', { id: s.id });
      expect(r).toMatchObject({ lostBytes: 0, lostChunks: 0, fileName: `sockbench-session-${s.id}.pcapng` });
      const f = await follow(r.bytes);
      const info = h.engine.get(s.id).info();
      expect(f.nodes).toEqual([`127.0.0.1:${info.local!.port}`, `127.0.0.1:${peer.port}`]);
      expect(hex(f.turns)).toEqual(hex(turnsOf(h.engine.get(s.id).data.toArray(), 0)));
      expect(f.turns.map((t) => t.bytes.length)).toEqual([6, 6, 70_000]);
      // tshark finds nothing wrong with the synthetic stream: no lost segments, no bad checksums.
      const expert = (await tsharkRead(r.bytes, ['-o', 'tcp.check_checksum:TRUE', '-qz', 'expert,warn'])).toString('utf8');
      expect(expert).not.toMatch(/previous segment not captured|ACKed segment that wasn't captured|Bad checksum/i);
    } finally {
      peer.stop();
      await h.close();
    }
  });

  it('TCP server side (accepted, IPv6): the peer opened the stream, and both directions follow', { timeout: 120_000 }, async () => {
    const h = harness();
    try {
      const l = await h.call('socket.create', { family: 'AF_INET6', type: 'SOCK_STREAM' });
      await h.call('socket.bind', { id: l.id, address: '::1', port: 0 });
      const bound = await h.call('socket.listen', { id: l.id, backlog: 4 });
      await h.call('socket.setServeMode', { id: l.id, mode: 'echo' });
      const c = await h.call('socket.create', { family: 'AF_INET6', type: 'SOCK_STREAM' });
      await h.call('socket.connect', { id: c.id, address: '::1', port: bound.local!.port });
      const conn = await until(() => h.of('session.created').find((x) => x.parent === l.id), 'the accepted connection');
      await h.call('socket.sendall', { id: c.id, data: text('one') });
      await until(() => h.received(c.id).length >= 3, 'echo one');
      await h.call('socket.sendall', { id: c.id, data: text('two!') });
      await until(() => h.received(c.id).length >= 7, 'echo two');
      const r = await h.call('session.pcapng', { id: conn.id });
      const f = await follow(r.bytes);
      // Node 0 is who sent the SYN: the client, i.e. the accepted session's peer.
      expect(f.nodes).toEqual([`[::1]:${h.engine.get(c.id).info().local!.port}`, `[::1]:${bound.local!.port}`]);
      expect(hex(f.turns)).toEqual(['0:6f6e65', '1:6f6e65', '0:74776f21', '1:74776f21']);
    } finally {
      await h.close();
    }
  });

  it('UDP: one datagram per packet, each with its real peer and ports', { timeout: 120_000 }, async () => {
    const h = harness();
    const a = await pyPeer('udp', { reply: text('A!'), datagrams: 2 });
    const b = await pyPeer('udp', { reply: text('B!'), datagrams: 1 });
    try {
      const s = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_DGRAM' });
      const bound = await h.call('socket.bind', { id: s.id, address: '0.0.0.0', port: 0 });
      await h.call('socket.sendto', { id: s.id, data: text('to a'), address: '127.0.0.1', port: a.port });
      await h.call('socket.sendto', { id: s.id, data: text('to b'), address: '127.0.0.1', port: b.port });
      await h.call('socket.sendto', { id: s.id, data: text('a again'), address: '127.0.0.1', port: a.port });
      await until(() => h.engine.get(s.id).data.toArray().filter((d) => d.dir === 'in').length >= 3, 'three answers');
      const r = await h.call('session.pcapng', { id: s.id });
      expect(r.packets).toBe(6);
      const lines = (await tsharkRead(r.bytes, ['-T', 'fields', '-e', 'ip.src', '-e', 'udp.srcport', '-e', 'ip.dst', '-e', 'udp.dstport', '-e', 'data.data', '-o', 'udp.check_checksum:TRUE', '-e', 'udp.checksum.status']))
        .toString('utf8').trim().split('\n').map((l) => l.split('\t'));
      const me = String(bound.local!.port);
      const expected = h.engine.get(s.id).data.toArray().map((d) => {
        const peer = String(d.addr!.port);
        const ends = d.dir === 'out' ? ['127.0.0.1', me, '127.0.0.1', peer] : ['127.0.0.1', peer, '127.0.0.1', me];
        return [...ends, Buffer.from(d.bytes).toString('hex'), '1'];
      });
      expect(lines).toEqual(expected);
      expect(new Set(lines.map((l) => l[4]))).toEqual(new Set(['746f2061', '746f2062', '6120616761696e', '4121', '4221']));
    } finally {
      a.stop();
      b.stop();
      await h.close();
    }
  });

  it('AF_UNIX stream: followed as TCP between stand-in ports, the first packet saying the headers are synthetic', { timeout: 120_000 }, async () => {
    const h = harness();
    try {
      const path = `@sockbench-pcap-${process.pid}`;
      const l = await h.call('socket.create', { family: 'AF_UNIX', type: 'SOCK_STREAM' });
      await h.call('socket.bind', { id: l.id, address: path });
      await h.call('socket.listen', { id: l.id, backlog: 4 });
      await h.call('socket.setServeMode', { id: l.id, mode: 'reply', reply: text('ok\n') });
      const c = await h.call('socket.create', { family: 'AF_UNIX', type: 'SOCK_STREAM' });
      await h.call('socket.connect', { id: c.id, address: path });
      await h.call('socket.sendall', { id: c.id, data: text('hello unix') });
      await until(() => h.received(c.id).length >= 3, 'the reply');
      const r = await h.call('session.pcapng', { id: c.id });
      const f = await follow(r.bytes);
      expect(hex(f.turns)).toEqual([`0:${Buffer.from('hello unix').toString('hex')}`, `1:${Buffer.from('ok\n').toString('hex')}`]);
      const comments = (await tsharkRead(r.bytes, ['-T', 'fields', '-e', 'frame.comment'])).toString('utf8');
      expect(comments).toContain(`AF_UNIX SOCK_STREAM (unnamed) ↔ ${path}: AF_UNIX has no IP addresses or ports, so these IP and TCP headers are synthetic`);
    } finally {
      await h.close();
    }
  });

  it('what the ring let go is counted, and the file says so; the rest still follows', { timeout: 120_000 }, async () => {
    const h = harness();
    const peer = await pyPeer('tcp');
    try {
      const s = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
      await h.call('socket.connect', { id: s.id, address: '127.0.0.1', port: peer.port });
      // 4,100 sends: more than the 4,000 entries a session keeps.
      for (let i = 0; i < 4100; i++) await h.call('socket.sendall', { id: s.id, data: text(`#${String(i).padStart(5, '0')};`) });
      await h.call('socket.close', { id: s.id });
      const sent = Buffer.concat((await peer.received()).map((g) => g.bytes));
      const r = await h.call('session.pcapng', { id: s.id });
      expect(r.lostChunks).toBe(100);
      expect(r.lostBytes).toBe(700);
      const comments = (await tsharkRead(r.bytes, ['-T', 'fields', '-e', 'frame.comment'])).toString('utf8');
      expect(comments).toContain("the session's data ring had let go 700 earlier bytes (100 chunks: 700 sent, 0 received) before this packet");
      const f = await follow(r.bytes);
      expect(Buffer.concat(f.turns.map((t) => t.bytes)).toString()).toBe(sent.subarray(700).toString());
    } finally {
      peer.stop();
      await h.close();
    }
  });
});
