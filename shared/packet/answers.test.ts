// The reply matcher, pure: packets built with the crafter's own codecs,
// each rule of answers() on its own, and garbage that never throws.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { answers, expectedAck, FlowCandidates, flowOf, isOwnPacket, keyOf, pickAnswered, type PacketKey, type SentCandidate } from './answers.js';
import { stackBytes, type Layer, type LayerKind } from './index.js';

const key = (layers: Layer[], addrs?: { src?: string; dst?: string }): PacketKey => keyOf(stackBytes(layers, addrs), layers[0]!.kind, addrs);
const ip4 = (src: string, dst: string): Layer => ({ kind: 'ipv4', fields: { src, dst } });
const ip6 = (src: string, dst: string): Layer => ({ kind: 'ipv6', fields: { src, dst } });
const tcp = (fields: Layer['fields']): Layer => ({ kind: 'tcp', fields });
const udp = (sport: number, dport: number): Layer => ({ kind: 'udp', fields: { sport, dport } });
const icmp = (fields: Layer['fields']): Layer => ({ kind: 'icmp', fields });
const load = (text: string): Layer => ({ kind: 'payload', fields: { load: new TextEncoder().encode(text) } });

const US = '127.0.0.1';
const THEM = '127.0.0.2';

describe('keyOf', () => {
  it('reads addresses, protocol, ports, sequence numbers and the TCP segment length', () => {
    const k = key([ip4(US, THEM), tcp({ sport: 40000, dport: 80, seq: 1000, ack: 0, flags: 'S' }), load('hello')]);
    expect(k).toMatchObject({ family: 4, src: US, dst: THEM, proto: 6, upper: 20, sport: 40000, dport: 80, seq: 1000, flags: 2, len: 5 });
    expect(expectedAck(k)).toBe(1006);
  });

  it('walks IPv6 extension headers to the upper layer; a later fragment has none', () => {
    const k = key([ip6('::1', '::2'), { kind: 'hopopts', fields: {} }, { kind: 'destopts', fields: {} }, udp(5, 6)]);
    expect(k).toMatchObject({ family: 6, src: '::1', dst: '::2', proto: 17, upper: 56, sport: 5, dport: 6 });
    const later = key([ip6('::1', '::2'), { kind: 'fragment', fields: { offset: 2, nh: 17 } }, load('x'.repeat(16))]);
    expect(later).toMatchObject({ proto: 17, upper: -1 });
    expect(later.sport).toBeUndefined();
  });

  it('a stack without an IP layer takes its addresses (canonical) from the caller', () => {
    const k = keyOf(stackBytes([udp(1, 2)], { src: '::1', dst: '::0002' }), 'udp', { src: '0:0:0:0:0:0:0:1', dst: '::0002' });
    expect(k).toMatchObject({ family: 6, src: '::1', dst: '::2', proto: 17, upper: 0, sport: 1, dport: 2 });
  });

  it('an ICMP error carries the key of the datagram it quotes', () => {
    const k = key([ip4(THEM, US), icmp({ type: 'dest-unreach', code: 3 }), ip4(US, THEM), udp(5000, 9)]);
    expect(k).toMatchObject({ proto: 1, type: 3, code: 3 });
    expect(k.quoted).toMatchObject({ family: 4, src: US, dst: THEM, proto: 17, sport: 5000, dport: 9 });
  });

  it('never throws on random, truncated or mutated bytes', () => {
    const kinds: LayerKind[] = ['ipv4', 'ipv6', 'icmp', 'icmpv6', 'tcp', 'udp', 'payload', 'hopopts'];
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(...kinds), (b, first) => {
      const k = keyOf(b, first, { src: US });
      flowOf(k, 'reply');
      answers(k, k);
      return true;
    }), { numRuns: 2000 });
    const full = stackBytes([ip4(THEM, US), icmp({ type: 'time-exceeded' }), ip4(US, THEM), tcp({ sport: 1, dport: 2 })]);
    for (let n = 0; n <= full.length; n++) expect(() => keyOf(full.subarray(0, n), 'ipv4')).not.toThrow();
  });
});

