// The composition root: builds the app's parts (the engine's sessions, the
// probes over the raw helper, the packet crafter) and exposes them as the
// contract's handler table, one handler per method, each given params the
// router has already validated. The desktop app, browser mode and the CLI
// all start one Workbench; nothing below it knows the bridge.
import * as v from 'valibot';
import { methods, type AnyEvent, type Handlers } from '../shared/contract/index.js';
import { ipFamily } from '../shared/net/address.js';
import { pcapngOf, sessionPackets, type SessionPackets } from '../shared/packet/session-pcap.js';
import { epochMs } from './core/clock.js';
import { EngineError } from './core/errors.js';
import { recordScenario } from './automation/record.js';
import { CompiledRules, previewRules, RulesSource } from './automation/rules.js';
import { Scenarios } from './automation/scenarios.js';
import { resolveName } from './core/resolve.js';
import { checkWith } from '../shared/contract/check.js';
import { PingParams, SweepParams } from '../shared/contract/probes.js';
import { splitNames } from '../shared/net/targets.js';
import { Crafter, type CrafterOptions } from './craft/crafter.js';
import { probeCombos } from './engine/capabilities.js';
import { Engine, type EngineOptions } from './engine/engine.js';
import type { Session } from './engine/session.js';
import { getOption, getRaw, setOption, setRaw } from './engine/sockopt.js';
import { StreamSession } from './engine/stream-session.js';
import { TlsServerSide } from './engine/tls/handshake.js';
import { clientMaterial, ownIdentity, serverMaterial, type Identity, type ServerOptions } from './engine/tls/material.js';
import { UdpSession } from './engine/udp-session.js';
import { Probes, type ProbesOptions } from './raw/probe-service.js';
import { sendability } from './workspace/packetsender.js';
import { chooseWorkspaceDir, defaultDataDir, rememberChoice, rememberedChoice, type WorkspaceSource } from './workspace/paths.js';
import { sendSaved, type Call } from './workspace/send.js';
import { workspaceIdentity } from './workspace/tls-identity.js';
import { exportPackets, importPackets } from './workspace/transfer.js';
import { KINDS } from './workspace/kinds.js';
import { Workspace, type SaveResult } from './workspace/workspace.js';
import { writeYaml } from './workspace/yaml-file.js';

/** Which folder the workspace is: chosen by the entry point (--workspace, $SOCKBENCH_WORKSPACE, the mode's default). */
export interface WorkspaceConfig {
  dir: string;
  source: WorkspaceSource;
  /** The mode's per-user default (shown next to the open folder). */
  defaultDir: string;
  /** A folder chosen in the app is remembered and opened next time (the desktop app and browser mode; not the CLI). */
  remember?: boolean;
  /** The folder flag, environment or default gave, before a remembered choice (browser mode keeps its token and port there); default: dir. */
  startDir?: string;
}

/**
 * The workspace an entry point opens: --workspace DIR, else
 * $SOCKBENCH_WORKSPACE, else (with `remember`) the folder last chosen in the
 * app, else `fallback` (default: the platform's data folder).
 */
export function workspaceConfig(flag: string | undefined, fallback: string = defaultDataDir(), opts: { remember?: boolean } = {}): WorkspaceConfig {
  const start = chooseWorkspaceDir(flag, process.env, fallback);
  const remembered = opts.remember && start.source === 'default' ? rememberedChoice(fallback) : undefined;
  return {
    ...(remembered !== undefined ? { dir: remembered, source: 'chosen' as const } : start),
    defaultDir: fallback,
    startDir: start.dir,
    ...(opts.remember ? { remember: true } : {}),
  };
}

export interface WorkbenchOptions extends EngineOptions {
  /** The raw-socket helper and probe limits (default: dist/raw-helper.cjs, or the sources with tsx). */
  probes?: ProbesOptions;
  /** Event thinning of the packet crafter's sends. */
  craft?: CrafterOptions;
  /** The workspace folder (default: workspaceConfig(undefined), opened on first use). */
  workspace?: WorkspaceConfig;
}

export class Workbench {
  /** Sessions: one socket each. */
  readonly engine: Engine;
  /** ICMP and raw sockets: the privileged helper and the ping, traceroute, sweep and raw sessions over it. */
  readonly probes: Probes;
  /** The packet crafter's sends: through the probes' raw helper, or as a session's data. */
  readonly craft: Crafter;
  /** The workspace's scenarios run from the app (the CLI runs its files itself, over the same runner). */
  readonly scenarios: Scenarios;
  private readonly listeners = new Set<(event: AnyEvent) => void>();
  private readonly workspaceConfig: WorkspaceConfig | undefined;
  private openWorkspace: Workspace | undefined;
  private readonly emit: (event: AnyEvent) => void;

