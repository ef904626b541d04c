// Browser mode: one WebSocket to the server that served this page.
// The token comes from the URL fragment (#token=<hex>), which browsers never
// send to a server, and is offered as the subprotocol "token.<hex>". Every
// frame is binary (shared/contract/wire.ts): data stays bytes end to end.
// Event batches are applied once per frame and acknowledged ({ack: seq}),
// which is what lets main send more (event-pump.ts).
import type { AnyEvent, Reply } from '../../../shared/contract/index.js';
import { unpackDataRuns } from '../../../shared/contract/data-runs.js';
import { decodeFrame, encodeFrame } from '../../../shared/contract/wire.js';
import { createEventPump, type Schedule } from './event-pump.js';
import { localFailure, type BridgeStatus, type BridgeTransport } from './types.js';

export const PROTOCOL = 'sockbench.v1';

/** The minimal WebSocket surface used here (the DOM's, or a test double). */
export interface WsLike {
  binaryType: string;
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string; wasClean?: boolean }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}
export type WsCtor = new (url: string, protocols: string[]) => WsLike;

export interface WsTransportOptions {
  location?: Pick<Location, 'hash' | 'host' | 'protocol'>;
  WebSocket?: WsCtor;
  /** When event batches are applied (default: the next animation frame). */
  schedule?: Schedule;
}

/** The token in "#token=abc" (also "#x=1&token=abc"), or null. */
export function tokenFromHash(hash: string): string | null {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const token = params.get('token');
  return token && /^[0-9A-Za-z_-]{8,256}$/.test(token) ? token : null;
}

export function bridgeUrl(loc: Pick<Location, 'host' | 'protocol'>): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/bridge`;
}

export function createWsTransport(opts: WsTransportOptions = {}): BridgeTransport {
  const loc = opts.location ?? window.location;
  const Ctor: WsCtor = opts.WebSocket ?? (WebSocket as unknown as WsCtor);
  const token = tokenFromHash(loc.hash);

  let status: BridgeStatus = token ? { state: 'connecting' } : { state: 'no-token' };
  let opened = false;
  let nextId = 1;
  let ws: WsLike | null = null;
  const queued: Uint8Array[] = [];
  const pending = new Map<number, { method: string; resolve: (r: Reply) => void }>();
  const eventFns = new Set<(events: AnyEvent[]) => void>();
  const statusFns = new Set<(s: BridgeStatus) => void>();

  const pump = createEventPump(
    (events) => {
      for (const fn of eventFns) fn(events);
    },
    (seq) => {
      if (ws && status.state === 'open') ws.send(encodeFrame({ ack: seq }));
    },
    opts.schedule,
  );

  const setStatus = (s: BridgeStatus): void => {
    status = s;
    for (const fn of statusFns) fn(s);
  };

  const closedMessage = (): string => {
    if (status.state === 'no-token') {
      return 'no bridge token: open the full URL that `npm run serve` printed (it ends with #token=…)';
    }
    return 'the connection to Sockbench is closed; reload the page';
  };

  const failAll = (detail: string): void => {
    for (const [id, p] of pending) {
      pending.delete(id);
      p.resolve(localFailure(`${p.method} did not complete: ${detail}; reload the page`));
    }
    queued.length = 0;
  };

  const onFrame = (data: unknown): void => {
    if (!(data instanceof ArrayBuffer)) return; // text frames are not part of the protocol
    let msg: unknown;
    try {
      msg = decodeFrame(new Uint8Array(data));
    } catch (e) {
      console.error('sockbench: dropped a malformed frame from the server', e);
      return;
    }
    if (typeof msg !== 'object' || msg === null) return;
    if ('events' in msg && Array.isArray(msg.events)) {
      pump.push(unpackDataRuns(msg.events), 'seq' in msg && typeof msg.seq === 'number' ? msg.seq : 0);
      return;
    }
    if ('id' in msg && 'reply' in msg && typeof msg.id === 'number') {
      pump.flush();
      const p = pending.get(msg.id);
      if (p) {
        pending.delete(msg.id);
        p.resolve(msg.reply as Reply);
      } else if (msg.id === 0) {
        console.error('sockbench: the server could not read a request', msg.reply);
      }
    }
  };

  if (token) {
    try {
      ws = new Ctor(bridgeUrl(loc), [PROTOCOL, `token.${token}`]);
      ws.binaryType = 'arraybuffer';
      ws.onopen = () => {
        opened = true;
        setStatus({ state: 'open' });
        for (const f of queued.splice(0)) ws!.send(f);
      };
      ws.onmessage = (ev) => onFrame(ev.data);
      ws.onerror = () => undefined; // onclose follows with the details
      ws.onclose = (ev) => {
        const detail = opened
          ? `connection lost (code ${ev.code}${ev.reason ? `: ${ev.reason}` : ''})`
          : 'the server refused the bridge (wrong or expired token) or is not running';
        setStatus({ state: 'closed', why: opened ? 'lost' : 'refused', detail });
        failAll(detail);
      };
    } catch (e) {
      const detail = `cannot open the bridge: ${e instanceof Error ? e.message : String(e)}`;
      status = { state: 'closed', why: 'refused', detail };
    }
  }

  return {
    kind: 'websocket',
    request(method, params) {
      if (status.state === 'no-token' || status.state === 'closed' || !ws) {
        return Promise.resolve(localFailure(`${method} was not sent: ${closedMessage()}`));
      }
      const id = nextId++;
      let frame: Uint8Array;
      try {
        frame = encodeFrame({ id, method, params });
      } catch (e) {
        return Promise.resolve(localFailure(`${method} could not be encoded: ${e instanceof Error ? e.message : String(e)}`));
      }
      return new Promise<Reply>((resolve) => {
        pending.set(id, { method, resolve });
        if (status.state === 'open') ws!.send(frame);
        else queued.push(frame);
      });
    },
    onEvents(fn) {
      eventFns.add(fn);
      return () => eventFns.delete(fn);
    },
    status: () => status,
    onStatus(fn) {
      statusFns.add(fn);
      return () => statusFns.delete(fn);
    },
  };
}
