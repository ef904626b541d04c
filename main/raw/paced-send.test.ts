// sockbench_stamp's pacedSend (main/native/paced.c) on a real raw socket, as
// root: echo requests on a schedule from a thread of their own, their stamps
// handed back in batches. What a ping relies on: every send reported once and
// in order, nothing sent before its time, replies to every probe, stop()
// heeded, a refused send reported with its errno, and a socket closed under
// a running thread harming nothing. Also floodRecv's batched reads (stamp.c):
// each packet with its own kernel stamp.
import raw, { type Socket } from 'raw-socket';
import { afterEach, describe, expect, it } from 'vitest';
import { loadAddon } from '../core/addon.js';
import type { KernelStamps } from './helper-sockets.js';
import { rawPrivilege } from './privilege.js';

const privileged = rawPrivilege().privileged;
const peersRequired = process.env.SOCKBENCH_REQUIRE_PEERS === '1';

type Batch = { first: number; stamps: number[]; errno: number; ended: boolean };

describe.skipIf(!privileged && !peersRequired)(`pacedSend on a raw ICMP socket${privileged ? '' : ' (skipped: no CAP_NET_RAW / not root)'}`, () => {
  const addon = loadAddon<Required<KernelStamps>>('sockbench_stamp.node');
  const open: Socket[] = [];
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });

  /** A raw ICMP socket, its descriptor, and the echo replies it reads (sequence → kernel receive stamp, ns). */
  function icmpSocket(): { fd: number; sock: Socket; replies: Map<number, number> } {
    const before = new Set(addon.rawSocketFds());
    const sock = raw.createSocket({ protocol: raw.Protocol.ICMP });
    open.push(sock);
    const fd = addon.rawSocketFds().find((f) => !before.has(f))!;
    addon.rxStampNs(fd);
    const replies = new Map<number, number>();
    sock.on('message', (buf: Buffer) => {
      const at = addon.rxStampNs(fd);
      const off = (buf[0]! & 15) * 4;
      if (buf[off] === 0 && buf.readUInt16BE(off + 4) === IDENT) replies.set(buf.readUInt16BE(off + 6), at);
    });
    return { fd, sock, replies };
  }

  const IDENT = 0x5b5b;
  const template = (): Uint8Array => Uint8Array.from([8, 0, 0, 0, IDENT >> 8, IDENT & 0xff, 0, 0, ...Array.from({ length: 56 }, (_, i) => i)]);

  /** Starts a paced run and resolves with its batches once it says it has ended. */
  function run(fd: number, address: string, count: number, intervalUs: number, afterStart?: (job: object) => void): Promise<Batch[]> {
    return new Promise((resolve, reject) => {
      const batches: Batch[] = [];
      const job = addon.pacedSend(fd, template(), address, 4, 100, count, intervalUs * 1000, intervalUs * 1000, (first, stamps, errno, ended) => {
        batches.push({ first, stamps: [...stamps], errno, ended });
        if (ended) setTimeout(() => resolve(batches), 50); // anything after `ended` would land in batches too
      });
      if (typeof job === 'number') reject(new Error(`pacedSend did not start: errno ${job}`));
      else afterStart?.(job);
    });
  }

  it('sends every probe once, in order, never before its time, and each is answered', async () => {
    const { fd, replies } = icmpSocket();
    const batches = await run(fd, '127.0.0.1', 60, 2000);
    const stamps = batches.flatMap((b) => b.stamps);
    expect(batches.filter((b) => b.ended)).toHaveLength(1);
    expect(batches.at(-1)!.ended).toBe(true);
    expect(batches.every((b, k) => b.first === batches.slice(0, k).reduce((n, x) => n + x.stamps.length, 0))).toBe(true);
    expect(stamps).toHaveLength(60);
    expect(batches.every((b) => b.errno === 0)).toBe(true);
    // An absolute schedule from the first send: the k-th goes no earlier than k × 2 ms after it.
    expect(stamps.every((t, k) => t - stamps[0]! >= k * 2e6)).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    // Sequences 100 … 159, each answered after it was sent.
    expect([...replies.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, k) => 100 + k));
    for (let k = 0; k < 60; k++) expect(replies.get(100 + k)!).toBeGreaterThan(stamps[k]!);
  });

  it('stops before its next send when told, and says it has ended', async () => {
    const { fd } = icmpSocket();
    const batches = await run(fd, '127.0.0.1', 10_000, 2000, (job) => setTimeout(() => addon.pacedStop(job), 40));
    const sent = batches.reduce((n, b) => n + b.stamps.length, 0);
    expect(sent).toBeGreaterThan(5);
    expect(sent).toBeLessThan(10_000);
    expect(batches.filter((b) => b.ended)).toHaveLength(1);
  });

  it('a send the kernel refuses is stamped NaN and its errno reported (broadcast without SO_BROADCAST: EACCES)', async () => {
    const { fd } = icmpSocket();
    const batches = await run(fd, '255.255.255.255', 3, 1000);
    const stamps = batches.flatMap((b) => b.stamps);
    expect(stamps).toHaveLength(3);
    expect(stamps.every(Number.isNaN)).toBe(true);
    expect(batches.find((b) => b.stamps.length > 0)!.errno).toBe(13); // EACCES
  });

  it('the socket closed under a running thread: the thread sends on its own descriptor and ends when stopped', async () => {
    const { fd, sock } = icmpSocket();
    const batches = await run(fd, '127.0.0.1', 10_000, 1000, (job) => setTimeout(() => {
      open.splice(open.indexOf(sock), 1);
      sock.close();
      setTimeout(() => addon.pacedStop(job), 20);
    }, 20));
    expect(batches.flatMap((b) => b.stamps).every((t) => !Number.isNaN(t))).toBe(true);
    expect(batches.filter((b) => b.ended)).toHaveLength(1);
  });

  it('refuses what it cannot send: a bad descriptor, an address that is not one, a template too short', () => {
    const ok = (): void => undefined;
    expect(addon.pacedSend(-1, template(), '127.0.0.1', 4, 0, 1, 1e6, 0, ok)).toBe(22); // EINVAL
    expect(addon.pacedSend(9_999, template(), '127.0.0.1', 4, 0, 1, 1e6, 0, ok)).toBe(9); // EBADF from the dup
    const { fd } = icmpSocket();
    expect(addon.pacedSend(fd, template(), 'example.org', 4, 0, 1, 1e6, 0, ok)).toBe(22);
    expect(addon.pacedSend(fd, new Uint8Array(4), '127.0.0.1', 4, 0, 1, 1e6, 0, ok)).toBe(22);
  });

  it('floodRecv with floodStamps on: many packets per call, each with its own kernel stamp; one per call with the SIOCGSTAMPNS stamp once it is off', () => {
    const { fd, sock } = icmpSocket();
    sock.pauseRecv(); // floodRecv reads this socket, not raw-socket
    sock.setOption(raw.SocketLevel.SOL_SOCKET, raw.SocketOption.SO_RCVBUF!, 1 << 22);
    const N = 100;
    const sent = new Float64Array(N);
    const records = new Float64Array(3 * 4 * N);
    // Without floodStamps, a batch cannot tell each packet's stamp: −1, not a guess.
    expect(addon.floodSend(fd, template(), '127.0.0.1', 4, 100, 2, sent)).toEqual([2, 0]);
    const [plain] = addon.floodRecv(fd, template(), '127.0.0.1', 4, records, 64);
    expect(plain).toBe(2);
    expect([records[1], records[4]]).toEqual([-1, -1]);

    expect(addon.floodStamps(fd, true)).toBe(0);
    expect(addon.floodSend(fd, template(), '127.0.0.1', 4, 100, N, sent)).toEqual([N, 0]);
    const [n, errno, others = []] = addon.floodRecv(fd, template(), '127.0.0.1', 4, records, 64);
    expect(errno).toBe(11); // EAGAIN: all read
    expect(n).toBe(N);
    const replyAt = new Map<number, number>();
    for (let k = 0; k < n; k++) replyAt.set(records[3 * k]!, records[3 * k + 1]!);
    expect([...replyAt.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, k) => 100 + k));
    // A raw ICMP socket also reads the requests it sends on loopback: they come as other packets, stamped
    // too (beside whatever ICMP other tests send meanwhile: a raw socket sees all of the host's).
    const requests: [Buffer, unknown, number][] = [];
    for (let k = 0; k + 2 < others.length; k += 3) requests.push([others[k] as Buffer, others[k + 1], others[k + 2] as number]);
    const ours = requests.filter(([buf]) => buf[20] === 8 && buf.readUInt16BE(20 + 4) === IDENT);
    expect(ours).toHaveLength(N);
    for (const [buf, from, at] of ours) {
      const seq = buf.readUInt16BE(20 + 6);
      expect(from).toBe('127.0.0.1');
      // Sent, then seen arriving, then answered: each packet has its own stamp.
      expect(at).toBeGreaterThan(sent[seq - 100]!);
      expect(replyAt.get(seq)!).toBeGreaterThan(at);
    }

    expect(addon.floodStamps(fd, false)).toBe(0);
    expect(addon.floodSend(fd, template(), '127.0.0.1', 4, 500, 1, sent)).toEqual([1, 0]);
    const [one] = addon.floodRecv(fd, template(), '127.0.0.1', 4, records);
    expect(one).toBe(1);
    expect(records[1]).toBeGreaterThan(sent[0]!); // SIOCGSTAMPNS's stamp again
    expect(addon.floodRecv(fd, template(), '127.0.0.1', 4, records, 65)[1]).toBe(22); // at most 64 per call
  });
});