describe('answers', () => {
  const syn = key([ip4(US, THEM), tcp({ sport: 40000, dport: 80, seq: 1000, flags: 'S' })]);

  it('TCP: a SYN-ACK with ports and addresses swapped and ack = seq + 1 answers our SYN', () => {
    const synAck = key([ip4(THEM, US), tcp({ sport: 80, dport: 40000, seq: 77, ack: 1001, flags: 'SA' })]);
    expect(answers(synAck, syn)).toBe(true);
    expect(flowOf(synAck, 'reply')).toBe(flowOf(syn, 'sent'));
    const rstAck = key([ip4(THEM, US), tcp({ sport: 80, dport: 40000, ack: 1001, flags: 'RA' })]);
    expect(answers(rstAck, syn)).toBe(true); // a closed port's answer
  });

  it('TCP: a wrong ack, wrong ports, other addresses, or our own SYN do not', () => {
    expect(answers(key([ip4(THEM, US), tcp({ sport: 80, dport: 40000, ack: 1002, flags: 'SA' })]), syn)).toBe(false);
    expect(answers(key([ip4(THEM, US), tcp({ sport: 81, dport: 40000, ack: 1001, flags: 'SA' })]), syn)).toBe(false);
    expect(answers(key([ip4('127.0.0.3', US), tcp({ sport: 80, dport: 40000, ack: 1001, flags: 'SA' })]), syn)).toBe(false);
    expect(answers(syn, syn)).toBe(false);
    // A bare RST answers only a segment that carried an ack it can take as its sequence number.
    expect(answers(key([ip4(THEM, US), tcp({ sport: 80, dport: 40000, seq: 0, flags: 'R' })]), syn)).toBe(false);
    const ackSeg = key([ip4(US, THEM), tcp({ sport: 40000, dport: 80, seq: 5, ack: 900, flags: 'A' })]);
    expect(answers(key([ip4(THEM, US), tcp({ sport: 80, dport: 40000, seq: 900, flags: 'R' })]), ackSeg)).toBe(true);
  });

  it('TCP: data and FIN count in the expected ack', () => {
    const data = key([ip4(US, THEM), tcp({ sport: 1, dport: 2, seq: 2 ** 32 - 2, flags: 'PA' }), load('abcd')]);
    expect(expectedAck(data)).toBe(2); // wraps
    expect(answers(key([ip4(THEM, US), tcp({ sport: 2, dport: 1, ack: 2, flags: 'A' })]), data)).toBe(true);
    const fin = key([ip4(US, THEM), tcp({ sport: 1, dport: 2, seq: 10, flags: 'FA' })]);
    expect(expectedAck(fin)).toBe(11);
  });

  it('UDP: ports swapped; an ICMP port-unreachable quoting our datagram answers it', () => {
    const sent = key([ip4(US, THEM), udp(5000, 9), load('x')]);
    expect(answers(key([ip4(THEM, US), udp(9, 5000)]), sent)).toBe(true);
    expect(answers(key([ip4(THEM, US), udp(9, 5001)]), sent)).toBe(false);
    const unreach = key([ip4(THEM, US), icmp({ type: 'dest-unreach', code: 3 }), ip4(US, THEM), udp(5000, 9), load('x')]);
    expect(answers(unreach, sent)).toBe(true);
    expect(flowOf(unreach, 'reply')).toBe(flowOf(sent, 'sent'));
    const other = key([ip4(THEM, US), icmp({ type: 'dest-unreach', code: 3 }), ip4(US, THEM), udp(5000, 10)]);
    expect(answers(other, sent)).toBe(false);
    // From a router (another source) still answers: errors come from wherever the packet died.
    const router = key([ip4('10.0.0.1', US), icmp({ type: 'time-exceeded' }), ip4(US, THEM), udp(5000, 9)]);
    expect(answers(router, sent)).toBe(true);
  });

  it('UDP without an IP layer (kernel header): the quote matches on the destination and ports', () => {
    const sent = keyOf(stackBytes([udp(5000, 9)], { src: US, dst: THEM }), 'udp', { src: US, dst: THEM });
    const unreach = key([ip4(THEM, US), icmp({ type: 'dest-unreach', code: 3 }), ip4(US, THEM), udp(5000, 9)]);
    expect(answers(unreach, sent)).toBe(true);
  });

  it('ICMP echo: the reply with our id and seq answers; another seq, or a request, does not', () => {
    const req = key([ip4(US, THEM), icmp({ type: 'echo-request', id: 7, seq: 1 })]);
    expect(answers(key([ip4(THEM, US), icmp({ type: 'echo-reply', id: 7, seq: 1 })]), req)).toBe(true);
    expect(answers(key([ip4(THEM, US), icmp({ type: 'echo-reply', id: 7, seq: 2 })]), req)).toBe(false);
    expect(answers(key([ip4(THEM, US), icmp({ type: 'echo-request', id: 7, seq: 1 })]), req)).toBe(false);
    expect(answers(req, req)).toBe(false);
    // An error quoting the echo request answers it too.
    const ttl = key([ip4('10.0.0.1', US), icmp({ type: 'time-exceeded' }), ip4(US, THEM), icmp({ type: 'echo-request', id: 7, seq: 1 })]);
    expect(answers(ttl, req)).toBe(true);
    expect(answers(ttl, key([ip4(US, THEM), icmp({ type: 'echo-request', id: 7, seq: 2 })]))).toBe(false);
  });

  it('ICMPv6 and IPv6 TCP as an IPv6 raw socket gives them: no IP header, the source from recvfrom', () => {
    const req = key([ip6('::1', '::1'), { kind: 'icmpv6', fields: { type: 'echo-request', id: 3, seq: 9 } }]);
    const rep = keyOf(stackBytes([{ kind: 'icmpv6', fields: { type: 'echo-reply', id: 3, seq: 9 } }], { src: '::1', dst: '::1' }), 'icmpv6', { src: '::1' });
    expect(answers(rep, req)).toBe(true);
    const syn6 = key([ip6('::1', '::1'), tcp({ sport: 1234, dport: 80, seq: 5, flags: 'S' })]);
    const synAck6 = keyOf(stackBytes([tcp({ sport: 80, dport: 1234, ack: 6, flags: 'SA' })], { src: '::1', dst: '::1' }), 'tcp', { src: '::1' });
    expect(answers(synAck6, syn6)).toBe(true);
    expect(answers(keyOf(stackBytes([tcp({ sport: 80, dport: 1234, ack: 6, flags: 'SA' })], { src: '::2', dst: '::1' }), 'tcp', { src: '::2' }), syn6)).toBe(false);
    // An IPv4 packet never answers an IPv6 one.
    expect(answers(key([ip4(US, US), tcp({ sport: 80, dport: 1234, ack: 6, flags: 'SA' })]), syn6)).toBe(false);
  });
});