  constructor(opts: WorkbenchOptions = {}) {
    const emit = (event: AnyEvent): void => {
      for (const fn of this.listeners) fn(event);
    };
    this.emit = emit;
    this.workspaceConfig = opts.workspace;
    this.engine = new Engine(opts);
    this.engine.onEvent(emit);
    this.probes = new Probes(emit, opts.probes);
    this.craft = new Crafter({ raw: this.probes, session: (id) => this.engine.get(id), emit }, opts.craft);
    this.scenarios = new Scenarios({ call: (method, params) => this.call(method, params), onEvent: (fn) => this.onEvent(fn), emit, workspace: () => this.workspace });
  }

  /** One validated contract call, as the page makes it (saved packets and scenarios drive sessions this way). */
  readonly call: Call = async (method, params) => {
    const parsed = v.safeParse(methods[method].params, params);
    if (!parsed.success) throw new EngineError('BAD_REQUEST', parsed.issues[0].message);
    return (this.table[method] as (p: unknown) => never)(parsed.output);
  };

  private tableCache: Handlers | undefined;
  private get table(): Handlers {
    return (this.tableCache ??= this.handlers());
  }

  /** The user's files: opened on first use, in the folder the entry point chose. */
  get workspace(): Workspace {
    if (!this.openWorkspace) {
      const c = this.workspaceConfig ?? workspaceConfig(undefined);
      this.openWorkspace = this.makeWorkspace(c.dir, c.source, c.defaultDir, c.source !== 'chosen');
    }
    return this.openWorkspace;
  }

  private makeWorkspace(dir: string, source: WorkspaceSource, defaultDir: string, createParents: boolean): Workspace {
    return new Workspace(dir, {
      source,
      defaultDir,
      createParents,
      onChange: (kinds) => this.emit({ name: 'workspace.changed', payload: { kinds } }),
    });
  }

  /** Switches to another folder (checked first; the old one stays open if the new one fails). */
  reopenWorkspace(dir: string): Workspace {
    const old = this.workspace;
    const next = this.makeWorkspace(dir, 'chosen', old.defaultDir, false);
    old.close();
    this.openWorkspace = next;
    if (this.workspaceConfig?.remember) {
      try {
        rememberChoice(old.defaultDir, next.dir);
      } catch (e) {
        // The switch itself worked; only the next start will not know it.
        console.warn(`sockbench: could not remember the workspace folder ${next.dir} in ${old.defaultDir}: ${(e as Error).message}`);
      }
    }
    this.emit({ name: 'workspace.changed', payload: { kinds: ['workspace', 'packets'], reopened: true } });
    return next;
  }

  /** The certificate a TLS listener presents when given none: the workspace's self-signed one for localhost. */
  async tlsIdentity(): Promise<Identity> {
    const ws = this.workspace;
    const id = await workspaceIdentity(ws.dir, ws.readOnly);
    return { cert: id.cert, key: id.key, source: id.source, ...(id.file ? { file: id.file } : {}), ...(id.note ? { note: id.note } : {}) };
  }

  /** A TLS server side from the contract's options: files read and checked here, else the workspace's identity. */
  async tlsServer(opts: ServerOptions): Promise<TlsServerSide> {
    return new TlsServerSide(await serverMaterial(opts, () => this.tlsIdentity()));
  }

  /** A session's data still held, as packets with synthetic headers (see shared/packet/session-pcap.ts). */
  sessionPackets(id: number): SessionPackets {
    const s = this.engine.get(id);
    const info = s.info();
    return sessionPackets(
      { id, family: info.family, type: info.type, local: info.local, peer: info.peer, accepted: info.parent !== undefined, counters: info.counters, createdUs: info.createdUs },
      s.data.toArray(),
      s.data.evictedEntries,
      epochMs * 1000,
    );
  }

  /** Sessions' data as one pcapng file (the CLI's --pcap; the page's data-log button asks for one session). */
  pcapng(ids: readonly number[]): { bytes: Uint8Array; packets: number; lostBytes: number; lostChunks: number } {
    const each = ids.map((id) => this.sessionPackets(id));
    return {
      bytes: pcapngOf(each),
      packets: each.reduce((n, s) => n + s.packets.length, 0),
      lostBytes: each.reduce((n, s) => n + s.lostBytes, 0),
      lostChunks: each.reduce((n, s) => n + s.lostChunks, 0),
    };
  }

