// traceroute over a ProbeTransport, by ICMP echo or by UDP, TTL 1, 2, …:
// each hop gets `probesPerHop` probes sent back to back; each probe is
// answered by an ICMP time exceeded from a router on the way, by the
// destination (echo reply, or port unreachable for UDP), by some other
// destination unreachable (!H, !N, !X …), or by nothing within the timeout
// (`*`). The answer is matched to its probe by decoding the packet the ICMP
// error quotes: the echo identifier and sequence, or the UDP ports.
//
// UDP probes go through the helper as raw UDP: a raw socket for IP protocol
// 17 without IP_HDRINCL, so the kernel still writes the IP header while the
// TTL comes with each send, like ICMP's. Why not a normal UDP socket with
// IP_TTL: (1) the send timestamp then comes from the helper's clock, taken
// just before the syscall, the same clock that stamps the ICMP answer, so the
// RTT is as honest as ping's, with no cross-process hop in between; (2) we
// pick the source port and each probe's destination port ourselves and match
// the quoted ports exactly, with no socket bound in the main process; (3)
// main needs no extra socket or privilege path. The UDP checksum is 0 over
// IPv4 ("none", RFC 768); IPv6 requires one, computed over the pseudo-header
// with the source address the kernel will choose (asked with a connected
// UDP socket, which sends nothing).
import { createSocket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import type { InferInput } from 'valibot';
import { checkWith } from '../../shared/contract/check.js';
import { NOT_AN_ADDRESS, PING_LIMITS, TraceParams } from '../../shared/contract/probes.js';
import { ipFamily } from '../../shared/net/address.js';
import { echoLayers, ECHO, icmpCodeName, icmpTypeName, stackBytes } from '../../shared/packet/index.js';
import { decodeIcmpPacket, random16, sameAddress, type ProbePacket, type ProbeTransport, type RawHandle } from './probe-transport.js';

export const TRACEROUTE_BASE_PORT = 33434;

type TraceParamsIn = InferInput<typeof TraceParams>;

/**
 * A traceroute as the contract's trace.start takes it (its limits are the
 * contract's, checked by its schema), with defaults for mode ('udp', as
 * traceroute; 'icmp' is traceroute -I), max hops (30), probes per hop (3)
 * and timeout (1000 ms per probe), and options the app does not offer.
 */
export type TracerouteOptions = Pick<TraceParamsIn, 'target'> & Partial<Omit<TraceParamsIn, 'target'>> & {
  /** First TTL; default 1. */
  firstHop?: number;
  /** UDP: the first destination port; probe n goes to port + n. Default 33434. */
  port?: number;
  /** UDP: the source port; default random (49152..65535). */
  sourcePort?: number;
  /** Payload bytes after the ICMP/UDP header; default 32 (60-byte IPv4 packets, as traceroute). */
  size?: number;
  /** TOS / traffic class. */
  tos?: number;
  /** ICMP: a fixed echo identifier instead of a random one. */
  identifier?: number;
};

export interface ResolvedTracerouteOptions {
  target: string;
  family: 4 | 6;
  mode: 'icmp' | 'udp';
  firstHop: number;
  maxHops: number;
  probesPerHop: number;
  timeoutMs: number;
  port: number;
  sourcePort: number;
  size: number;
  tos?: number;
  identifier: number;
}

export type TraceAnswerKind = 'time-exceeded' | 'echo-reply' | 'port-unreachable' | 'unreachable' | 'other-error';

export type TraceProbe =
  | {
      ttl: number;
      /** 0-based within the hop. */
      probe: number;
      status: 'reply';
      from: string;
      rttUs: number;
      kind: TraceAnswerKind;
      /** ICMP type/code of the answer and the code's name (e.g. ttl-exceeded-in-transit, port-unreachable). */
      type: number;
      code: number;
      codeName: string;
      /** traceroute's mark: '' or !H, !N, !P, !X, !F, !S, !V, !C, !<code>. */
      flag: string;
      /** IPv4 TTL of the answer; null for IPv6. */
      replyTtl: number | null;
    }
  | { ttl: number; probe: number; status: 'timeout' }
  | { ttl: number; probe: number; status: 'send-error'; message: string; code?: string };

export interface TraceHop {
  ttl: number;
  probes: TraceProbe[];
}

export interface TracerouteResult {
  target: string;
  family: 4 | 6;
  mode: 'icmp' | 'udp';
  maxHops: number;
  /** Size of each probe's IP packet (traceroute's "60 byte packets"). */
  packetBytes: number;
  hops: TraceHop[];
  /** The destination answered (echo reply, or port unreachable for UDP). */
  reached: boolean;
  /** Why it ended: reached, an unreachable (!H, !N, !X …) at the last hop, max hops, or stop(). */
  stoppedBy: 'reached' | 'unreachable' | 'max-hops' | 'stopped';
  /** traceroute's output lines. */
  text: string;
}

export interface TracerouteEvents {
  probe: TraceProbe;
  hop: TraceHop;
  done: TracerouteResult;
}

export type TracerouteOptionsResult = { ok: true; options: ResolvedTracerouteOptions } | { ok: false; field: keyof TracerouteOptions; message: string };

export class TracerouteOptionsError extends Error {
  constructor(readonly field: keyof TracerouteOptions, message: string) {
    super(message);
    this.name = 'TracerouteOptionsError';
  }
}

const isInt = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

export function validateTracerouteOptions(o: TracerouteOptions): TracerouteOptionsResult {
  const bad = (field: keyof TracerouteOptions, message: string): TracerouteOptionsResult => ({ ok: false, field, message });
  const checked = checkWith(TraceParams, { ...o, mode: o.mode ?? 'udp', maxHops: o.maxHops ?? 30, probesPerHop: o.probesPerHop ?? 3, timeoutMs: o.timeoutMs ?? 1000 });
  if (!checked.ok) return bad((checked.field ?? 'target') as keyof TracerouteOptions, checked.message);
  const { target, mode, maxHops, probesPerHop, timeoutMs } = checked.value;
  // The contract lets a person type a name; main resolves it before a Traceroute is made.
  if (ipFamily(target) === null) return bad('target', NOT_AN_ADDRESS);
  const family = ipFamily(target)!;
  const firstHop = o.firstHop ?? 1;
  if (!isInt(firstHop, 1, 255)) return bad('firstHop', `first hop must be 1..255, got ${firstHop}`);
  if (maxHops < firstHop) return bad('maxHops', `max hops must not be below the first hop (${firstHop}), got ${maxHops}`);
  const port = o.port ?? TRACEROUTE_BASE_PORT;
  const probes = (maxHops - firstHop + 1) * probesPerHop;
  if (!isInt(port, 1, 65535 - probes + 1)) return bad('port', `port must be 1..${65535 - probes + 1} (each of the ${probes} probes takes the next port), got ${port}`);
  const sourcePort = o.sourcePort ?? 49152 + (random16() % 16384);
  if (!isInt(sourcePort, 1, 65535)) return bad('sourcePort', `source port must be 1..65535, got ${sourcePort}`);
  const size = o.size ?? 32;
  const maxSize = family === 4 ? PING_LIMITS.sizeV4 : PING_LIMITS.sizeV6; // the same headers as ping's
  if (!isInt(size, 0, maxSize)) return bad('size', `payload size must be 0..${maxSize} bytes, got ${size}`);
  if (o.tos !== undefined && !isInt(o.tos, 0, 255)) return bad('tos', `${family === 4 ? 'TOS' : 'traffic class'} must be 0..255, got ${o.tos}`);
  if (o.identifier !== undefined && !isInt(o.identifier, 0, 0xffff)) return bad('identifier', `identifier must be 0..65535, got ${o.identifier}`);
  return {
    ok: true,
    options: { target, family, mode, firstHop, maxHops, probesPerHop, timeoutMs, port, sourcePort, size, tos: o.tos, identifier: o.identifier ?? random16() },
  };
}

export interface TracerouteDeps {
  /** The source address the kernel picks for `target` (for the IPv6 UDP checksum); default: a connected UDP socket. */
  routeSource?: (family: 4 | 6, target: string) => Promise<string | null>;
}

/** The local address the routing table picks to reach `target`: connect() a UDP socket (nothing is sent) and read its name. */
export function routeSource(family: 4 | 6, target: string): Promise<string | null> {
  return new Promise((resolve) => {
    const s = createSocket(family === 4 ? 'udp4' : 'udp6');
    const done = (v: string | null): void => {
      try {
        s.close();
      } catch {
        // already closed
      }
      resolve(v);
    };
    s.once('error', () => done(null));
    s.connect(TRACEROUTE_BASE_PORT, target, () => {
      try {
        done(s.address().address);
      } catch {
        done(null);
      }
    });
  });
}

interface Pending {
  ttl: number;
  probe: number;
  /** ICMP sequence, or UDP destination port. */
  key: number;
  sentTUs?: number;
  early: ProbePacket[];
  timer?: ReturnType<typeof setTimeout>;
  result?: TraceProbe;
  resolve: (p: TraceProbe) => void;
}

export class Traceroute {
  readonly options: ResolvedTracerouteOptions;
  private readonly emitter = new EventEmitter();
  private readonly routeSource: (family: 4 | 6, target: string) => Promise<string | null>;
  private icmpHandle: RawHandle | null = null;
  private udpHandle: RawHandle | null = null;
  private source: string | null = null;
  private readonly pending = new Map<number, Pending>();
  private started = false;
  private stopped = false;
  private counter = 0;
  private readonly payload: Uint8Array;

  constructor(private readonly transport: ProbeTransport, options: TracerouteOptions, deps: TracerouteDeps = {}) {
    const v = validateTracerouteOptions(options);
    if (!v.ok) throw new TracerouteOptionsError(v.field, v.message);
    this.options = v.options;
    this.routeSource = deps.routeSource ?? routeSource;
    this.payload = Uint8Array.from({ length: this.options.size }, (_, i) => 0x40 + (i & 0x1f));
  }

  on<K extends keyof TracerouteEvents>(event: K, listener: (e: TracerouteEvents[K]) => void): this {
    this.emitter.on(event, listener);
    return this;
  }

  off<K extends keyof TracerouteEvents>(event: K, listener: (e: TracerouteEvents[K]) => void): this {
    this.emitter.off(event, listener);
    return this;
  }

  /** Why the run ended early (its sockets were lost with the helper): start() rejects with it. */
  private failure: Error | null = null;

  /** Ends the run with an error (its sockets are gone). */
  fail(error: Error): void {
    this.failure ??= error;
    this.stop();
  }

  /** Stops after the probes in flight are given up (they show as `*`). */
  stop(): void {
    this.stopped = true;
    for (const p of this.pending.values()) this.finish(p, { ttl: p.ttl, probe: p.probe, status: 'timeout' });
  }

  async start(): Promise<TracerouteResult> {
    if (this.started) throw new Error('this Traceroute has already been started');
    this.started = true;
    const { family, mode, firstHop, maxHops, target } = this.options;
    const hops: TraceHop[] = [];
    let stoppedBy: TracerouteResult['stoppedBy'] = 'max-hops';
    const listener = (p: ProbePacket): void => this.onPacket(p);
    this.transport.on('packet', listener);
    const offLost = this.transport.onLost?.((e) => {
      if (e.handles.some((h) => h === this.icmpHandle || h === this.udpHandle)) this.fail(e.error);
    });
    try {
      this.icmpHandle = await this.transport.open({ protocol: family === 4 ? 'icmp' : 'icmpv6', family });
      if (this.transport.setFilter) {
        const types = family === 4 ? [0, 3, 11, 12] : [1, 2, 3, 4, 129];
        await this.transport.setFilter(this.icmpHandle, types).catch(() => undefined);
      }
      if (mode === 'udp') {
        if (family === 6) {
          this.source = await this.routeSource(6, target);
          if (!this.source) throw new Error(`no route to ${target}: cannot choose the source address the IPv6 UDP checksum needs`);
        }
        this.udpHandle = await this.transport.open({ protocol: 17, family });
      }
      for (let ttl = firstHop; ttl <= maxHops && !this.stopped; ttl++) {
        const hop = await this.probeHop(ttl);
        hops.push(hop);
        this.emitter.emit('hop', hop);
        const answers = hop.probes.filter((p) => p.status === 'reply');
        if (answers.some((p) => p.kind === 'echo-reply' || p.kind === 'port-unreachable')) {
          stoppedBy = 'reached';
          break;
        }
        if (answers.some((p) => p.kind === 'unreachable')) {
          stoppedBy = 'unreachable';
          break;
        }
      }
      if (this.stopped && stoppedBy === 'max-hops') stoppedBy = 'stopped';
    } catch (e) {
      throw this.failure ?? e;
    } finally {
      offLost?.();
      this.transport.off('packet', listener);
      for (const p of this.pending.values()) clearTimeout(p.timer);
      for (const h of [this.icmpHandle, this.udpHandle]) if (h !== null) await this.transport.close(h).catch(() => undefined);
    }
    if (this.failure) throw this.failure;
    const packetBytes = (family === 4 ? 20 : 40) + 8 + this.options.size;
    const result: TracerouteResult = { target, family, mode, maxHops, packetBytes, hops, reached: stoppedBy === 'reached', stoppedBy, text: '' };
    result.text = formatTraceroute(result);
    this.emitter.emit('done', result);
    return result;
  }

  private async probeHop(ttl: number): Promise<TraceHop> {
    const results: Promise<TraceProbe>[] = [];
    // Sent back to back; their answers are awaited together.
    for (let i = 0; i < this.options.probesPerHop && !this.stopped; i++) {
      results.push((await this.sendProbe(ttl, i)).answer);
    }
    return { ttl, probes: await Promise.all(results) };
  }

  /** Sends one probe; resolves once it is sent, with a promise of its answer. */
  private async sendProbe(ttl: number, probe: number): Promise<{ answer: Promise<TraceProbe> }> {
    const { mode, family, target, port, sourcePort, identifier, tos, timeoutMs } = this.options;
    const n = this.counter++;
    const key = mode === 'udp' ? port + n : (n % 0xffff) + 1;
    let resolve!: (p: TraceProbe) => void;
    const answer = new Promise<TraceProbe>((r) => (resolve = r));
    const p: Pending = { ttl, probe, key, early: [], resolve };
    this.pending.set(key, p);
    const bytes = mode === 'icmp'
      ? stackBytes(echoLayers(family, { identifier, sequence: key, payload: this.payload }))
      : stackBytes(
        // Checksum 0 over IPv4 ("none"); over IPv6 the pseudo-header's, from the source the kernel picks.
        [{ kind: 'udp', fields: { sport: sourcePort, dport: key, ...(family === 4 ? { chksum: 0 } : {}) } }, { kind: 'payload', fields: { load: this.payload } }],
        family === 6 ? { src: this.source!, dst: target } : undefined,
      );
    try {
      const handle = mode === 'udp' ? this.udpHandle! : this.icmpHandle!;
      const r = await this.transport.send({ handle, bytes, address: target, ttl, ...(tos !== undefined ? { tos } : {}) });
      p.sentTUs = r.tUs;
    } catch (err) {
      const e = err as { message?: string; code?: string };
      this.finish(p, { ttl, probe, status: 'send-error', message: String(e?.message ?? err), ...(typeof e?.code === 'string' ? { code: e.code } : {}) });
      return { answer };
    }
    if (!p.result) {
      p.timer = setTimeout(() => this.finish(p, { ttl, probe, status: 'timeout' }), timeoutMs);
      for (const q of p.early.splice(0)) this.onPacket(q);
    }
    return { answer };
  }

  private finish(p: Pending, r: TraceProbe): void {
    if (p.result) return;
    p.result = r;
    clearTimeout(p.timer);
    if (this.pending.get(p.key) === p) this.pending.delete(p.key);
    this.emitter.emit('probe', r);
    p.resolve(r);
  }

  private onPacket(pkt: ProbePacket): void {
    if (pkt.handle !== this.icmpHandle) return;
    const { family, mode, identifier, target, sourcePort } = this.options;
    const d = decodeIcmpPacket(pkt, family);
    if (!d) return;
    const k = d.key;
    const echo = ECHO[family];
    let key: number;
    let kind: TraceAnswerKind;
    let codeName: string;
    let flag = '';
    if (d.type === echo.reply || d.type === echo.request) {
      if (d.type === echo.request || mode !== 'icmp' || k.id !== identifier || !sameAddress(pkt.from, target)) return;
      key = k.icmpSeq!;
      kind = 'echo-reply';
      codeName = 'echo-reply';
    } else if (k.quoted) {
      // An ICMP error: matched by the datagram it quotes.
      const q = k.quoted;
      if (q.dst === null || !sameAddress(q.dst, target)) return;
      if (mode === 'icmp') {
        if (q.type !== echo.request || q.id !== identifier) return;
        key = q.icmpSeq!;
      } else {
        if (q.proto !== 17 || q.sport !== sourcePort || q.dport === undefined) return;
        key = q.dport;
      }
      codeName = icmpCodeName(family, d.type, d.code);
      const name = icmpTypeName(family, d.type);
      if (name === 'time-exceeded') kind = 'time-exceeded';
      else if (name === 'dest-unreach') {
        flag = unreachableFlag(family, d.code);
        kind = flag === '' ? 'port-unreachable' : 'unreachable';
      } else kind = 'other-error';
    } else return;
    const p = this.pending.get(key);
    if (!p || p.result) return;
    if (p.sentTUs === undefined) {
      p.early.push(pkt);
      return;
    }
    this.finish(p, {
      ttl: p.ttl, probe: p.probe, status: 'reply', from: pkt.from, rttUs: Math.max(0, Math.round(pkt.tUs - p.sentTUs)), kind,
      type: d.type, code: d.code, codeName, flag, replyTtl: d.ttl !== null && d.ttl >= 0 ? d.ttl : null,
    });
  }
}

// How traceroute shows a destination unreachable: !N, !H, !P, !F, !S, !X,
// !V, !C or !<code>; '' for port unreachable, which means "reached".
const V4_FLAGS: Readonly<Record<number, string>> = {
  0: '!N', 1: '!H', 2: '!P', 3: '', 4: '!F', 5: '!S', 6: '!N', 7: '!H', 8: '!N',
  9: '!X', 10: '!X', 11: '!N', 12: '!H', 13: '!X', 14: '!V', 15: '!C',
};

const V6_FLAGS: Readonly<Record<number, string>> = {
  0: '!N', 1: '!X', 2: '!S', 3: '!H', 4: '', 5: '!X', 6: '!X',
};

export function unreachableFlag(family: 4 | 6, code: number): string {
  return (family === 4 ? V4_FLAGS : V6_FLAGS)[code] ?? `!${code}`;
}

/** One hop as traceroute -n prints it: " 2  10.250.2.2  0.123 ms  0.101 ms !X  *". */
export function formatHop(hop: TraceHop): string {
  let line = `${String(hop.ttl).padStart(2)} `;
  let last: string | null = null;
  for (const p of hop.probes) {
    if (p.status === 'reply') {
      if (p.from !== last) line += ` ${p.from}`;
      last = p.from;
      line += `  ${(p.rttUs / 1000).toFixed(3)} ms${p.flag ? ` ${p.flag}` : ''}`;
    } else if (p.status === 'timeout') line += ' *';
    else line += ` !(${p.code ?? p.message})`;
  }
  return line;
}

export function formatTraceroute(r: TracerouteResult): string {
  return [`traceroute to ${r.target} (${r.target}), ${r.maxHops} hops max, ${r.packetBytes} byte packets`, ...r.hops.map(formatHop)].join('\n');
}
