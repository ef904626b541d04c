// A ProbeTransport for tests: no sockets. It records what is sent, stamps
// sends and deliveries with a clock the test controls (default: Date.now()
// in µs, which vitest's fake timers move), and delivers ICMP the way a raw
// socket does: to every open ICMP socket of the family, IPv4 with its IP
// header, ICMPv6 without. Responders script the network.
import { EventEmitter } from 'node:events';
import { echoLayers, ECHO, keyOf, stackBytes, type Layer } from '../../shared/packet/index.js';
import { u16 } from '../../shared/packet/bytes.js';
import type { LostHandles, PacketListener, ProbeOpen, ProbePacket, ProbeSend, ProbeSent, ProbeTransport, RawHandle } from './probe-transport.js';

export interface SentRecord extends ProbeSend {
  tUs: number;
  family: 4 | 6;
  protocol: ProbeOpen['protocol'];
}

export type Responder = (sent: SentRecord, net: FakeTransport) => void;

export class FakeTransport implements ProbeTransport {
  readonly sent: SentRecord[] = [];
  readonly opened = new Map<RawHandle, ProbeOpen>();
  readonly closed: RawHandle[] = [];
  readonly filters = new Map<RawHandle, number[] | null>();
  /** Set to make send() fail (return an Error to throw for that send). */
  sendError?: (s: ProbeSend) => Error | undefined;
  /** Set to have setFilter (leave undefined: the transport has none). */
  setFilter?: (handle: RawHandle, icmpTypes: number[] | null) => Promise<void>;
  private readonly emitter = new EventEmitter();
  private nextHandle = 1;

  constructor(
    public responder: Responder = () => undefined,
    public nowUs: () => number = () => Date.now() * 1000,
    /** The address our packets come from (IPv4, IPv6). */
    readonly local: { 4: string; 6: string } = { 4: '127.0.0.1', 6: '::1' },
  ) {}

  async open(o: ProbeOpen): Promise<RawHandle> {
    const h = this.nextHandle++;
    this.opened.set(h, o);
    return h;
  }

  async send(s: ProbeSend): Promise<ProbeSent> {
    const o = this.opened.get(s.handle);
    if (!o) throw Object.assign(new Error('bad handle'), { code: 'EBADF' });
    const err = this.sendError?.(s);
    if (err) throw err;
    const rec: SentRecord = { ...s, tUs: this.nowUs(), family: o.family, protocol: o.protocol };
    this.sent.push(rec);
    this.responder(rec, this);
    return { bytes: s.bytes.length, tUs: rec.tUs };
  }

  async close(handle: RawHandle): Promise<void> {
    this.opened.delete(handle);
    this.closed.push(handle);
  }

  on(event: 'packet', listener: PacketListener): this {
    this.emitter.on(event, listener);
    return this;
  }

  off(event: 'packet', listener: PacketListener): this {
    this.emitter.off(event, listener);
    return this;
  }

  onLost(listener: (e: LostHandles) => void): () => void {
    this.emitter.on('lost', listener);
    return () => void this.emitter.off('lost', listener);
  }

  /** The helper "died": every open handle is gone (later sends on them fail with EBADF), and runs are told. */
  lose(error: Error): void {
    const handles = [...this.opened.keys()];
    this.opened.clear();
    this.emitter.emit('lost', { handles, error });
  }

  /** Delivers a packet to one handle as the helper would. */
  deliver(p: Omit<ProbePacket, 'tUs'> & { tUs?: number }): void {
    this.emitter.emit('packet', { ...p, tUs: p.tUs ?? this.nowUs() });
  }

  /**
   * Delivers an ICMP (family 4) or ICMPv6 (6) message to every open ICMP
   * socket of that family, as the kernel hands a copy to each raw socket.
   */
  deliverIcmp(family: 4 | 6, icmp: Uint8Array, from: string, opts: { ttl?: number; tUs?: number; to?: string } = {}): void {
    for (const [handle, o] of this.opened) {
      if (o.family !== family || o.protocol !== (family === 4 ? 'icmp' : 'icmpv6')) continue;
      const bytes = family === 4 ? ipv4(from, opts.to ?? this.local[4], 1, opts.ttl ?? 64, false, icmp) : icmp;
      this.deliver({ handle, bytes, from, ipHeader: family === 4, tUs: opts.tUs });
    }
  }

