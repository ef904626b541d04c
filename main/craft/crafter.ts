// The packet crafter's sending side: craft.send / craft.stop, and the
// craft.sent, craft.reply and craft.done events. It needs the raw helper and
// the engine's sessions only through the small interfaces of CrafterDeps.
//
// Main trusts nothing: every packet is built here with buildStack (the
// renderer's bytes are never sent), and its error names the packet, layer
// and field. Through the raw helper, a stack that starts with ipv4 goes out
// whole on an IPPROTO_RAW socket (IP_HDRINCL) to its dst; one that starts
// with ipv6 likewise with IPV6_HDRINCL; one that starts at icmp, icmpv6, tcp
// or udp goes on a raw socket of that protocol to `address`, the kernel
// writing the IP header. Replies are heard on raw sockets of the protocols
// that answer (and ICMP for errors) from before the first send until
// listenMs after the last, and matched with shared/packet/answers.ts.
// Through a session the built bytes are that session's data; no replies are
// captured (the session's own log shows what comes back).
//
// Floods are bounded before the bridge, as the probes do it: craft.sent and
// craft.reply go out at most ~rate per second each (send errors with an
// allowance of their own), with `skipped`; craft.done carries the exact counts.
import { createSocket } from 'node:dgram';
import type { InferOutput } from 'valibot';
import { isIPv4, isIPv6 } from '../../shared/net/address.js';
import type { AnyEvent, EventPayload, Result } from '../../shared/contract/index.js';
import type { CraftSendParams } from '../../shared/contract/craft.js';
import { canonicalAddress, FlowCandidates, flowOf, keyOf, type PacketKey } from '../../shared/packet/answers.js';
import { buildStack, type Layer, type LayerKind, type StackContext, type StackError } from '../../shared/packet/index.js';
import { nowUs } from '../core/clock.js';
import { EngineError } from '../core/errors.js';
import { TokenBucket } from '../core/token-bucket.js';
import type { Session } from '../engine/session.js';
import { helperError, type RawHelper, type RawPacket } from '../raw/raw-helper.js';
import { applyVariables, checkVariables, VariableError, type CheckedVariable } from './variables.js';

export type CraftParams = InferOutput<typeof CraftSendParams>;

export interface CrafterOptions {
  /** craft.sent events per second per run before thinning (send errors always go out). */
  sentRate?: number;
  /** craft.reply events per second per run before thinning. */
  replyRate?: number;
}

/** The raw-socket helper as the crafter uses it (the workbench shares the probes' one). */
export interface RawAccess {
  /** Starts the helper if need be; throws the bridge's error (EPERM, with why) when none can run. */
  available(call: string): void;
  readonly helper: RawHelper;
}

export interface CrafterDeps {
  raw: RawAccess;
  /** The engine's session by id (throws NO_SUCH_SESSION). */
  session: (id: number) => Session;
  emit: (ev: AnyEvent) => void;
}

/** A raw socket as the helper opens it. */
interface SockSpec {
  family: 4 | 6;
  protocol: number | 'icmp' | 'icmpv6';
  hdrincl: boolean;
}

/** How one packet of the list goes out. */
type Route =
  | { via: 'raw'; sock: SockSpec; address: string; first: LayerKind; ctx: StackContext | undefined; /** Send from this layer on (IPv6 without IPV6_HDRINCL). */ from: number }
  | { via: 'session'; ctx: StackContext | undefined };

interface Sent {
  index: number;
  packet: number;
  key: PacketKey;
  bytes: Uint8Array;
  /** Engine clock, µs: the helper's stamp once the send answered, our own before. */
  tUs: number;
  /** The send has not answered yet: replies wait here so craft.sent goes out first and the RTT uses the real stamp. */
  early: { p: RawPacket; first: LayerKind }[] | null;
  answered: number;
  flow: string | null;
}

