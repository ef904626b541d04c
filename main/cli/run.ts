// `sockbench listen` and `sockbench connect` over the same engine and router
// as the app: every call is validated and traced exactly as from the UI.
import { lstatSync, unlinkSync, writeFileSync } from 'node:fs';
import { CallError, schemas, type AnyEvent, type Family, type MethodName, type Params, type Result, type SessionInfo, type SockType } from '../../shared/contract/index.js';
import { formatHostPort } from '../../shared/net/address.js';
import { createRouter } from '../bridge/router.js';
import { resolveName } from '../core/resolve.js';
import { Workbench, workspaceConfig } from '../workbench.js';
import { loadRuleSetFile } from '../automation/rules-file.js';
import { problemLine } from '../automation/scenario-file.js';
import { replyAddress } from '../workspace/send.js';
import type { Command, Protocol, Target } from './args.js';
import { Output, showAddr, type TextOutput } from './output.js';
import { ownLines, printHandshake } from './tls-show.js';

const SOCK_TYPES: Record<Protocol, SockType> = {
  tcp: 'SOCK_STREAM',
  udp: 'SOCK_DGRAM',
  'unix-stream': 'SOCK_STREAM',
  'unix-dgram': 'SOCK_DGRAM',
  'unix-seqpacket': 'SOCK_SEQPACKET',
  tls: 'SOCK_STREAM',
};

/** The summary line the trace gave a session's TLS handshake (or its STARTTLS). */
function handshakeLine(wb: Workbench, id: number): string {
  return [...wb.engine.get(id).trace].reverse().find((t) => t.call === 'tls handshake' || t.call === 'starttls')?.result ?? '';
}

/** Removes the socket file a listener bound (as socat does), never anything else. */
function unlinkSocket(path: string | undefined): void {
  if (!path || path.startsWith('@')) return;
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // Already gone.
  }
}