describe('isOwnPacket and chooseAnswered', () => {
  it('our own packet heard on loopback is ours even when the kernel wrote its checksum', () => {
    const layers = [{ kind: 'icmpv6' as const, fields: { type: 'echo-request', id: 1, seq: 1, chksum: 0 } }];
    const sent = stackBytes(layers, { src: '::1', dst: '::1' });
    const heard = sent.slice();
    heard[2] = 0xab;
    heard[3] = 0xcd;
    const ks = keyOf(sent, 'icmpv6', { dst: '::1' });
    const kh = keyOf(heard, 'icmpv6', { src: '::1' });
    expect(isOwnPacket(heard, kh, sent, ks)).toBe(true);
    heard[5] = 9; // another id
    expect(isOwnPacket(heard, keyOf(heard, 'icmpv6', { src: '::1' }), sent, ks)).toBe(false);
    // With the IPv4 header (which the kernel rewrites) before it: only the upper layer counts.
    const v4 = stackBytes([ip4(US, US), udp(1, 1), load('x')]);
    const v4heard = v4.slice();
    v4heard[4] = 0x55; // another id
    expect(isOwnPacket(v4heard, keyOf(v4heard, 'ipv4'), v4, keyOf(v4, 'ipv4'))).toBe(true);
  });

  it('a reply answers the oldest unanswered of the matching sends, else the newest; our own packet is "own"', () => {
    const sent = (seq: number) => {
      const bytes = stackBytes([ip4(US, THEM), icmp({ type: 'echo-request', id: 5, seq })]);
      return { key: keyOf(bytes, 'ipv4'), bytes, answered: 0 };
    };
    const a = sent(1);
    const b = sent(1);
    const c = sent(1);
    const other = sent(2);
    const replyBytes = stackBytes([ip4(THEM, US), icmp({ type: 'echo-reply', id: 5, seq: 1 })]);
    const reply = keyOf(replyBytes, 'ipv4');
    expect(pickAnswered(replyBytes, reply, [])).toBeNull();
    expect(pickAnswered(replyBytes, reply, [other])).toBeNull();
    expect(pickAnswered(replyBytes, reply, [other, a, b, c])).toBe(a);
    a.answered = 1;
    expect(pickAnswered(replyBytes, reply, [a, b, c])).toBe(b);
    b.answered = c.answered = 1;
    expect(pickAnswered(replyBytes, reply, [a, b, c])).toBe(c);
    // A UDP datagram to ourselves with sport = dport "answers" itself by ports: it is ours.
    const loop = stackBytes([ip4(US, US), udp(7, 7), load('me')]);
    const mine = { key: keyOf(loop, 'ipv4'), bytes: loop, answered: 0 };
    expect(answers(keyOf(loop, 'ipv4'), mine.key)).toBe(true);
    expect(pickAnswered(loop, keyOf(loop, 'ipv4'), [mine])).toBe('own');
  });
});