interface Run {
  id: number;
  /** What the run's events carry: its id, and the caller's ref if it gave one. */
  tag: { id: number; ref?: string };
  params: CraftParams;
  routes: Route[];
  vars: CheckedVariable[];
  /** Per packet of the list: what the kernel changes in what we built, said once. */
  notes: (string | null)[];
  noted: boolean[];
  /** Send sockets by "family/protocol/hdrincl", capture sockets by handle. */
  sendHandles: Map<string, number>;
  capture: Map<number, { family: 4 | 6; first: LayerKind }>;
  sent: Sent[];
  /** Where `sent` starts holding records (older ones were let go). */
  sentHead: number;
  sentBytes: number;
  byIndex: Map<number, Sent>;
  /** Sent packets by flow, for matching replies (identical packets sent over and over cost a reply one step, not one per packet). */
  byFlow: Map<string, FlowCandidates<Sent>>;
  counts: { sent: number; errors: number; replies: number };
  /** What the first failed send said: a run with failed sends says so in craft.done. */
  firstError: string | null;
  /** Packets of the list that got at least one answer. */
  answeredPackets: Set<number>;
  sentBucket: TokenBucket;
  errorBucket: TokenBucket;
  replyBucket: TokenBucket;
  sentSkipped: number;
  replySkipped: number;
  stopped: boolean;
  wake: (() => void) | null;
  failure: string | null;
  done: Promise<void>;
  over: boolean;
}

/** Sends to the helper awaiting its answer at once, in a flood. */
const IN_FLIGHT = 64;
const MAX_RUNS = 16;
/** Sent packets kept for matching replies: at most this many, this many bytes, and only while a reply could still count. */
const MAX_KEPT = 65_536;
const MAX_KEPT_BYTES = 64 << 20;
/** Sent packets of one flow (the same ports, or ICMP id and seq) a reply is matched against. */
const MAX_PER_FLOW = 256;
const RAW_FIRST = new Set<LayerKind>(['ipv4', 'ipv6', 'icmp', 'icmpv6', 'tcp', 'udp']);
const UPPER: Partial<Record<LayerKind, number>> = { icmp: 1, tcp: 6, udp: 17, icmpv6: 58 };

/** "packets[0][1].ttl" and its field path "packets.0.1.fields.ttl". */
function stackError(i: number, e: StackError): EngineError {
  if (e.layer < 0 || (e.field === null && /would be \d+ bytes/.test(e.message))) {
    return new EngineError('BAD_REQUEST', `packets[${i}]: ${e.message}`, undefined, `packets.${i}`);
  }
  const at = `packets[${i}][${e.layer}]${e.field ? `.${e.field}` : ''}`;
  const field = `packets.${i}.${e.layer}${e.field ? `.fields.${e.field}` : ''}`;
  return new EngineError('BAD_REQUEST', `${at}: ${e.message}`, undefined, field);
}

/** The address the kernel would send from to `dst` (a connected UDP socket sends nothing). */
function localAddressFor(dst: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = createSocket(isIPv6(dst) ? 'udp6' : 'udp4');
    const timer = setTimeout(() => done(), 1000);
    const done = (a?: string): void => {
      clearTimeout(timer);
      try {
        s.close();
      } catch {
        // closed already
      }
      resolve(a);
    };
    s.once('error', () => done());
    s.connect(9, dst, () => {
      try {
        done(s.address().address);
      } catch {
        done();
      }
    });
  });
}

const familyOf = (a: string): 4 | 6 => (isIPv6(a) ? 6 : 4);
const sockKey = (s: SockSpec): string => `${s.family}/${s.protocol}/${s.hdrincl}`;
const hex16 = (n: unknown): string => (typeof n === 'number' ? `0x${n.toString(16).padStart(4, '0')}` : String(n));

export class Crafter {
  private nextId = 1;
  private readonly runs = new Map<number, Run>();
  private readonly byHandle = new Map<number, Run>();
  private hooked: RawHelper | undefined;
  private closed = false;
  private readonly sentRate: number;
  private readonly replyRate: number;

  constructor(
    private readonly deps: CrafterDeps,
    options: CrafterOptions = {},
  ) {
    this.sentRate = options.sentRate ?? 200;
    this.replyRate = options.replyRate ?? 200;
  }

  // ---------------- craft.send ----------------

