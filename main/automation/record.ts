// Record: what was done by hand on a session, turned into a scenario draft.
// Its data and trace are replayed in time order: what was sent becomes
// `send`, what arrived becomes `expect` with the exact bytes (the person
// loosens them into a regex before saving), a shutdown or close of ours
// becomes that step, and the peer's FIN becomes `expect-close`.
import type { DataEntry, SessionInfo, TraceEntry } from '../../shared/contract/index.js';
import type { Scenario } from '../../shared/contract/automation.js';
import { formatSavedData } from '../../shared/contract/workspace.js';
import { formatHostPort } from '../../shared/net/address.js';

export interface Recorded {
  info: SessionInfo;
  trace: readonly TraceEntry[];
  data: readonly DataEntry[];
  /** Entries the session's ring had let go before (said in the description). */
  evictedEntries: number;
  /** For an accepted connection: its listener, as it is now. */
  listener?: SessionInfo;
  /** The engine clock's wall-clock origin, for the date in the description. */
  epochMs: number;
}

type Step = Record<string, unknown>;

export function protocolOf(s: Pick<SessionInfo, 'family' | 'type' | 'tls'>): string {
  // TLS from the start (connect or a TLS listener's accept); a STARTTLS upgrade is not replayed as such.
  if (s.tls && (s.tls.via === 'connect' || s.tls.via === 'accept')) return 'tls';
  if (s.family === 'AF_UNIX') return s.type === 'SOCK_STREAM' ? 'unix-stream' : s.type === 'SOCK_DGRAM' ? 'unix-dgram' : 'unix-seqpacket';
  return s.type === 'SOCK_DGRAM' ? 'udp' : 'tcp';
}

/** Data as a send or an equals: text with escapes, or hex:…; a literal ${ is written $${ (not a variable). */
const asText = (bytes: Uint8Array): string => formatSavedData(bytes).replaceAll('${', '$${');

export function recordScenario(r: Recorded, name?: string): Scenario {
  const { info } = r;
  const protocol = protocolOf(info);
  const datagram = info.type === 'SOCK_DGRAM';
  const stream = info.type === 'SOCK_STREAM';
  const vars: Record<string, string> = {};
  const steps: Step[] = [];
  const where = (a: SessionInfo['peer']): string => {
    if (!a) return '?';
    if (a.family === 'AF_UNIX') {
      vars.path = a.address;
      return '${path}';
    }
    vars.host = a.address;
    vars.port = String(a.port);
    return a.family === 'AF_INET6' ? '[${host}]:${port}' : '${host}:${port}';
  };
  const connected = r.trace.some((t) => (t.call === 'connect' || t.call === 'connect_ex') && t.ok);
  if (info.parent !== undefined) {
    const local = r.listener?.local ?? info.local;
    steps.push({ listen: `${protocol} ${local ? formatHostPort(local.address, local.port, local.family) : '127.0.0.1:0'}` }, { accept: null });
  } else if (connected && info.peer) {
    const insecure = protocol === 'tls' && info.tls?.verify?.on === false;
    steps.push({ connect: `${protocol} ${where(info.peer)}`, ...(insecure ? { tls: { insecure: true } } : {}) });
  } else if (datagram && info.local) {
    steps.push({ listen: `${protocol} ${formatHostPort(info.local.address, info.local.port, info.local.family)}` });
  } else {
    throw new Error(`session #${info.id} neither connected nor was accepted nor is a bound datagram socket: there is nothing to replay`);
  }

  // Data and the calls that matter, in the order they happened.
  type Event = { tUs: number; data?: DataEntry; call?: TraceEntry };
  const events: Event[] = [
    ...r.data.map((d) => ({ tUs: d.tUs, data: d })),
    ...r.trace.filter((t) => (t.ok && (t.call === 'shutdown' || t.call === 'close')) || (t.call === 'recv' && t.ok && /^0 bytes/.test(t.result ?? ''))).map((t) => ({ tUs: t.tUs, call: t })),
  ].sort((a, b) => a.tUs - b.tUs);

  let pending: { dir: 'in' | 'out'; parts: Uint8Array[]; to?: DataEntry['addr'] } | null = null;
  const flush = (): void => {
    if (!pending) return;
    const bytes = Buffer.concat(pending.parts);
    if (pending.dir === 'out') {
      const step: Step = { send: asText(bytes) };
      if (datagram && !connected && pending.to) step.to = formatHostPort(pending.to.address, pending.to.port, pending.to.family);
      steps.push(step);
    } else {
      const text = asText(bytes);
      steps.push({ expect: text.startsWith('hex:') ? { hex: text.slice(4) } : { equals: text } });
    }
    pending = null;
  };
  for (const e of events) {
    if (e.data) {
      // Streams: consecutive reads or writes are one send or expect; datagrams keep their boundaries.
      if (!pending || pending.dir !== e.data.dir || !stream) flush();
      pending ??= { dir: e.data.dir, parts: [], ...(e.data.addr ? { to: e.data.addr } : {}) };
      pending.parts.push(e.data.bytes);
      continue;
    }
    flush();
    const t = e.call!;
    if (t.call === 'shutdown') steps.push({ shutdown: ({ SHUT_RD: 'rd', SHUT_WR: 'wr', SHUT_RDWR: 'rdwr' } as Record<string, string>)[String(t.args.how)] ?? 'wr' });
    else if (t.call === 'close') steps.push({ close: true });
    else steps.push({ 'expect-close': null });
  }
  flush();

  const when = new Date(r.epochMs + info.createdUs / 1000).toISOString().replace('T', ' ').slice(0, 19);
  const lost = r.evictedEntries > 0 ? ` The first ${r.evictedEntries} chunks were no longer held (the session's log is bounded): they are not in the steps.` : '';
  const scenario: Scenario = {
    name: name?.trim() || `Recorded session ${info.id}`,
    description: `Recorded from session #${info.id} (${protocol}) on ${when} UTC.${lost}`,
    ...(Object.keys(vars).length ? { vars } : {}),
    steps,
  };
  return scenario;
}