/** --pcap FILE: every session's data of this run (not the bare listener) as one pcapng file. */
function writePcap(wb: Workbench, out: Output, file: string | undefined): void {
  if (file === undefined) return;
  const ids = wb.engine.list().map((s) => s.info()).filter((s) => s.state !== 'listening').map((s) => s.id);
  const r = wb.pcapng(ids);
  try {
    writeFileSync(file, r.bytes);
  } catch (e) {
    out.status(`cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    return;
  }
  const lost = r.lostBytes > 0 ? ` (the first ${r.lostBytes} bytes were no longer held: the file says so)` : '';
  out.status(`wrote ${r.packets} packets to ${file}${lost}`, { pcap: file, packets: r.packets, lostBytes: r.lostBytes });
}

type Listen = Extract<Command, { kind: 'listen' }>;

/**
 * The socket families to try for a target, in order: its own for an address
 * or a path; for a host name, the families of its addresses in the order the
 * resolver gives them (the session resolves the name again and traces it).
 */
async function familiesOf(target: Target): Promise<Family[]> {
  if (target.family !== 'host') return [target.family];
  const { addresses } = await resolveName(target.address);
  return [...new Set(addresses.map((a): Family => (a.family === 6 ? 'AF_INET6' : 'AF_INET')))];
}
type Connect = Extract<Command, { kind: 'connect' }>;

/** Ends a run with an exit status and, for failures, one line saying why. */
export class Exit {
  constructor(
    readonly status: number,
    readonly reason?: string,
  ) {}
}

/** --encoding: what arrives is printed as text (streams decoded across reads). */
function textOutput(cmd: Listen | Connect): TextOutput | undefined {
  return cmd.encoding && { encoding: cmd.encoding, stream: SOCK_TYPES[cmd.protocol] === 'SOCK_STREAM' };
}

export function setup(json: boolean, workspace?: string, text?: TextOutput) {
  const engine = new Workbench({ workspace: workspaceConfig(workspace) });
  const router = createRouter(engine);
  const out = new Output(json, text);
  const call = async <M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> => {
    const reply = await router.handle(method, params);
    if (!reply.ok) throw new CallError(reply.error);
    return reply.result as Result<M>;
  };
  engine.onEvent((ev) => {
    if (ev.name === 'session.trace') out.trace(ev.payload.id, ev.payload.entry);
  });
  let finish: (e: Exit) => void = () => undefined;
  let fail: (e: unknown) => void = () => undefined;
  const finished = new Promise<Exit>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  // A failure may arrive while a call is being awaited instead of `finished`.
  finished.catch(() => undefined);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => finish(new Exit(0)));
  return { engine, out, call, finished, finish, fail };
}

const ended = (s: SessionInfo) => s.state === 'closed' || s.state === 'error';

/** A datagram listener's last word: what it received, and what the kernel dropped before it could (a full receive buffer). */
function lossLine(out: Output, s: SessionInfo): void {
  const { chunksIn: received, kernelDropped } = s.counters;
  const dropped = kernelDropped === undefined ? '' : kernelDropped > 0 ? `; the kernel dropped ${kernelDropped} more (the receive buffer was full)` : '; the kernel dropped none';
  out.status(`received ${received} datagrams${dropped}`, { received, ...(kernelDropped !== undefined ? { kernelDropped } : {}) });
}

/** `workspace`: --workspace (a TLS listener's self-signed certificate is kept there). */
export async function runListen(cmd: Listen, workspace?: string): Promise<Exit> {
  // A rule set that does not read is a usage problem: one line naming file, line and field, before any socket.
  const rules = cmd.rules === undefined ? undefined : loadRuleSetFile(cmd.rules);
  if (rules && !rules.ok) return new Exit(2, problemLine(rules.problem));
  const { engine, out, call, finished, finish, fail } = setup(cmd.json, workspace, textOutput(cmd));
  let boundPath: string | undefined;
  let datagrams: number | undefined;
  try {
    const type = SOCK_TYPES[cmd.protocol];
    const [family] = await familiesOf(cmd.target);
    const listener = await call('socket.create', { family: family!, type });
    if (type === 'SOCK_DGRAM') datagrams = listener.id;
    const bound = await call('socket.bind', { id: listener.id, address: cmd.target.address, port: cmd.target.port });
    if (cmd.target.family === 'AF_UNIX') boundPath = cmd.target.address;
    const listening = type !== 'SOCK_DGRAM' ? await call('socket.listen', { id: listener.id, backlog: 128, ...(cmd.tls ? { tls: cmd.tls } : {}) }) : bound;
    if (rules?.ok) {
      await call('socket.setRules', { id: listener.id, ruleSet: { ...rules.ruleSet, name: rules.name } });
      out.status(`answering with rule set "${rules.name}" (${rules.ruleSet.rules.length} rules, framing ${rules.ruleSet.framing})`, { rules: rules.name });
    }
    out.status(`listening on ${cmd.protocol} ${showAddr(bound.local)}`, { address: bound.local?.address, port: bound.local?.port });
    if (listening.tls?.own) for (const line of ownLines(listening.tls.own)) out.status(line);
    const shown = new Set<number>();

    let handled = 0;
    let idle: NodeJS.Timeout | undefined;
    const touch = (): void => {
      if (cmd.timeoutS === undefined) return;
      clearTimeout(idle);
      idle = setTimeout(() => {
        const what = type === 'SOCK_DGRAM' ? 'datagrams' : 'connections';
        if (cmd.count !== undefined && handled < cmd.count) {
          finish(new Exit(1, `timeout: no activity for ${cmd.timeoutS} s (${handled} of ${cmd.count} ${what})`));
        } else {
          out.status(`no activity for ${cmd.timeoutS} s; ${handled} ${what} handled`);
          finish(new Exit(0));
        }
      }, cmd.timeoutS * 1000);
    };
    touch();
    const answer = cmd.echo ? (bytes: Uint8Array) => bytes : cmd.reply ? () => cmd.reply! : null;
    // Per session, sends and the final close run in order.
    const chains = new Map<number, Promise<unknown>>();
    const then = (id: number, step: () => Promise<unknown>): void => {
      const next = (chains.get(id) ?? Promise.resolve()).then(step).catch((e: unknown) => {
        out.status(e instanceof Error ? e.message : String(e));
      });
      chains.set(id, next);
    };
    const countOne = (): void => {
      handled++;
      if (cmd.count !== undefined && handled >= cmd.count) void Promise.all(chains.values()).then(() => finish(new Exit(0)));
    };
    const conns = new Set<number>();
    const closing = new Set<number>();

    engine.onEvent((ev: AnyEvent) => {
      try {
        if (ev.name === 'session.created' && ev.payload.parent === listener.id) {
          conns.add(ev.payload.id);
          out.status(`accepted ${showAddr(ev.payload.peer)} as session #${ev.payload.id}`, { session: ev.payload.id, peer: ev.payload.peer });
          touch();
        } else if (ev.name === 'session.data' && ev.payload.dir === 'in') {
          const { id, bytes, addr } = ev.payload;
          if (id !== listener.id && !conns.has(id)) return;
          out.data(ev.payload);
          touch();
          if (type === 'SOCK_DGRAM') {
            if (answer && addr && addr.family === 'AF_UNIX' && addr.address === '') {
              out.status('cannot answer a datagram from an unnamed socket: the sender did not bind an address');
            } else if (answer && addr) {
              then(id, () => call('socket.sendto', { id, data: answer(bytes), address: addr.address, port: addr.port }));
            }
            countOne();
          } else if (answer) {
            // One send per message received: on SOCK_SEQPACKET each answer stays one message.
            then(id, () => call('socket.sendall', { id, data: answer(bytes) }));
          }
        } else if (ev.name === 'session.updated' && conns.has(ev.payload.id)) {
          const s = ev.payload;
          if (s.tls?.state === 'established' && !shown.has(s.id)) {
            shown.add(s.id);
            printHandshake(out, `session #${s.id}: `, handshakeLine(engine, s.id), s.tls);
          }
          if (s.state === 'half-closed' && !closing.has(s.id)) {
            closing.add(s.id);
            then(s.id, () => call('socket.close', { id: s.id }));
          } else if (ended(s)) {
            conns.delete(s.id);
            out.ended(s.id);
            out.status(`session #${s.id} ended (${s.state})${s.state === 'error' && s.lastError ? `: ${s.lastError.message}` : ''}`, { session: s.id, state: s.state });
            touch();
            countOne();
          }
        }
      } catch (e) {
        fail(e);
      }
    });
    return await finished;
  } finally {
    writePcap(engine, out, cmd.pcap);
    await engine.close(); // closing reads the kernel's final drop count
    if (datagrams !== undefined) lossLine(out, engine.engine.get(datagrams).info());
    unlinkSocket(boundPath);
  }
}