  async send(p: CraftParams): Promise<Result<'craft.send'>> {
    if (this.closed) throw new EngineError('INVALID_STATE', 'craft: the engine is closing');
    if (this.runs.size >= MAX_RUNS) throw new EngineError('INVALID_STATE', `craft: ${MAX_RUNS} sends are already going; stop one first`);
    const packets = p.packets as Layer[][];
    let vars: CheckedVariable[];
    try {
      vars = checkVariables(p.variables, packets);
    } catch (e) {
      if (e instanceof VariableError) throw new EngineError('BAD_REQUEST', e.message, undefined, e.field);
      throw e;
    }
    const raw = p.via === 'raw';
    let session: Session | undefined;
    if (!raw) session = this.sessionFor((p.via as { session: number }).session);
    const routes: Route[] = [];
    const notes: (string | null)[] = [];
    const locals = new Map<string, Promise<string | undefined>>();
    const local = (dst: string): Promise<string | undefined> => {
      if (!locals.has(dst)) locals.set(dst, localAddressFor(dst));
      return locals.get(dst)!;
    };
    for (let i = 0; i < packets.length; i++) {
      const layers = applyVariables(packets[i]!, i, vars, 0);
      const first = layers[0]!.kind;
      const hasIp = layers.some((l) => l.kind === 'ipv4' || l.kind === 'ipv6');
      let ctx: StackContext | undefined;
      if (!hasIp && p.address) ctx = { src: await local(p.address), dst: p.address };
      else if (!hasIp && session) ctx = await this.sessionContext(session);
      const built = buildStack(layers, ctx);
      if (!built.ok) throw stackError(i, built);
      if (!raw) {
        routes.push({ via: 'session', ctx });
        notes.push(null);
        continue;
      }
      if (!RAW_FIRST.has(first)) {
        throw new EngineError('BAD_REQUEST', `packets[${i}][0]: a stack sent through the raw helper starts with ipv4, ipv6, icmp, icmpv6, tcp or udp, not ${first}`, undefined, `packets.${i}.0.kind`);
      }
      if (first === 'ipv4' || first === 'ipv6') {
        const dst = built.layers[0]!.fields.dst as string;
        const address = p.address ?? dst;
        if (familyOf(address) !== (first === 'ipv4' ? 4 : 6)) {
          throw new EngineError('BAD_REQUEST', `address: ${address} is not an ${first === 'ipv4' ? 'IPv4' : 'IPv6'} address, but packets[${i}] starts with ${first}`, undefined, 'address');
        }
        routes.push({ via: 'raw', sock: { family: first === 'ipv4' ? 4 : 6, protocol: 255, hdrincl: true }, address, first, ctx, from: 0 });
        notes.push(this.kernelNote(i, layers, built.layers, first, vars));
        continue;
      }
      if (!p.address) {
        throw new EngineError('BAD_REQUEST', `address: packets[${i}] starts with ${first}, without an IP layer: give the address to send it to (the kernel writes the IP header), or start the stack with ipv4 / ipv6`, undefined, 'address');
      }
      const family = familyOf(p.address);
      if (first === 'icmp' && family === 6) throw new EngineError('BAD_REQUEST', `address: ${p.address} is IPv6, but packets[${i}] starts with icmp (IPv4's); use icmpv6 for IPv6`, undefined, 'address');
      if (first === 'icmpv6' && family === 4) throw new EngineError('BAD_REQUEST', `address: ${p.address} is IPv4, but packets[${i}] starts with icmpv6; use icmp for IPv4`, undefined, 'address');
      const protocol = first === 'icmp' ? 'icmp' : first === 'icmpv6' ? 'icmpv6' : UPPER[first]!;
      routes.push({ via: 'raw', sock: { family, protocol, hdrincl: false }, address: p.address, first, ctx, from: 0 });
      notes.push(this.kernelNote(i, layers, built.layers, first, vars));
    }

    const id = this.nextId++;
    const run: Run = {
      id, tag: p.ref === undefined ? { id } : { id, ref: p.ref }, params: p, routes, vars, notes, noted: notes.map(() => false), sendHandles: new Map(), capture: new Map(),
      sent: [], sentHead: 0, sentBytes: 0, byIndex: new Map(), byFlow: new Map(), counts: { sent: 0, errors: 0, replies: 0 }, firstError: null, answeredPackets: new Set(),
      sentBucket: new TokenBucket(this.sentRate), errorBucket: new TokenBucket(this.sentRate), replyBucket: new TokenBucket(this.replyRate), sentSkipped: 0, replySkipped: 0,
      stopped: false, wake: null, failure: null, done: Promise.resolve(), over: false,
    };
    if (raw) {
      this.deps.raw.available('craft');
      this.hook();
      try {
        await this.openSockets(run);
      } catch (e) {
        await this.closeSockets(run);
        throw e;
      }
    }
    this.runs.set(id, run);
    // Events may come before the call answers: the caller tells them apart by its ref.
    run.done = this.go(run, session);
    return { id };
  }