  /** The packet as it left (IPv4: with the header the kernel would have built). */
  wire(s: SentRecord): Uint8Array {
    if (s.family === 4) return ipv4(this.local[4], s.address, s.protocol === 'icmp' ? 1 : (s.protocol as number), s.ttl ?? 64, s.df ?? false, s.bytes);
    const nh = s.protocol === 'icmpv6' ? 58 : (s.protocol as number);
    return stackBytes([{ kind: 'ipv6', fields: { src: this.local[6], dst: s.address, nh, hlim: s.ttl ?? 64 } }, { kind: 'payload', fields: { load: s.bytes } }]);
  }
}

/** An IPv4 header (identification 0) and its payload. */
function ipv4(src: string, dst: string, proto: number, ttl: number, df: boolean, payload: Uint8Array): Uint8Array {
  return stackBytes([{ kind: 'ipv4', fields: { src, dst, proto, ttl, id: 0, flags: df ? 'DF' : 0 } }, { kind: 'payload', fields: { load: payload } }]);
}

export interface LoopbackScript {
  /** Reply after this many ms (setTimeout, so fake timers control it); default 0 (synchronously in send). */
  delayMs?: number | ((seq: number) => number);
  /** Send the reply this many times (2+: duplicates). */
  copies?: number | ((seq: number) => number);
  /** Drop the reply to these sequence numbers. */
  drop?: (seq: number) => boolean;
  /** Also deliver our own echo request, as a raw socket on loopback does (default true). */
  echoOwn?: boolean;
}

/** A responder acting like loopback: our request comes back to us, then the kernel's echo reply. */
export function loopback(script: LoopbackScript = {}): Responder {
  return (s, net) => {
    const family = s.family;
    const reply = echoReplyTo(s);
    if (!reply) return;
    const sequence = u16(reply, 6);
    if (script.echoOwn ?? true) net.deliverIcmp(family, s.bytes, net.local[family], { tUs: s.tUs + 5 });
    if (script.drop?.(sequence)) return;
    const copies = typeof script.copies === 'function' ? script.copies(sequence) : (script.copies ?? 1);
    const delay = typeof script.delayMs === 'function' ? script.delayMs(sequence) : (script.delayMs ?? 0);
    const go = (): void => {
      for (let i = 0; i < copies; i++) net.deliverIcmp(family, reply, s.address);
    };
    if (delay > 0) setTimeout(go, delay);
    else go();
  };
}

/** The echo reply to an echo request that was sent (its identifier, sequence and payload); null for anything else. */
export function echoReplyTo(s: SentRecord): Uint8Array | null {
  if (s.protocol !== 'icmp' && s.protocol !== 'icmpv6') return null;
  const m = keyOf(s.bytes, s.protocol);
  if (m.type !== ECHO[s.family].request || m.id === undefined) return null;
  return stackBytes(echoLayers(s.family, { identifier: m.id, sequence: m.icmpSeq!, payload: s.bytes.subarray(8), reply: true }));
}

/** An ICMP(v6) error from `router` quoting what was sent. */
export function icmpErrorFor(net: FakeTransport, s: SentRecord, kind: 'time-exceeded' | 'destination-unreachable', code: number, router: string): void {
  const quoted = net.wire(s);
  const q = s.family === 4 ? quoted.subarray(0, Math.min(quoted.length, 548)) : quoted.subarray(0, Math.min(quoted.length, 1232));
  const type = kind === 'time-exceeded' ? 'time-exceeded' : 'dest-unreach';
  // ICMPv6: checksum 0, the kernel's to fill, as with what ping sends.
  const error: Layer = s.family === 4 ? { kind: 'icmp', fields: { type, code } } : { kind: 'icmpv6', fields: { type, code, chksum: 0 } };
  net.deliverIcmp(s.family, stackBytes([error, { kind: 'payload', fields: { load: q } }]), router);
}
