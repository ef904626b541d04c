// Under a flood most of a batch is session.data events of one session, and
// as JSON each took ~150 bytes beside its data (names, a 16-digit time, the
// peer's address again and again). Chromium pays for every byte of a
// WebSocket message, in the browser process and on the page's main thread,
// before any script runs. So the WebSocket transport sends a run of them as
// one `session.dataRun` event: the times as differences, the directions as
// one string, lengths and peers in arrays, the bytes as one blob (a dozen
// bytes of JSON per entry). The page unpacks it before anything else sees it;
// the events in between keep their place.
import type { AnyEvent, DataEntry, SockAddr } from './index.js';

export const DATA_RUN = 'session.dataRun';
/** Shorter runs stay as they are (packing saves nothing worth its arrays). */
const MIN_RUN = 4;

export interface DataRun {
  id: number;
  /** The first entry's time; dt[i] is entry i's time minus the one before (dt[0] = 0). */
  t0: number;
  dt: number[];
  /** One character per entry: i (in) or o (out). */
  dir: string;
  len: number[];
  bytes: Uint8Array;
  /** Per entry, its index in `peers`, or -1 (no address); absent when no entry has one. */
  peer?: number[];
  peers?: SockAddr[];
}

type DataEvent = { name: 'session.data'; payload: DataEntry };

/** Plain entries (no repeat count, no rule) can be packed; the others travel as they are. */
function packable(e: AnyEvent): e is DataEvent {
  return e.name === 'session.data' && e.payload.repeat === undefined && e.payload.rule === undefined;
}

/** The batch with each run of at least MIN_RUN plain session.data events of one session packed into one event. */
export function packDataRuns(events: AnyEvent[]): unknown[] {
  const out: unknown[] = [];
  let i = 0;
  while (i < events.length) {
    const e = events[i]!;
    let j = i;
    if (packable(e)) while (j < events.length && packable(events[j]!) && (events[j] as DataEvent).payload.id === e.payload.id) j++;
    if (j - i < MIN_RUN) {
      out.push(e);
      i++;
      continue;
    }
    out.push({ name: DATA_RUN, payload: pack(events.slice(i, j) as DataEvent[]) });
    i = j;
  }
  return out;
}

function pack(run: DataEvent[]): DataRun {
  let total = 0;
  for (const e of run) total += e.payload.bytes.byteLength;
  const bytes = new Uint8Array(total);
  const dt: number[] = [];
  const len: number[] = [];
  const peer: number[] = [];
  const peers: SockAddr[] = [];
  const peerIndex = new Map<string, number>();
  let dir = '';
  let at = 0;
  let prev = run[0]!.payload.tUs;
  for (const { payload: p } of run) {
    bytes.set(p.bytes, at);
    at += p.bytes.byteLength;
    len.push(p.bytes.byteLength);
    dt.push(p.tUs - prev);
    prev = p.tUs;
    dir += p.dir === 'in' ? 'i' : 'o';
    if (p.addr === undefined) peer.push(-1);
    else {
      const key = JSON.stringify(p.addr);
      let k = peerIndex.get(key);
      if (k === undefined) peerIndex.set(key, (k = peers.push(p.addr) - 1));
      peer.push(k);
    }
  }
  const packed: DataRun = { id: run[0]!.payload.id, t0: run[0]!.payload.tUs, dt, dir, len, bytes };
  if (peers.length > 0) Object.assign(packed, { peer, peers });
  return packed;
}

/**
 * The batch as main built it: each session.dataRun back into its
 * session.data events. A run that does not add up is left out and said on
 * the console; the rest of the batch still applies (and is acknowledged).
 */
export function unpackDataRuns(events: unknown[]): AnyEvent[] {
  if (!events.some((e) => (e as { name?: unknown } | null)?.name === DATA_RUN)) return events as AnyEvent[];
  const out: AnyEvent[] = [];
  for (const e of events) {
    if ((e as { name?: unknown } | null)?.name !== DATA_RUN) out.push(e as AnyEvent);
    else {
      const problem = unpack((e as { payload?: unknown }).payload, out);
      if (problem) console.error(`sockbench: left out a malformed data run from the server: ${problem}`);
    }
  }
  return out;
}

const isCount = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;

/** Appends the run's entries to out; returns what is wrong with it instead, appending nothing. */
function unpack(value: unknown, out: AnyEvent[]): string | null {
  const r = value as Partial<DataRun> | null;
  if (typeof r !== 'object' || r === null) return 'not an object';
  const { id, t0, dt, dir, len, bytes, peer, peers } = r;
  if (!isCount(id) || typeof t0 !== 'number' || !(bytes instanceof Uint8Array)) return 'id, t0 or bytes missing';
  if (!Array.isArray(dt) || !Array.isArray(len) || typeof dir !== 'string') return 'dt, len or dir missing';
  const n = len.length;
  if (dt.length !== n || dir.length !== n || (peer !== undefined && (!Array.isArray(peer) || peer.length !== n))) return 'its arrays differ in length';
  if (peer !== undefined && !Array.isArray(peers)) return 'peer without peers';
  let total = 0;
  for (let k = 0; k < n; k++) {
    if (!isCount(len[k]) || typeof dt[k] !== 'number' || (dir[k] !== 'i' && dir[k] !== 'o')) return `entry ${k} is malformed`;
    if (peer !== undefined && !(peer[k] === -1 || (isCount(peer[k]) && peer[k]! < peers!.length))) return `entry ${k} names no peer`;
    total += len[k]!;
  }
  if (total !== bytes.byteLength) return `its lengths add up to ${total} bytes, its blob has ${bytes.byteLength}`;
  let at = 0;
  let tUs = t0;
  for (let k = 0; k < n; k++) {
    tUs += dt[k]!;
    // A copy each: an entry kept in the log must not hold the whole run's bytes.
    const payload: DataEntry = { id, dir: dir[k] === 'i' ? 'in' : 'out', tUs, bytes: bytes.slice(at, at + len[k]!) };
    at += len[k]!;
    const p = peer?.[k];
    if (p !== undefined && p >= 0) payload.addr = peers![p]!;
    out.push({ name: 'session.data', payload });
  }
  return null;
}