  private sessionFor(id: number): Session {
    let s: Session;
    try {
      s = this.deps.session(id);
    } catch (e) {
      if (e instanceof EngineError && e.code === 'NO_SUCH_SESSION') throw new EngineError('NO_SUCH_SESSION', `via.session: there is no session #${id} (it may have been removed)`, undefined, 'via.session');
      throw e;
    }
    if (s.state === 'closed') throw EngineError.state('EBADF', `via.session: session #${id}`, 'the socket is closed');
    return s;
  }

  /** Addresses for a checksum's pseudo-header when the stack has no IP layer and goes as a session's data. */
  private async sessionContext(s: Session): Promise<StackContext | undefined> {
    try {
      const [a, b] = await Promise.all([s.getsockname(), s.getpeername()]);
      if ((isIPv4(a.address) || isIPv6(a.address)) && (isIPv4(b.address) || isIPv6(b.address))) return { src: a.address, dst: b.address };
    } catch {
      // not connected: buildStack asks for an IP layer or addresses where a checksum needs them
    }
    return undefined;
  }

  /**
   * What the kernel changes in what we built, said plainly (Linux raw(7)):
   * with IP_HDRINCL it always writes the IPv4 header checksum and total
   * length (and the id and source when they are 0); on ICMPv6 raw sockets
   * it always computes the checksum.
   */
  private kernelNote(i: number, input: readonly Layer[], built: readonly Layer[], first: LayerKind, vars: readonly CheckedVariable[]): string | null {
    if (process.platform !== 'linux') return null;
    const given = input[0]!.fields;
    const out = built[0]!.fields;
    const said: string[] = [];
    const varies = (f: string): boolean => vars.some((v) => v.packet === i && v.layer === 0 && v.field === f);
    if (first === 'ipv4') {
      if ('chksum' in given || varies('chksum')) {
        const { chksum: _c, ...rest } = given;
        const right = buildStack([{ kind: 'ipv4', fields: rest }, ...input.slice(1)]);
        if (varies('chksum') || (right.ok && right.layers[0]!.fields.chksum !== out.chksum)) {
          said.push(`the IPv4 header checksum you set (${varies('chksum') ? 'varying' : hex16(out.chksum)}) went out corrected${right.ok && !varies('chksum') ? ` (${hex16(right.layers[0]!.fields.chksum)})` : ''}: Linux fills in the checksum of every IPv4 header sent on a raw socket (raw(7)), so a wrong one cannot be sent this way`);
        }
      }
      if ('len' in given || varies('len')) {
        const { len: _l, ...rest } = given;
        const right = buildStack([{ kind: 'ipv4', fields: rest }, ...input.slice(1)]);
        if (varies('len') || (right.ok && right.layers[0]!.fields.len !== out.len)) {
          said.push(`the IPv4 total length you set (${varies('len') ? 'varying' : String(out.len)}) went out as the real length: Linux writes it on raw sockets`);
        }
      }
      if (out.id === 0 || varies('id')) said.push('an IPv4 id of 0 is replaced by one the kernel picks');
      if (out.src === '0.0.0.0') said.push('source 0.0.0.0 is replaced by the address the kernel sends from');
    }
    if (first === 'icmpv6' && ('chksum' in given || varies('chksum'))) {
      said.push('the ICMPv6 checksum you set went out corrected: the kernel computes it on ICMPv6 raw sockets (start the stack with ipv6 to send a wrong one)');
    }
    return said.length ? `packet ${i + 1}: ${said.join('; ')}; the bytes shown are what was built` : null;
  }

  // ---------------- sockets ----------------

