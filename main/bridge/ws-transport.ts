// Browser mode's transport: a WebSocket on loopback. An upgrade is accepted
// only with the right path, a loopback Host, an allowed Origin and the random
// token (offered as the subprotocol "token.<hex>", taken by the page from its
// URL fragment, so it never appears in a request line or a log).
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { packDataRuns } from '../../shared/contract/data-runs.js';
import { decodeFrame, encodeFrame, FrameError } from '../../shared/contract/wire.js';
import type { Reply } from '../../shared/contract/index.js';
import { MAX_PAGE_DATA_PER_SECOND, MAX_PAGE_COST_PER_SECOND, MAX_UNACKED_BATCHES, MAX_UNACKED_BYTES } from './event-batcher.js';
import type { Router } from './router.js';

export const PROTOCOL = 'sockbench.v1';
const MAX_FRAME = 20 * 1024 * 1024;
/** Above this many bytes queued on the socket, data events are dropped (and counted). */
const CONGESTED_BYTES = 8 * 1024 * 1024;

export interface WsTransportOptions {
  server: Server;
  router: Router;
  token: string;
  /** Origins allowed to open the bridge (the page's own origin). */
  allowedOrigins: () => string[];
  /** Hosts (Host header) allowed; guards against DNS rebinding. */
  allowedHosts: () => string[];
}

function tokenMatches(offered: string, token: string): boolean {
  const a = Buffer.from(offered);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function refuse(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${reason.length}\r\n\r\n${reason}`);
}

/** Why an upgrade must be refused, or null when it may proceed. */
export function checkUpgrade(req: IncomingMessage, opts: Pick<WsTransportOptions, 'token' | 'allowedOrigins' | 'allowedHosts'>): { status: number; reason: string } | null {
  const path = (req.url ?? '').split('?')[0];
  if (path !== '/bridge') return { status: 404, reason: 'no such endpoint' };
  if (!opts.allowedHosts().includes(req.headers.host ?? '')) return { status: 403, reason: 'Host not allowed' };
  const origin = req.headers.origin;
  if (!origin || !opts.allowedOrigins().includes(origin)) return { status: 403, reason: 'Origin not allowed' };
  const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  if (!offered.includes(PROTOCOL)) return { status: 400, reason: `subprotocol ${PROTOCOL} required` };
  // Exactly one token: with several, which one counts would be a guess.
  const tokens = offered.filter((p) => p.startsWith('token.'));
  if (tokens.length > 1) return { status: 400, reason: 'more than one token subprotocol' };
  if (!tokens[0] || !tokenMatches(tokens[0].slice('token.'.length), opts.token)) return { status: 401, reason: 'missing or wrong token' };
  return null;
}

export function attachWsTransport(opts: WsTransportOptions): { close(): Promise<void> } {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME,
    perMessageDeflate: false,
    handleProtocols: () => PROTOCOL,
  });

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const refusal = checkUpgrade(req, opts);
    if (refusal) return refuse(socket, refusal.status, refusal.reason);
    wss.handleUpgrade(req, socket, head, (ws) => serveConnection(ws, opts.router));
  };
  opts.server.on('upgrade', onUpgrade);

  return {
    close: () =>
      new Promise<void>((resolve) => {
        opts.server.off('upgrade', onUpgrade);
        for (const ws of wss.clients) ws.terminate();
        wss.close(() => resolve());
      }),
  };
}

function serveConnection(ws: WebSocket, router: Router): void {
  const events = router.subscribe(
    (batch, seq) => {
      if (ws.readyState === ws.OPEN) ws.send(encodeFrame({ events: packDataRuns(batch), seq }), { binary: true });
    },
    { congested: () => ws.bufferedAmount > CONGESTED_BYTES, maxUnacked: MAX_UNACKED_BATCHES, maxUnackedBytes: MAX_UNACKED_BYTES, maxCostBytesPerSecond: MAX_PAGE_COST_PER_SECOND, maxDataBytesPerSecond: MAX_PAGE_DATA_PER_SECOND },
  );
  ws.on('close', () => events.close());
  ws.on('error', () => ws.terminate());
  ws.on('message', (data, isBinary) => {
    void answer(ws, router, data as Buffer, isBinary, (seq) => events.ack(seq));
  });
}

/**
 * One frame from the page: a request {id, method, params}, answered with
 * {id, reply}, or an acknowledgement {ack: seq} of the event batches it has
 * applied, which is not answered.
 */
async function answer(ws: WebSocket, router: Router, data: Buffer, isBinary: boolean, ack: (seq: number) => void): Promise<void> {
  let id = 0;
  let reply: Reply;
  try {
    if (!isBinary) throw new FrameError('text frames are not accepted; send binary frames');
    const msg = decodeFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    if (typeof msg !== 'object' || msg === null) throw new FrameError('a request must be an object {id, method, params}');
    if ('ack' in msg && !('id' in msg)) {
      if (!Number.isSafeInteger(msg.ack) || (msg.ack as number) < 0) throw new FrameError('an acknowledgement {ack} needs a batch number ≥ 0');
      return ack(msg.ack as number);
    }
    const { id: rawId, method, params } = msg as { id?: unknown; method?: unknown; params?: unknown };
    if (!Number.isSafeInteger(rawId) || (rawId as number) < 1) throw new FrameError('a request needs a positive integer id');
    id = rawId as number;
    reply = await router.handle(method, params);
  } catch (e) {
    const message = e instanceof FrameError ? `malformed request: ${e.message}` : 'malformed request';
    reply = { ok: false, error: { code: 'BAD_REQUEST', message } };
  }
  if (ws.readyState === ws.OPEN) ws.send(encodeFrame({ id, reply }), { binary: true });
}