describe('FlowCandidates: pickAnswered\'s verdict without scanning every packet sent', () => {
  type Sent = SentCandidate & { name: string };
  const echoReq = (name: string, seq: number, text = 'AAAA', ttl = 64): Sent => {
    const bytes = stackBytes([{ kind: 'ipv4', fields: { src: US, dst: THEM, ttl } }, icmp({ type: 'echo-request', id: 9, seq }), load(text)]);
    return { name, key: keyOf(bytes, 'ipv4'), bytes, answered: 0 };
  };
  const echoRep = stackBytes([ip4(THEM, US), icmp({ type: 'echo-reply', id: 9, seq: 1 }), load('AAAA')]);
  const echoRepKey = keyOf(echoRep, 'ipv4');
  /** UDP to ourselves with sport = dport: every datagram "answers" every other by ports. */
  const udpSelf = (name: string, text: string): Sent => {
    const bytes = stackBytes([ip4(US, US), udp(7, 7), load(text)]);
    return { name, key: keyOf(bytes, 'ipv4'), bytes, answered: 0 };
  };
  const pick = (f: FlowCandidates<Sent>, bytes: Uint8Array, first: LayerKind = 'ipv4') => {
    const r = f.pick(bytes, keyOf(bytes, first));
    expect(r).toBe(pickAnswered(bytes, keyOf(bytes, first), [...f])); // always the reference's verdict
    return r === null || r === 'own' ? r : r.name;
  };

  it('the same packet sent 1000 times: each reply takes the oldest unanswered; once all are answered the newest gets the duplicate', () => {
    const f = new FlowCandidates<Sent>(256);
    const all: Sent[] = [];
    for (let i = 0; i < 1000; i++) {
      const c = echoReq(`s${i}`, 1);
      all.push(c);
      const out = f.add(c);
      expect(out).toBe(i >= 256 ? all[i - 256] : undefined); // past 256 the oldest is let go
    }
    expect(f.size).toBe(256);
    expect([...f].map((c) => c.name)).toEqual(all.slice(744).map((c) => c.name));
    for (let i = 744; i < 1000; i++) {
      const got = f.pick(echoRep, echoRepKey);
      expect(got).toBe(all[i]);
      (got as Sent).answered++;
    }
    expect(pick(f, echoRep)).toBe('s999'); // a duplicate answer: the newest
    // The IPv4 header (ttl, id) is not what a reply tells apart: these join the same group, in order.
    const late = echoReq('late', 1, 'AAAA', 3);
    f.add(late);
    expect(pick(f, echoRep)).toBe('late');
    // Our own echo request heard again is not an answer to anything (answers() says no already).
    expect(pick(f, all[999]!.bytes)).toBeNull();
  });

  it('different packets of one flow keep their order: oldest unanswered first across them', () => {
    const f = new FlowCandidates<Sent>();
    const [a, b, c, d] = [echoReq('a', 1, 'AAAA'), echoReq('b', 1, 'BBBB'), echoReq('c', 1, 'AAAA'), echoReq('d', 1, 'BBBB')];
    for (const x of [a, b, c, d]) f.add(x!);
    expect(pick(f, echoRep)).toBe('a');
    a!.answered = 1;
    expect(pick(f, echoRep)).toBe('b');
    b!.answered = 1;
    expect(pick(f, echoRep)).toBe('c');
    c!.answered = d!.answered = 1;
    expect(pick(f, echoRep)).toBe('d');
    f.remove(d!);
    expect(pick(f, echoRep)).toBe('c'); // the newest left
    expect(f.remove(d!)).toBe(false);
    f.remove(a!);
    f.remove(b!);
    f.remove(c!);
    expect(f.size).toBe(0);
    expect(pick(f, echoRep)).toBeNull();
  });

  it('our own packet heard again is "own", even when an older matching packet is answered already', () => {
    const f = new FlowCandidates<Sent>();
    const x1 = udpSelf('x1', 'x');
    const x2 = udpSelf('x2', 'x');
    f.add(x1);
    f.add(x2);
    expect(pick(f, x1.bytes)).toBe('own');
    x1.answered = 1;
    expect(pick(f, x2.bytes)).toBe('own');
    // As pickAnswered scans: another datagram of the flow, older and unanswered, is reached before the own check.
    const g = new FlowCandidates<Sent>();
    const y = udpSelf('y', 'y');
    g.add(y);
    g.add(udpSelf('x', 'x'));
    expect(pick(g, x1.bytes)).toBe('y');
    y.answered = 1;
    expect(pick(g, x1.bytes)).toBe('own');
  });

  it('agrees with pickAnswered over random sends, answers, removals and replies', () => {
    const pool = [echoReq('p0', 1, 'AAAA'), echoReq('p1', 1, 'BBBB'), echoReq('p2', 1, 'AAAA', 9), udpSelf('u0', 'x'), udpSelf('u1', 'y')];
    const replies = [echoRep, stackBytes([ip4(THEM, US), icmp({ type: 'echo-reply', id: 9, seq: 2 })]), pool[3]!.bytes, pool[4]!.bytes, stackBytes([ip4(US, US), udp(7, 7), load('z')])];
    const op = fc.oneof(
      fc.record({ t: fc.constant('add' as const), i: fc.nat(pool.length - 1) }),
      fc.record({ t: fc.constant('answer' as const), i: fc.nat(300) }),
      fc.record({ t: fc.constant('remove' as const), i: fc.nat(300) }),
      fc.record({ t: fc.constant('reply' as const), i: fc.nat(replies.length - 1) }),
    );
    fc.assert(fc.property(fc.array(op, { maxLength: 200 }), fc.integer({ min: 1, max: 12 }), (ops, max) => {
      const f = new FlowCandidates<Sent>(max);
      const model: Sent[] = [];
      let n = 0;
      for (const o of ops) {
        if (o.t === 'add') {
          const p = pool[o.i]!;
          const c = { ...p, name: `${p.name}#${n++}`, answered: 0 };
          f.add(c);
          model.push(c);
          if (model.length > max) model.shift();
        } else if (o.t === 'answer' && model.length) model[o.i % model.length]!.answered++;
        else if (o.t === 'remove' && model.length) {
          const [c] = model.splice(o.i % model.length, 1);
          expect(f.remove(c!)).toBe(true);
        } else if (o.t === 'reply') {
          const r = keyOf(replies[o.i]!, 'ipv4');
          const got = f.pick(replies[o.i]!, r);
          expect(got).toBe(pickAnswered(replies[o.i]!, r, model));
          if (got !== null && got !== 'own') got.answered++;
        }
        expect([...f]).toEqual(model);
      }
    }), { numRuns: 500 });
  });
});