  /** Packets from the helper reach the runs by handle; a dead helper ends the runs it served. */
  private hook(): void {
    const h = this.deps.raw.helper;
    if (this.hooked === h) return;
    this.hooked = h;
    h.on('packet', (p) => {
      const run = this.byHandle.get(p.handle);
      if (run) this.onPacket(run, p);
    });
    h.on('died', (info) => {
      for (const handle of info.handles) {
        const run = this.byHandle.get(handle);
        if (run && !run.over) this.fail(run, `the raw helper stopped (${info.message}); its sockets are gone`);
      }
    });
    h.on('socket-error', (ev) => {
      const run = this.byHandle.get(ev.handle);
      if (run && ev.closed && !run.over) this.fail(run, `a raw socket failed: ${ev.error.message}`);
    });
  }

  /** Which sockets hear the answers to a packet: its protocol's, and ICMP's for errors. */
  private captureFor(r: Route & { via: 'raw' }, layers: readonly Layer[]): SockSpec[] {
    const family = r.sock.family;
    const icmp: SockSpec = { family, protocol: family === 4 ? 'icmp' : 'icmpv6', hdrincl: false };
    const upper = layers.find((l) => UPPER[l.kind] !== undefined)?.kind;
    if (upper === 'tcp' || upper === 'udp') return [{ family, protocol: UPPER[upper]!, hdrincl: false }, icmp];
    return [icmp];
  }

  private async openSockets(run: Run): Promise<void> {
    const h = this.deps.raw.helper;
    const caps = new Map<string, SockSpec>();
    run.routes.forEach((r, i) => {
      if (r.via !== 'raw') return;
      for (const c of this.captureFor(r, run.params.packets[i] as Layer[])) caps.set(sockKey(c), c);
    });
    // Listen first: on loopback the answer can come before the send call returns.
    for (const c of caps.values()) {
      const name = `socket(${c.family === 4 ? 'AF_INET' : 'AF_INET6'}, SOCK_RAW, ${String(c.protocol)})`;
      const o = await h.open({ protocol: c.protocol, family: c.family }).catch((e: unknown) => {
        throw helperError(e, name);
      });
      run.capture.set(o.handle, { family: c.family, first: c.family === 4 ? 'ipv4' : c.protocol === 6 ? 'tcp' : c.protocol === 17 ? 'udp' : 'icmpv6' });
      this.byHandle.set(o.handle, run);
    }
    for (let i = 0; i < run.routes.length; i++) {
      const r = run.routes[i]!;
      if (r.via !== 'raw' || run.sendHandles.has(sockKey(r.sock))) continue;
      const name = `socket(${r.sock.family === 4 ? 'AF_INET' : 'AF_INET6'}, SOCK_RAW, ${String(r.sock.protocol)})`;
      const v6hdr = r.sock.hdrincl && r.sock.family === 6;
      let o;
      try {
        o = await h.open({ protocol: r.sock.protocol, family: r.sock.family, ...(v6hdr ? { hdrincl: true } : {}) });
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (v6hdr && (code === 'ENOPROTOOPT' || code === 'EINVAL' || code === 'EOPNOTSUPP')) {
          this.withoutV6Header(run, code);
          i--; // this route again, now on a socket of its upper protocol
          continue;
        }
        throw helperError(e, name);
      }
      run.sendHandles.set(sockKey(r.sock), o.handle);
    }
  }

  /**
   * No IPV6_HDRINCL here: each IPv6 stack goes from its first upper layer on,
   * with the kernel's IPv6 header (to the stack's dst), and the user is told.
   */
  private withoutV6Header(run: Run, code: string): void {
    run.routes.forEach((r, i) => {
      if (r.via !== 'raw' || !(r.sock.hdrincl && r.sock.family === 6)) return;
      const layers = run.params.packets[i] as Layer[];
      const from = layers.findIndex((l) => l.kind === 'icmpv6' || l.kind === 'tcp' || l.kind === 'udp');
      if (from < 0) throw new EngineError('BAD_REQUEST', `packets[${i}]: IPV6_HDRINCL is not available here (${code}), and the stack has no icmpv6, tcp or udp layer to send with the kernel's IPv6 header`, undefined, `packets.${i}`);
      const kind = layers[from]!.kind;
      run.routes[i] = { ...r, sock: { family: 6, protocol: kind === 'icmpv6' ? 'icmpv6' : UPPER[kind]!, hdrincl: false }, from };
      const said = `packets[${i}]: IPV6_HDRINCL is not available here (${code}): sent from the ${kind} layer on with the kernel's IPv6 header, so the IPv6 header fields you set${from > 1 ? ' and the extension headers' : ''} were not used`;
      run.notes[i] = run.notes[i] ? `${run.notes[i]}; ${said}` : said;
    });
  }