  /** Every event of every part, in order. */
  onEvent(fn: (event: AnyEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** The bridge's handlers: each maps validated params to one call of a part. */
  handlers(): Handlers {
    const engine = this.engine;
    const session = (id: number): Session => engine.get(id);
    /** Runs a call on a session and answers with the session as it is afterwards. */
    const act = async (id: number, fn: (s: Session) => Promise<void> | void) => {
      const s = session(id);
      await fn(s);
      return s.info();
    };
    const udp = (id: number, call: string): UdpSession => UdpSession.of(session(id), call);
    // Saved packets are sent through the same validated calls the page makes.
    const call = this.call;
    const at = (file: string | undefined, rev: string | null | undefined) => ({ ...(file !== undefined ? { file } : {}), ...(rev !== undefined ? { rev } : {}) });
    /** A save's result as the contract gives it for rule sets and scenarios (the file on disk as text when it conflicts). */
    const saved = <T>(r: SaveResult<T>) => (r.ok ? r : { ok: false as const, conflict: { file: r.conflict.file, diskText: r.conflict.diskText, diskRev: r.conflict.diskRev } });
    const packetEntry = (file: string) => {
      const e = this.workspace.list('packets').entries.find((x) => x.file === file);
      if (!e) throw new EngineError('BAD_REQUEST', `no saved packet in packets/${file} (it was deleted or renamed, or does not read)`, undefined, 'file');
      return e;
    };
    this.tableCache = {
      'session.list': () => ({ sessions: engine.list().map((s) => s.info()), epochMs }),
      'engine.capabilities': () => ({ platform: process.platform, combos: probeCombos() }),
      'session.history': ({ id }) => {
        const s = session(id);
        return { trace: [...s.trace], data: s.data.toArray(), droppedBytes: s.data.evictedBytes };
      },
      'session.capture': ({ id, on }) => act(id, (s) => s.setCapture(on)),
      'session.captureRead': ({ id, offset, length }) => ({ data: session(id).capture.read(offset, length) }),
      'session.remove': ({ id }) => {
        engine.remove(id);
        return {};
      },
      'socket.create': async ({ family, type }) => (await engine.create(family, type)).info(),
      'socket.bind': ({ id, address, port }) => act(id, async (s) => s.bind(await s.resolve(address, port), port)),
      'socket.listen': ({ id, backlog, acceptMode, tls }) => act(id, async (s) => {
        if (!tls) return s.listen(backlog, acceptMode);
        const stream = StreamSession.of(s, 'listen');
        return stream.listen(backlog, acceptMode, await this.tlsServer(tls));
      }),
      'socket.accept': async ({ id }) => (await session(id).accept()).info(),
      'socket.setAcceptMode': ({ id, mode }) => act(id, (s) => s.setAcceptMode(mode)),
      'socket.setServeMode': ({ id, mode, reply }) => act(id, (s) => s.setServeMode(mode, reply)),
      'socket.connect': ({ id, address, port, timeoutMs, tls }) => act(id, async (s) => {
        const ip = await s.resolve(address, port);
        if (!tls) return s.connect(ip, port, timeoutMs);
        // A name the user typed is the server name a TLS client sends and checks, unless another is given.
        const named = tls.servername || ipFamily(address) !== null ? tls : { ...tls, servername: address };
        return StreamSession.of(s, 'connect').connect(ip, port, timeoutMs, 'connect', clientMaterial(named));
      }),
      'socket.starttls': (p) => act(p.id, async (s) => {
        const stream = StreamSession.of(s, 'starttls');
        if (p.role === 'client') return stream.starttls({ role: 'client', material: clientMaterial(p.tls) }, p.timeoutMs);
        return stream.starttls({ role: 'server', side: await this.tlsServer(p.tls), send: p.send }, p.timeoutMs);
      }),
      'socket.connect_ex': async ({ id, address, port, timeoutMs }) => ({
        ...(await engine.connectEx(id, await session(id).resolve(address, port), port, timeoutMs)),
        session: session(id).info(),
      }),
      'socket.send': async ({ id, data }) => ({ bytes: await session(id).send(data) }),
      'socket.sendall': async ({ id, data }) => ({ bytes: await session(id).sendall(data) }),
      'socket.sendRepeat': async ({ id, data, count, intervalUs, address, port }) => {
        const s = session(id);
        if (!(s instanceof UdpSession)) throw EngineError.state('EOPNOTSUPP', 'sendRepeat', 'repeated sends are for datagram (UDP) sessions; use sendall on a stream');
        return s.sendRepeat(data, count, intervalUs, address === undefined ? undefined : { family: s.family, address: await s.resolve(address, port), port });
      },
      'socket.sendRepeatStop': ({ id }) => {
        const s = session(id);
        if (s instanceof UdpSession) s.stopRepeat();
        return {};
      },
      'socket.sendto': async ({ id, data, address, port }) => {
        const s = session(id);
        return { bytes: await s.sendto(data, await s.resolve(address, port), port) };
      },
      'socket.recv': async ({ id, bufsize }) => ({ data: await session(id).recv(bufsize) }),
      'socket.recvfrom': ({ id, bufsize }) => session(id).recvfrom(bufsize),
      'socket.setReadMode': ({ id, mode }) => act(id, (s) => s.setReadMode(mode)),
      'socket.settimeout': ({ id, timeoutMs }) => act(id, (s) => s.settimeout(timeoutMs)),
      'socket.gettimeout': ({ id }) => ({ timeoutMs: session(id).gettimeout() }),
      'socket.setblocking': ({ id, flag }) => act(id, (s) => s.settimeout(flag ? null : 0, 'setblocking')),
      'socket.shutdown': ({ id, how }) => act(id, (s) => s.shutdown(how)),
      'socket.close': ({ id }) => act(id, (s) => s.close()),
      // Socket options
      'socket.setsockopt': ({ id, option, value }) => setOption(session(id), option, value),
      'socket.getsockopt': ({ id, option }) => getOption(session(id), option),
      'socket.setsockoptRaw': ({ id, level, optname, data }) => setRaw(session(id), level, optname, data),
      'socket.getsockoptRaw': ({ id, level, optname, maxLen }) => getRaw(session(id), level, optname, maxLen),
      'net.lookup': ({ host }) => resolveName(host),
      'socket.getsockname': ({ id }) => session(id).getsockname(),
      'socket.getpeername': ({ id }) => session(id).getpeername(),
      // UDP extras
      'socket.setBroadcast': ({ id, on }) => act(id, () => udp(id, 'setsockopt(SO_BROADCAST)').setBroadcast(on)),
      'socket.joinGroup': ({ id, group, iface }) => act(id, () => udp(id, 'setsockopt(IP_ADD_MEMBERSHIP)').joinGroup(group, iface)),
      'socket.leaveGroup': ({ id, group, iface }) => act(id, () => udp(id, 'setsockopt(IP_DROP_MEMBERSHIP)').leaveGroup(group, iface)),
      'socket.setMulticastTTL': ({ id, ttl }) => act(id, () => udp(id, 'setsockopt(IP_MULTICAST_TTL)').setMulticastTTL(ttl)),
      'socket.setMulticastLoopback': ({ id, on }) => act(id, () => udp(id, 'setsockopt(IP_MULTICAST_LOOP)').setMulticastLoopback(on)),
      'socket.setMulticastInterface': ({ id, iface }) => act(id, () => udp(id, 'setsockopt(IP_MULTICAST_IF)').setMulticastInterface(iface)),
      // Probes (ICMP and raw sockets, through the privileged helper)
      'raw.status': () => this.probes.check(),
      'raw.elevate': () => this.probes.elevate(),
      'ping.start': async (p) => this.probes.startPing(checked(PingParams, { ...p, target: await probeTarget(p.target) })),
      'ping.stop': ({ id }) => this.probes.stopPing(id),
      'trace.start': async (p) => this.probes.startTrace({ ...p, target: await probeTarget(p.target) }),
      'trace.stop': ({ id }) => this.probes.stopTrace(id),
      'raw.open': (p) => this.probes.openRaw(p),
      'raw.send': ({ id, bytes, address }) => this.probes.sendRaw(id, bytes, address),
      'raw.close': ({ id }) => this.probes.closeRaw(id),
      'sweep.start': async (p) => this.probes.startSweep(checked(SweepParams, { ...p, targets: await sweepTargets(p.targets) })),
      'sweep.stop': ({ id }) => this.probes.stopSweep(id),
      // The packet crafter
      'craft.send': (p) => this.craft.send(p),
      'craft.stop': ({ id }) => this.craft.stop(id),
      // The workspace: saved packets as files
      'tls.identity': async () => ownIdentity(await this.tlsIdentity()),
      'workspace.info': () => this.workspace.info(),
      'workspace.open': ({ dir }) => this.reopenWorkspace(dir).info(),
      'packets.list': () => {
        const { entries, problems } = this.workspace.list('packets');
        return { packets: entries.map((e) => ({ file: e.file, rev: e.rev, packet: e.value, ...sendability(e.value) })), problems };
      },
      'packets.save': ({ packet, file, rev }) => this.workspace.save('packets', packet, { ...(file !== undefined ? { file } : {}), ...(rev !== undefined ? { rev } : {}) }),
      'packets.remove': ({ file, rev }) => this.workspace.remove('packets', file, rev),
      'packets.import': ({ text, fileName }) => importPackets(this.workspace, text, fileName),
      'packets.export': ({ format, files }) => exportPackets(this.workspace, format, files),
      'packets.send': ({ file, session: into }) => sendSaved(call, packetEntry(file).value, into),
      'session.pcapng': ({ id }) => ({ ...this.pcapng([id]), fileName: `sockbench-session-${id}.pcapng` }),
      // Automation: auto-reply rules and scenarios
      'rules.list': () => {
        const { entries, problems } = this.workspace.list('rules');
        return { ruleSets: entries.map((e) => ({ file: e.file, rev: e.rev, ruleSet: e.value })), problems };
      },
      'rules.save': ({ ruleSet, file, rev }) => saved(this.workspace.save('rules', ruleSet, at(file, rev))),
      'rules.preview': ({ ruleSet, sample }) => ({ messages: previewRules(ruleSet, sample, ruleSet.name) }),
      'socket.setRules': ({ id, ruleSet, file }) => act(id, (s) => s.setRules(ruleSet ? new RulesSource(new CompiledRules(ruleSet.name ?? file?.replace(/\.ya?ml$/, '') ?? 'rules', ruleSet)) : null)),
      'scenarios.list': () => this.scenarios.list(),
      'scenarios.save': ({ scenario, file, rev }) => saved(this.workspace.save('scenarios', scenario, at(file, rev))),
      'scenarios.run': ({ file, vars, ref }) => this.scenarios.start(file, vars, ref),
      'scenarios.stop': ({ id }) => {
        this.scenarios.stop(id);
        return {};
      },
      'scenarios.record': ({ id, name }) => {
        const s = session(id);
        const info = s.info();
        const listener = info.parent !== undefined ? engine.list().find((x) => x.id === info.parent)?.info() : undefined;
        let scenario;
        try {
          scenario = recordScenario({ info, trace: s.trace, data: s.data.toArray(), evictedEntries: s.data.evictedEntries, epochMs, ...(listener ? { listener } : {}) }, name);
        } catch (e) {
          throw new EngineError('BAD_REQUEST', (e as Error).message, undefined, 'id');
        }
        return { scenario, text: writeYaml(scenario, null, KINDS.scenarios.order, KINDS.scenarios.header) };
      },
    };
    return this.tableCache;
  }

  /** Closes every open session and stops the helpers (app quit, test teardown). */
  async close(): Promise<void> {
    this.scenarios.close();
    await this.engine.close();
    await this.craft.close();
    await this.probes.close();
    this.openWorkspace?.close();
  }
}

/** A probe's target: an IP literal as given, or a host name resolved as ping resolves it (getaddrinfo's first address); a failure is on the target field. */
async function probeTarget(target: string, field = 'target'): Promise<string> {
  if (ipFamily(target) !== null) return target;
  try {
    return (await resolveName(target)).addresses[0]!.address;
  } catch (e) {
    if (e instanceof EngineError) throw new EngineError(e.code, e.message, e.errno, field);
    throw e;
  }
}

/** A sweep's list with each host name replaced by its first address (as fping does); a failure is on the targets field. */
async function sweepTargets(text: string): Promise<string> {
  const { names, literals } = splitNames(text);
  const addresses: string[] = [];
  for (const name of names) addresses.push(await probeTarget(name, 'targets'));
  return [...literals, ...addresses].join(' ');
}

/** Params checked again once a name became an address (limits that depend on the family, e.g. an IPv4 ping's size). */
function checked<S extends v.GenericSchema>(schema: S, params: unknown): v.InferOutput<S> {
  const r = checkWith(schema, params);
  if (r.ok) return r.value;
  throw new EngineError('BAD_REQUEST', r.message, undefined, r.field);
}
