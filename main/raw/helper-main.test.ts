// The raw-socket helper over its real stdin/stdout pipes, as root: ICMP and
// ICMPv6 echo on loopback, per-send TTL/TOS/DF, and hostile input (malformed
// and oversize frames, bad requests, fuzz) answered with errors while the
// helper lives on.
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { frameOf } from './framing.js';
import { MAX_BYTES, MAX_FRAME, isHelperEvent, type PacketEvent, type Reply } from './helper-protocol.js';
import { HelperPipe, echoRequest } from './testkit.js';

let h: HelperPipe | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function started(): Promise<HelperPipe> {
  h = new HelperPipe();
  await h.wait((m) => 'event' in m && m.event === 'ready', 10_000);
  return h;
}

const isPacket = (handle: number, icmpType: number, id: number, offset: (p: PacketEvent) => number) => (m: unknown) => {
  const p = m as PacketEvent;
  if (p.event !== 'packet' || p.handle !== handle) return false;
  const at = offset(p);
  return p.bytes[at] === icmpType && ((p.bytes[at + 4]! << 8) | p.bytes[at + 5]!) === id;
};
const ipv4Offset = (p: PacketEvent) => (p.ipHeader ? (p.bytes[0]! & 0x0f) * 4 : 0);

/** Waits until a process has used no CPU for half a second (bounded). */
async function cpuIdle(pid: number, ms: number): Promise<void> {
  const ticks = () => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ').slice(11, 13).reduce((a, b) => a + Number(b), 0);
  const end = Date.now() + ms;
  let last = -1;
  while (Date.now() < end) {
    const now = ticks();
    if (now === last) return;
    last = now;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`process ${pid} still busy after ${ms} ms`);
}

const stampsOf = (ms: unknown[]): number[] =>
  (ms as { event?: string; tUs?: Uint8Array }[]).flatMap((m) => (m.event === 'flood-sent' ? [...new Float64Array(m.tUs!.slice().buffer)] : []));
const seqsOf = (ms: unknown[]): number[] =>
  (ms as { event?: string; replies?: Uint8Array }[]).flatMap((m) => (m.event === 'flood-replies' ? [...new Float64Array(m.replies!.slice().buffer)].filter((_, i) => i % 3 === 0) : []));

function ok<T>(r: Reply): T {
  if (!r.ok) throw new Error(`expected success, got ${r.error.code}: ${r.error.message}`);
  return r.result as T;
}