  private async closeSockets(run: Run): Promise<void> {
    const h = this.hooked;
    const handles = [...run.capture.keys(), ...run.sendHandles.values()];
    for (const handle of run.capture.keys()) this.byHandle.delete(handle);
    run.capture.clear();
    run.sendHandles.clear();
    if (h) await Promise.allSettled(handles.map((handle) => h.close(handle)));
  }

  // ---------------- the run ----------------

  private sleep(run: Run, ms: number): Promise<void> {
    if (run.stopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        if (run.wake === done) run.wake = null;
        resolve();
      };
      // Node rounds timers up to 1 ms: a packet that is due must not wait for one.
      const t = ms >= 1 ? setTimeout(done, ms) : undefined;
      if (ms < 1) setImmediate(done);
      run.wake = done;
    });
  }

  private async go(run: Run, session: Session | undefined): Promise<void> {
    const { count, intervalMs, listenMs } = run.params;
    const n = run.routes.length;
    const total = count * n;
    let t0 = 0;
    // Flat out through the helper, sends overlap (it answers in order): one at a
    // time, each a round trip to the helper, would cap a flood at ~2k packets/s.
    const inFlight = new Set<Promise<void>>();
    const overlap = intervalMs === 0 && !session;
    try {
      for (let index = 0; index < total && !run.stopped; index++) {
        if (index === 0) t0 = performance.now();
        else if (intervalMs > 0) {
          // An absolute schedule from the first packet, so a slow send does not push the rest back.
          await this.sleep(run, t0 + index * intervalMs - performance.now());
          if (run.stopped) break;
        } else if (index % 256 === 0) await this.sleep(run, 0); // let replies and stop() in during a flood
        const sent = this.sendOne(run, index, index % n, Math.floor(index / n), session);
        if (!overlap) {
          await sent;
          continue;
        }
        inFlight.add(sent);
        void sent.finally(() => inFlight.delete(sent));
        if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
      if (!run.stopped && run.capture.size > 0) await this.sleep(run, listenMs);
    } catch (e) {
      run.failure ??= e instanceof Error ? e.message : String(e);
    }
    await this.finish(run);
  }

  private async sendOne(run: Run, index: number, packet: number, n: number, session: Session | undefined): Promise<void> {
    const route = run.routes[packet]!;
    const layers = applyVariables(run.params.packets[packet] as Layer[], packet, run.vars, n);
    const built = buildStack(layers, route.ctx);
    if (!built.ok) {
      const e = stackError(packet, built);
      this.sentEvent(run, { ...run.tag, index, packet, bytes: new Uint8Array(0), tUs: nowUs(), error: { code: 'BAD_REQUEST', message: e.message } });
      return;
    }
    if (route.via === 'session') {
      const t = nowUs();
      try {
        if (session!.type === 'SOCK_STREAM') await session!.sendall(built.bytes);
        else await session!.send(built.bytes);
        this.sentEvent(run, { ...run.tag, index, packet, bytes: built.bytes, tUs: t });
      } catch (e) {
        const err = e instanceof EngineError ? e : helperError(e, 'send');
        this.sentEvent(run, { ...run.tag, index, packet, bytes: built.bytes, tUs: t, error: { code: err.errno?.name ?? err.code, message: err.message } });
      }
      return;
    }
    const bytes = route.from > 0 ? built.bytes.subarray(built.spans.find((s) => s.layer === route.from)?.offset ?? 0) : built.bytes;
    const first = route.from > 0 ? built.layers[route.from]!.kind : route.first;
    const ctxAddrs = first === 'ipv4' || first === 'ipv6' ? {} : { src: route.ctx?.src ?? null, dst: route.address };
    const key = keyOf(bytes, first, ctxAddrs);
    const rec: Sent = { index, packet, key, bytes, tUs: nowUs(), early: [], answered: 0, flow: flowOf(key, 'sent') };
    this.keep(run, rec);
    const handle = run.sendHandles.get(sockKey(route.sock));
    try {
      if (handle === undefined) throw new EngineError('INTERNAL', 'craft: the send socket is gone');
      const r = await this.hooked!.send(handle, bytes, route.address);
      rec.tUs = r.tUs;
      const ev: EventPayload<'craft.sent'> = { ...run.tag, index, packet, bytes, tUs: r.tUs };
      if (run.notes[packet] && !run.noted[packet]) {
        run.noted[packet] = true;
        ev.note = run.notes[packet]!;
      }
      this.sentEvent(run, ev);
      const early = rec.early ?? [];
      rec.early = null;
      for (const e of early) this.onReply(run, e.p, e.first);
    } catch (e) {
      this.forget(run, rec);
      const err = helperError(e, 'sendto', 'address');
      this.sentEvent(run, { ...run.tag, index, packet, bytes, tUs: rec.tUs, error: { code: err.errno?.name ?? err.code, message: err.message } });
    }
  }

  private sentEvent(run: Run, ev: EventPayload<'craft.sent'>): void {
    if (ev.error) {
      run.counts.errors++;
      run.firstError ??= ev.error.message;
    } else run.counts.sent++;
    // Notes always reach the view; errors while their own bucket lasts (a failing flood fails fast), the rest while theirs does.
    if (!ev.note && !(ev.error ? run.errorBucket : run.sentBucket).take()) {
      run.sentSkipped++;
      return;
    }
    if (run.sentSkipped > 0) {
      ev.skipped = run.sentSkipped;
      run.sentSkipped = 0;
    }
    this.deps.emit({ name: 'craft.sent', payload: ev });
  }

  // ---------------- replies ----------------

  /** Keeps a sent packet for matching, letting the oldest go past the bounds or once no reply could count. */
  private keep(run: Run, rec: Sent): void {
    run.sent.push(rec);
    run.byIndex.set(rec.index, rec);
    run.sentBytes += rec.bytes.byteLength;
    if (rec.flow !== null) {
      let flow = run.byFlow.get(rec.flow);
      // Identical packets sent over and over: only the latest few can be told apart by a reply anyway.
      if (!flow) run.byFlow.set(rec.flow, (flow = new FlowCandidates<Sent>(MAX_PER_FLOW)));
      flow.add(rec);
    }
    const horizonUs = Math.max(run.params.listenMs, 2000) * 1000;
    const now = nowUs();
    while (run.sent.length - run.sentHead > 1) {
      const old = run.sent[run.sentHead]!;
      const over = run.sent.length - run.sentHead > MAX_KEPT || run.sentBytes > MAX_KEPT_BYTES || (old.early === null && now - old.tUs > horizonUs);
      if (!over) break;
      run.sentHead++;
      this.forget(run, old);
    }
    if (run.sentHead > 4096 && run.sentHead * 2 > run.sent.length) {
      run.sent = run.sent.slice(run.sentHead);
      run.sentHead = 0;
    }
  }

  private forget(run: Run, rec: Sent): void {
    if (!run.byIndex.delete(rec.index)) return;
    run.sentBytes -= rec.bytes.byteLength;
    if (rec.flow === null) return;
    const flow = run.byFlow.get(rec.flow);
    if (!flow?.remove(rec)) return;
    if (flow.size === 0) run.byFlow.delete(rec.flow);
  }

  private onPacket(run: Run, p: RawPacket): void {
    const cap = run.capture.get(p.handle);
    if (!cap || run.over) return;
    this.onReply(run, p, cap.first);
  }

  private onReply(run: Run, p: RawPacket, first: LayerKind): void {
    const rk = keyOf(p.bytes, first, first === 'ipv4' ? {} : { src: p.from });
    const flow = flowOf(rk, 'reply');
    const candidates = flow === null ? undefined : run.byFlow.get(flow);
    if (!candidates) return;
    // A raw socket on loopback hears what we sent: 'own' is not an answer. (pickAnswered's verdict, one step per distinct packet of the flow.)
    const rec = candidates.pick(p.bytes, rk);
    if (rec === null || rec === 'own') return;
    if (rec.early !== null) {
      // Its send has not answered yet: hold the reply until it has (craft.sent first, the real send stamp for the RTT).
      rec.early.push({ p, first });
      return;
    }
    rec.answered++;
    run.counts.replies++;
    run.answeredPackets.add(rec.packet);
    if (!run.replyBucket.take()) {
      run.replySkipped++;
      return;
    }
    const ev: EventPayload<'craft.reply'> = {
      ...run.tag, answers: rec.index, bytes: p.bytes, first, from: canonicalAddress(p.from) ?? p.from, tUs: p.tUs, rttUs: Math.max(0, p.tUs - rec.tUs),
    };
    if (run.replySkipped > 0) {
      ev.skipped = run.replySkipped;
      run.replySkipped = 0;
    }
    this.deps.emit({ name: 'craft.reply', payload: ev });
  }

  // ---------------- the end ----------------

  private fail(run: Run, why: string): void {
    run.failure ??= why;
    run.stopped = true;
    run.wake?.();
  }

  private async finish(run: Run): Promise<void> {
    if (run.over) return;
    run.over = true;
    await this.closeSockets(run);
    this.runs.delete(run.id);
    const { sent, errors } = run.counts;
    const failedSends = errors > 0 ? `${errors} of ${sent + errors} packets could not be sent (first: ${run.firstError})` : null;
    const said = [run.failure, failedSends, ...run.notes.filter((x): x is string => x !== null)];
    const raw = run.params.via === 'raw';
    const wrongIcmpV4 = raw ? this.unansweredBadChecksum(run) : null;
    if (wrongIcmpV4) said.push(wrongIcmpV4);
    const payload: EventPayload<'craft.done'> = { ...run.tag, sent: run.counts.sent, errors: run.counts.errors, replies: run.counts.replies, stopped: run.stopped && run.failure === null };
    const error = said.filter((x): x is string => Boolean(x)).join('. ');
    if (error) payload.error = error;
    this.deps.emit({ name: 'craft.done', payload });
  }

  /**
   * Why no answer is the right answer: a packet with a checksum set wrong on
   * purpose is dropped by the receiver without a word (RFC 1122).
   */
  private unansweredBadChecksum(run: Run): string | null {
    const out: string[] = [];
    run.routes.forEach((r, i) => {
      if (r.via !== 'raw' || run.answeredPackets.has(i)) return;
      const layers = run.params.packets[i] as Layer[];
      // The first upper layer is what the receiver checks (ICMPv6 first: the kernel computes it anyway).
      const forced = layers.findIndex((l) => UPPER[l.kind] !== undefined);
      if (forced < 0 || !('chksum' in layers[forced]!.fields) || (forced === 0 && layers[0]!.kind === 'icmpv6')) return;
      const { chksum: _c, ...rest } = layers[forced]!.fields;
      const mine = buildStack(layers, r.ctx);
      const right = buildStack(layers.map((l, j) => (j === forced ? { kind: l.kind, fields: rest } : l)), r.ctx);
      if (!mine.ok || !right.ok || mine.layers[forced]!.fields.chksum === right.layers[forced]!.fields.chksum) return;
      out.push(`packet ${i + 1} has a wrong ${layers[forced]!.kind.toUpperCase()} checksum (${hex16(mine.layers[forced]!.fields.chksum)}, right: ${hex16(right.layers[forced]!.fields.chksum)}): a receiver drops such a packet without answering, so no reply is expected`);
    });
    return out.length ? out.join('. ') : null;
  }

  // ---------------- craft.stop / close ----------------

  async stop(id: number): Promise<Result<'craft.stop'>> {
    const run = this.runs.get(id);
    if (!run) {
      if (id > 0 && id < this.nextId) return {}; // already over
      throw new EngineError('NO_SUCH_SESSION', `there is no craft send #${id}`, undefined, 'id');
    }
    run.stopped = true;
    run.wake?.();
    await run.done;
    return {};
  }

  /** Stops every run and closes its sockets (engine close). */
  async close(): Promise<void> {
    this.closed = true;
    const runs = [...this.runs.values()];
    for (const r of runs) {
      r.stopped = true;
      r.wake?.();
    }
    await Promise.race([Promise.allSettled(runs.map((r) => r.done)), new Promise<void>((r) => setTimeout(r, 3000).unref())]);
  }
}