/**
 * `connect`: what it sends is --send DATA, or else `input` (stdin when it is
 * not a terminal) as it comes; at the end of that, streams without --wait shut
 * down their write side (as nc -N) and read until the peer closes.
 */
export async function runConnect(cmd: Connect, workspace?: string, input?: AsyncIterable<Uint8Array>): Promise<Exit> {
  const { engine, out, call, finished, finish, fail } = setup(cmd.json, workspace, textOutput(cmd));
  let boundPath: string | undefined;
  let id: number | undefined;
  let settled = false;
  void finished.then(() => (settled = true), () => (settled = true));
  try {
    const type = SOCK_TYPES[cmd.protocol];
    let peerDone = false;
    // After our own SHUT_WR the session is half-closed too: then only the
    // peer's FIN (state closed) or an error ends the read.
    let shutWrite = false;
    // Until a connect works, a failed attempt is the loop's business, not the end.
    let connected = false;
    const watch = (info: SessionInfo): void => {
      if (!connected || info.id !== id || peerDone) return;
      if ((info.state === 'half-closed' && !shutWrite) || ended(info)) {
        peerDone = true;
        if (info.state === 'error' && info.lastError) fail(new CallError(info.lastError));
        else finish(new Exit(0));
      }
    };
    engine.onEvent((ev) => {
      if (ev.name === 'session.data' && ev.payload.id === id && ev.payload.dir === 'in') out.data(ev.payload);
      if (ev.name === 'session.updated') watch(ev.payload);
    });
    // A host name: one socket per family of its addresses, in the resolver's
    // order, until a connect works (as a client library does).
    const families = await familiesOf(cmd.target);
    for (let i = 0; ; i++) {
      const s = await call('socket.create', { family: families[i]!, type });
      id = s.id;
      if (cmd.target.family === 'AF_UNIX' && type === 'SOCK_DGRAM') {
        // An unbound AF_UNIX datagram socket is unnamed: nobody could answer it.
        boundPath = replyAddress();
        await call('socket.bind', { id: s.id, address: boundPath, port: 0 });
      }
      try {
        const after = await call('socket.connect', { id: s.id, address: cmd.target.address, port: cmd.target.port, timeoutMs: 10_000, ...(cmd.tls ? { tls: cmd.tls } : {}) });
        const target = formatHostPort(cmd.target.address, cmd.target.port, cmd.target.family);
        const via = cmd.target.family === 'host' && after.peer ? ` (${showAddr(after.peer)})` : '';
        out.status(`connected to ${cmd.protocol} ${target}${via}`);
        if (after.tls) printHandshake(out, '', handshakeLine(engine, s.id), after.tls);
        connected = true;
        watch(engine.engine.get(s.id).info());
        break;
      } catch (e) {
        if (i + 1 >= families.length || !(e instanceof CallError) || e.code !== 'OS_ERROR') throw e;
        out.status(`${e.message}; trying ${families[i + 1]}`);
        await call('socket.close', { id: s.id });
      }
    }
    const sid = id;
    if (cmd.send) {
      // A stream takes --send @FILE of any size, in calls of at most what one call carries (in order).
      const step = type === 'SOCK_STREAM' ? schemas.MAX_CALL_BYTES : Math.max(1, cmd.send.byteLength);
      let at = 0;
      do {
        await call('socket.sendall', { id: sid, data: cmd.send.subarray(at, at + step) });
        at += step;
      } while (at < cmd.send.byteLength);
    }
    else if (input) {
      const pump = (async () => {
        for await (const chunk of input) {
          if (settled) return;
          await call('socket.sendall', { id: sid, data: new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength) });
        }
      })();
      await Promise.race([pump, finished]);
      if (settled) return await finished;
    }
    // Streams and seqpacket without --wait: half-close after sending and read
    // until the peer closes, as a request/response script wants. With --wait
    // (or datagrams, which have no end of stream): read for that long.
    const waitMs = cmd.waitMs ?? (type === 'SOCK_DGRAM' ? 1000 : undefined);
    if (waitMs !== undefined) {
      const timer = setTimeout(() => finish(new Exit(0)), waitMs);
      const result = await finished;
      clearTimeout(timer);
      return result;
    }
    if (cmd.send || input) {
      shutWrite = true;
      await call('socket.shutdown', { id: sid, how: 'SHUT_WR' });
    }
    return await finished;
  } finally {
    writePcap(engine, out, cmd.pcap);
    if (id !== undefined) out.ended(id);
    await engine.close();
    unlinkSocket(boundPath);
  }
}