describe('raw helper over its pipes', () => {
  it('says ready with its pid and hrtime origin, and exits when stdin closes', async () => {
    const p = await started();
    const ready = p.messages[0] as { event: string; pid: number; originNs: string };
    expect(ready).toMatchObject({ event: 'ready', pid: p.proc.pid });
    expect(BigInt(ready.originNs)).toBeLessThanOrEqual(process.hrtime.bigint()); // the same monotonic clock
    expect(await p.close()).toBe(0);
    expect(p.stderr).toBe('');
  });

  it('ICMP echo to 127.0.0.1: the request (seen on loopback) and the kernel reply, each with the IPv4 header and a later tUs', async () => {
    const p = await started();
    p.request(1, 'open', { protocol: 'icmp', family: 4 });
    const opened = ok<{ handle: number; ipHeader: boolean; protocol: number }>(await p.reply(1));
    expect(opened).toMatchObject({ protocol: 1, family: 4, ipHeader: true });
    const id = 0x5b00 + (process.pid & 0xff);
    const echo = echoRequest(4, id, 1);
    p.request(2, 'send', { handle: opened.handle, bytes: echo, address: '127.0.0.1', ttl: 7, tos: 0x10, df: true });
    const sent = ok<{ sent: number; tUs: number }>(await p.reply(2));
    expect(sent.sent).toBe(echo.length);
    const request = await p.wait<PacketEvent>(isPacket(opened.handle, 8, id, ipv4Offset));
    const reply = await p.wait<PacketEvent>(isPacket(opened.handle, 0, id, ipv4Offset));
    expect(request).toMatchObject({ from: '127.0.0.1', ipHeader: true });
    expect(request.bytes[8]).toBe(7); // TTL
    expect(request.bytes[1]).toBe(0x10); // TOS
    expect(request.bytes[6]! & 0x40).toBe(0x40); // DF
    expect(request.tUs).toBeGreaterThan(sent.tUs);
    expect(reply.tUs).toBeGreaterThan(request.tUs);
    expect(reply.tUs - sent.tUs).toBeLessThan(1_000_000);
    // Without options the socket's defaults come back (TTL 64, TOS 0, DF cleared when asked).
    p.request(3, 'send', { handle: opened.handle, bytes: echoRequest(4, id, 2), address: '127.0.0.1', df: false });
    ok(await p.reply(3));
    const second = await p.wait<PacketEvent>((m) => isPacket(opened.handle, 8, id, ipv4Offset)(m) && (m as PacketEvent).bytes[27] === 2);
    expect(second.bytes[8]).toBeGreaterThan(7);
    expect(second.bytes[1]).toBe(0);
    expect(second.bytes[6]! & 0x40).toBe(0);
    p.request(4, 'close', { handle: opened.handle });
    expect(await p.reply(4)).toMatchObject({ ok: true, result: null });
  });

  it('ICMPv6 echo to ::1: packets arrive without the IPv6 header (ipHeader false), hop limit set per send', async () => {
    const p = await started();
    p.request(1, 'open', { protocol: 'icmpv6', family: 6 });
    const opened = ok<{ handle: number }>(await p.reply(1));
    expect(opened).toMatchObject({ protocol: 58, family: 6, ipHeader: false });
    const id = 0x6c00 + (process.pid & 0xff);
    p.request(2, 'send', { handle: opened.handle, bytes: echoRequest(6, id, 1), address: '::1', ttl: 9, tos: 0x20, df: true });
    const sent = ok<{ tUs: number }>(await p.reply(2));
    const request = await p.wait<PacketEvent>(isPacket(opened.handle, 128, id, () => 0));
    const reply = await p.wait<PacketEvent>(isPacket(opened.handle, 129, id, () => 0));
    expect(request).toMatchObject({ from: '::1', ipHeader: false });
    expect(request.tUs).toBeGreaterThan(sent.tUs);
    expect(reply.tUs).toBeGreaterThan(request.tUs);
  });

  it('a flood: every send stamped in order, every reply summed up once by sequence, other sends refused meanwhile', async () => {
    const p = await started();
    p.request(1, 'open', { protocol: 'icmp', family: 4 });
    const open = ok<{ handle: number; kernelStamps: boolean }>(await p.reply(1));
    expect(open.kernelStamps).toBe(true); // Linux: the kernel's receive stamps, as ping's
    const { handle } = open;
    p.request(2, 'setFilter', { handle, icmpTypes: [0] });
    ok(await p.reply(2));
    const N = 3000;
    const first = p.messages.length;
    // Sequence 65000 upward: the count wraps past 65535 to 0 and the checksum is mended each time.
    p.request(3, 'flood', { handle, bytes: echoRequest(4, 0x5151, 65000), address: '127.0.0.1', count: N, intervalUs: 0 });
    p.request(4, 'send', { handle, bytes: echoRequest(4, 0x5151, 1), address: '127.0.0.1' });
    const busy = await p.reply(4);
    expect(!busy.ok && busy.error.code).toBe('EBUSY');
    expect(ok(await p.reply(3, 20_000))).toEqual({ sent: N, errors: 0, stopped: false, firstError: null });
    // Replies that arrive after the last send (the flood is over) come as packets, as any other would.
    const replySeqs = () => {
      const late = p.messages.slice(first).filter(isPacket(handle, 0, 0x5151, ipv4Offset)) as PacketEvent[];
      return [...seqsOf(p.messages.slice(first)), ...late.map((m) => (m.bytes[26]! << 8) | m.bytes[27]!)];
    };
    await p.until(() => replySeqs().length >= N, 10_000);
    const stamps = stampsOf(p.messages.slice(first));
    expect(stamps).toHaveLength(N);
    expect(stamps.every((t, i) => Number.isFinite(t) && (i === 0 || t >= stamps[i - 1]!))).toBe(true);
    const seqs = replySeqs();
    expect(new Set(seqs).size).toBe(N);
    expect(seqs.filter((q) => q < 65000).length).toBe(N - 536); // 65000..65535, then 0..
    expect(seqsOf(p.messages.slice(first)).length).toBeGreaterThan(N / 2); // most summed up, not one event each
  });

  it('a flood\'s packets other than its replies (here its own requests, unfiltered) come as packets, each stamped between its send and its reply', async () => {
    const p = await started();
    p.request(1, 'open', { protocol: 'icmp', family: 4 });
    const { handle } = ok<{ handle: number }>(await p.reply(1));
    const N = 2000;
    const first = p.messages.length;
    p.request(2, 'flood', { handle, bytes: echoRequest(4, 0x5252, 0), address: '127.0.0.1', count: N, intervalUs: 0 });
    expect(ok(await p.reply(2, 20_000))).toMatchObject({ sent: N, errors: 0 });
    const since = () => p.messages.slice(first);
    const seqOf = (m: PacketEvent) => (m.bytes[26]! << 8) | m.bytes[27]!;
    const requests = () => since().filter(isPacket(handle, 8, 0x5252, ipv4Offset)) as PacketEvent[];
    await p.until(() => requests().length >= N, 10_000);
    const sent = stampsOf(since());
    const replyAt = new Map<number, number>();
    for (const m of since() as { event?: string; replies?: Uint8Array }[]) {
      if (m.event !== 'flood-replies') continue;
      const r = new Float64Array(m.replies!.slice().buffer);
      for (let k = 0; k < r.length; k += 3) replyAt.set(r[k]!, r[k + 1]!);
    }
    for (const m of since().filter(isPacket(handle, 0, 0x5252, ipv4Offset)) as PacketEvent[]) replyAt.set(seqOf(m), m.tUs); // after the flood's end
    expect(replyAt.size).toBe(N);
    const order = requests().map((m) => [sent[seqOf(m)]!, m.tUs, replyAt.get(seqOf(m))!]);
    expect(order).toHaveLength(N);
    // A stamp taken when the packet was read, not when it arrived, would come after its reply's.
    expect(order.filter(([send, seen, answered]) => !(send! < seen! && seen! < answered!))).toEqual([]);
  });

  it('a flood on an interval keeps to its schedule and stops when asked', async () => {
    const p = await started();
    p.request(1, 'open', { protocol: 'icmpv6', family: 6 });
    const { handle } = ok<{ handle: number }>(await p.reply(1));
    const first = p.messages.length;
    p.request(2, 'flood', { handle, bytes: echoRequest(6, 0x6161, 1), address: '::1', count: 1_000_000, intervalUs: 2000 });
    await p.until(() => stampsOf(p.messages.slice(first)).length >= 20, 5000);
    p.request(3, 'floodStop', { handle });
    ok(await p.reply(3));
    const end = ok<{ sent: number; stopped: boolean }>(await p.reply(2));
    expect(end.stopped).toBe(true);
    const stamps = stampsOf(p.messages.slice(first));
    expect(stamps).toHaveLength(end.sent);
    // Never early: the k-th send waits for t0 + k × 2 ms.
    expect(stamps.every((t, k) => t - stamps[0]! >= k * 2000 - 1)).toBe(true);
  });

  it('a paced flood whose sends the kernel refuses: NaN stamps, the errno named with them, and the events pass the app\'s checks', async () => {
    const p = await started();
    p.request(1, 'open', { protocol: 'icmp', family: 4 });
    const { handle } = ok<{ handle: number }>(await p.reply(1));
    const first = p.messages.length;
    // A broadcast destination without SO_BROADCAST: every sendto(2) fails with EACCES.
    p.request(2, 'flood', { handle, bytes: echoRequest(4, 0x6262, 1), address: '255.255.255.255', count: 5, intervalUs: 1000 });
    const end = ok<{ sent: number; errors: number; firstError: { code: string } | null }>(await p.reply(2));
    expect(end).toMatchObject({ sent: 0, errors: 5, firstError: { code: 'EACCES' } });
    const events = p.messages.slice(first).filter((m) => (m as { event?: string }).event === 'flood-sent');
    expect(stampsOf(events)).toHaveLength(5);
    expect(stampsOf(events).every(Number.isNaN)).toBe(true);
    expect(events.every((e) => isHelperEvent(e) && (e as { error?: { code: string } }).error?.code === 'EACCES')).toBe(true);
  });

  it('ICMP type filters: only echo replies reach a filtered socket', async () => {
    const p = await started();
    p.request(1, 'open', { protocol: 'icmp', family: 4 });
    const { handle } = ok<{ handle: number }>(await p.reply(1));
    p.request(2, 'setFilter', { handle, icmpTypes: [0] });
    ok(await p.reply(2));
    const id = 0x7d00 + (process.pid & 0xff);
    p.request(3, 'send', { handle, bytes: echoRequest(4, id, 1), address: '127.0.0.1' });
    ok(await p.reply(3));
    await p.wait(isPacket(handle, 0, id, ipv4Offset));
    expect(p.messages.some(isPacket(handle, 8, id, ipv4Offset))).toBe(false);
    p.request(4, 'setFilter', { handle: 99, icmpTypes: null });
    expect(await p.reply(4)).toMatchObject({ ok: false, error: { code: 'EBADF' } });
  });

  it('bad requests get error replies that say what is wrong, and the helper stays', async () => {
    const p = await started();
    p.request(1, 'open', { protocol: 'icmp', family: 4 });
    const { handle } = ok<{ handle: number }>(await p.reply(1));
    const cases: [op: string, args: unknown, code: string, text: RegExp][] = [
      ['fly', {}, 'BAD_REQUEST', /unknown op/],
      ['open', { protocol: 256, family: 4 }, 'BAD_REQUEST', /protocol/],
      ['open', { protocol: 'icmp', family: 6 }, 'BAD_REQUEST', /icmpv6/],
      ['open', { protocol: 1, family: 5 }, 'BAD_REQUEST', /family/],
      ['open', { protocol: 1, family: 4, hdrincl: 'yes' }, 'BAD_REQUEST', /hdrincl/],
      ['open', { protocol: 1, family: 4, extra: 1 }, 'BAD_REQUEST', /unknown field/],
      ['send', { handle, bytes: new Uint8Array(MAX_BYTES + 1), address: '127.0.0.1' }, 'BAD_REQUEST', /65535/],
      ['send', { handle, bytes: [8, 0, 0, 0], address: '127.0.0.1' }, 'BAD_REQUEST', /binary/],
      ['send', { handle, bytes: new Uint8Array(8), address: '127.0.0.256' }, 'BAD_REQUEST', /address/],
      ['send', { handle, bytes: new Uint8Array(8), address: 'localhost' }, 'BAD_REQUEST', /address/],
      ['send', { handle, bytes: new Uint8Array(8), address: '127.0.0.1', ttl: 256 }, 'BAD_REQUEST', /ttl/],
      ['send', { handle, bytes: new Uint8Array(8), address: '::1' }, 'EAFNOSUPPORT', /not an IPv4 address/],
      ['send', { handle: 4242, bytes: new Uint8Array(8), address: '127.0.0.1' }, 'EBADF', /no raw socket/],
      ['send', { handle, bytes: new Uint8Array(8), address: '127.0.0.1', ttl: 0 }, 'EINVAL', /setsockopt\(ttl\)/],
      ['close', { handle: 0 }, 'BAD_REQUEST', /handle/],
      ['setFilter', { handle, icmpTypes: [300] }, 'BAD_REQUEST', /icmpTypes/],
      ['flood', { handle, bytes: new Uint8Array(8), address: '127.0.0.1', count: 1, intervalUs: 0 }, 'BAD_REQUEST', /echo request/],
      ['flood', { handle, bytes: echoRequest(4, 1, 1), address: '127.0.0.1', count: 0, intervalUs: 0 }, 'BAD_REQUEST', /count/],
      ['flood', { handle, bytes: echoRequest(4, 1, 1), address: '127.0.0.1', count: 1, intervalUs: -1 }, 'BAD_REQUEST', /intervalUs/],
      ['flood', { handle, bytes: echoRequest(4, 1, 1), address: '127.0.0.1', count: 1 }, 'BAD_REQUEST', /intervalUs is missing/],
      ['flood', { handle, bytes: echoRequest(6, 1, 1), address: '127.0.0.1', count: 1, intervalUs: 0 }, 'EINVAL', /echo requests \(type 8\)/],
      ['floodStop', { handle: 'x' }, 'BAD_REQUEST', /handle/],
    ];
    let rid = 10;
    for (const [op, args, code, text] of cases) {
      p.request(++rid, op, args);
      const r = await p.reply(rid);
      expect(r.ok, `${op} ${JSON.stringify(args).slice(0, 80)}`).toBe(false);
      if (!r.ok) {
        expect(r.error.code, r.error.message).toBe(code);
        expect(r.error.message).toMatch(text);
        expect(r.error.errno).toBeLessThan(0);
      }
    }
    // Not even decodable: answered with rid null.
    const before = p.messages.length;
    p.write(new Uint8Array([3, 0, 0, 0, 1, 2, 3]));
    p.write(frameOf('just a string'));
    const junk = await p.wait<Reply>((m) => 'rid' in m && m.rid === null && !m.ok && /4-byte header/.test(m.error.message), 5000, before);
    expect(junk.ok).toBe(false);
    await p.wait((m) => 'rid' in m && m.rid === null && !m.ok && /must be an object/.test(m.error.message), 5000, before);
    // Still serving.
    p.request(99, 'close', { handle });
    expect(await p.reply(99)).toMatchObject({ ok: true });
    expect(p.proc.exitCode).toBe(null);
    expect(p.stderr).toBe('');
  });

  it('a frame over the size cap is skipped (never buffered) and reported; the next frame is served', async () => {
    const p = await started();
    const big = 1_000_000;
    const head = new Uint8Array(4);
    new DataView(head.buffer).setUint32(0, big, true);
    p.write(head);
    for (let i = 0; i < big; i += 65536) p.write(new Uint8Array(Math.min(65536, big - i)).fill(0x7b));
    p.request(5, 'open', { protocol: 'icmp', family: 4 });
    await p.wait((m) => 'rid' in m && m.rid === null && !m.ok && m.error.message.includes(`over the ${MAX_FRAME}-byte limit`));
    expect(await p.reply(5)).toMatchObject({ ok: true });
  });

  it('fuzz: random and mutated frames each get one reply, nothing escapes, the helper lives on', async () => {
    const p = await started();
    let seed = 0x5eed;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const valid = [
      frameOf({ rid: 1, op: 'send', args: { handle: 1, bytes: new Uint8Array([8, 0, 1, 2]), address: '127.0.0.1', ttl: 3 } }),
      frameOf({ rid: 1, op: 'open', args: { protocol: 'icmp', family: 4 } }),
      frameOf({ rid: 1, op: 'setFilter', args: { handle: 1, icmpTypes: [0, 3] } }),
    ];
    const N = 400;
    const before = p.messages.length;
    for (let i = 0; i < N; i++) {
      let payload: Uint8Array;
      if (i % 3 === 0) {
        payload = new Uint8Array(Math.floor(rand() * 96));
        for (let j = 0; j < payload.length; j++) payload[j] = Math.floor(rand() * 256);
      } else {
        const v = valid[i % valid.length]!;
        payload = v.slice(4); // its payload, mutated; the framing stays intact
        for (let j = 0; j < 1 + rand() * 6; j++) payload[Math.floor(rand() * payload.length)] = Math.floor(rand() * 256);
      }
      const f = new Uint8Array(4 + payload.length);
      new DataView(f.buffer).setUint32(0, payload.length, true);
      f.set(payload, 4);
      p.write(f);
    }
    // Mutations may leave a valid open (a new socket) or send: still one reply per frame.
    await p.wait(() => p.messages.slice(before).filter((m) => 'rid' in m).length >= N, 15_000);
    expect(p.messages.slice(before).filter((m) => 'rid' in m)).toHaveLength(N);
    p.request(777, 'open', { protocol: 'icmpv6', family: 6 });
    expect(await p.reply(777)).toMatchObject({ ok: true });
    expect(p.proc.exitCode).toBe(null);
    expect(p.stderr).toBe('');
  });

  it('while the app does not read, packets are dropped and counted (memory stays bounded), replies are not', async () => {
    const p = await started();
    p.request(1, 'open', { protocol: 'icmp', family: 4 });
    const { handle } = ok<{ handle: number }>(await p.reply(1));
    p.proc.stdout!.pause();
    const N = 30_000; // ~16 MB of events: over the helper's 8 MiB output limit
    const id = 0x8e00 + (process.pid & 0xff);
    const frames: Uint8Array[] = [];
    for (let i = 0; i < N; i++) frames.push(frameOf({ rid: 100 + i, op: 'send', args: { handle, bytes: echoRequest(4, id, i & 0xffff), address: '127.0.0.1' } }));
    const all = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
    frames.reduce((at, f) => (all.set(f, at), at + f.length), 0);
    p.write(all);
    await cpuIdle(p.proc.pid!, 20_000); // all sends done, while nothing was read
    p.proc.stdout!.resume();
    // Counted as they come (the log grows to ~90k messages).
    let seen = 0;
    const n = { replies: 0, ok: 0, packets: 0, dropped: 0 };
    const tally = () => {
      for (; seen < p.messages.length; seen++) {
        const m = p.messages[seen]!;
        if ('rid' in m && m.rid !== null && m.rid >= 100) {
          n.replies++;
          if (m.ok) n.ok++;
        } else if (isPacket(handle, 8, id, ipv4Offset)(m) || isPacket(handle, 0, id, ipv4Offset)(m)) n.packets++; // ours (other tests ping too)
        else if ('event' in m && m.event === 'dropped') n.dropped += m.count;
      }
      return n.replies === N && n.dropped > 0;
    };
    await p.until(tally, 20_000).catch((e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(n)}`);
    });
    expect(n.ok).toBe(N);
    expect(n.dropped).toBeGreaterThan(0);
    expect(n.packets).toBeLessThan(2 * N);
  });

  it('closing a socket: a send already made stands, later ones fail with EBADF; closing stdin closes everything', async () => {
    const p = await started();
    p.request(1, 'open', { protocol: 'icmp', family: 4 });
    const { handle } = ok<{ handle: number }>(await p.reply(1));
    // All in one write: the send goes out at once (sendto from C), the close follows, the next send finds no socket.
    const frames = [
      frameOf({ rid: 2, op: 'send', args: { handle, bytes: echoRequest(4, 1, 1), address: '127.0.0.1' } }),
      frameOf({ rid: 3, op: 'close', args: { handle } }),
      frameOf({ rid: 4, op: 'send', args: { handle, bytes: echoRequest(4, 1, 2), address: '127.0.0.1' } }),
    ];
    p.write(Uint8Array.from(frames.flatMap((f) => [...f])));
    expect(await p.reply(2)).toMatchObject({ ok: true, result: { sent: 33 } });
    expect(await p.reply(3)).toMatchObject({ ok: true });
    expect(await p.reply(4)).toMatchObject({ ok: false, error: { code: 'EBADF', message: expect.stringMatching(/no raw socket with handle/) } });
    // Beyond 64 sends in one turn raw-socket queues them (so receiving gets its turn); a close fails those still queued.
    p.request(5, 'open', { protocol: 'icmp', family: 4 });
    const second = ok<{ handle: number }>(await p.reply(5)).handle;
    const burst = Array.from({ length: 70 }, (_, i) => frameOf({ rid: 10 + i, op: 'send', args: { handle: second, bytes: echoRequest(4, 2, i), address: '127.0.0.1' } }));
    burst.push(frameOf({ rid: 6, op: 'close', args: { handle: second } }));
    p.write(Uint8Array.from(burst.flatMap((f) => [...f])));
    expect(await p.reply(6)).toMatchObject({ ok: true });
    const replies = await Promise.all(Array.from({ length: 70 }, (_, i) => p.reply(10 + i)));
    expect(replies.slice(0, 64).every((r) => r.ok)).toBe(true);
    for (const r of replies.slice(64)) expect(r).toMatchObject({ ok: false, error: { code: 'EBADF', message: expect.stringMatching(/closed before this send went out/) } });
    expect(await p.close()).toBe(0);
  });

});
