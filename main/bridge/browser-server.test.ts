// Browser mode's security and framing, over a real HTTP server and real
// WebSocket clients on loopback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import WebSocket from 'ws';
import { startBrowserServer, type BrowserServer } from './browser-server.js';
import { unpackDataRuns } from '../../shared/contract/data-runs.js';
import { decodeFrame, encodeFrame } from '../../shared/contract/wire.js';
import type { AnyEvent, Reply, SessionInfo } from '../../shared/contract/index.js';
import { until } from '../../test/support/engine-harness.js';
import { tcpFloodTo } from '../../test/support/tcp-flood.js';
import { MAX_UNACKED_BATCHES } from './event-batcher.js';

let srv: BrowserServer;
let origin: string;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockbench-static-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Sockbench</title>');
  srv = await startBrowserServer({ staticDir: dir });
  origin = `http://127.0.0.1:${srv.port}`;
});
afterAll(async () => srv.close());

function open(opts: { token?: string | null; tokens?: string[]; origin?: string; path?: string } = {}): Promise<WebSocket> {
  const protocols = ['sockbench.v1'];
  if (opts.tokens) protocols.push(...opts.tokens.map((t) => `token.${t}`));
  else if (opts.token !== null) protocols.push(`token.${opts.token ?? srv.token}`);
  const ws = new WebSocket(`ws://127.0.0.1:${srv.port}${opts.path ?? '/bridge'}`, protocols, { origin: opts.origin ?? origin });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

type Frame = { id: number; reply: Reply } | { events: AnyEvent[]; seq: number };

/** A client as the page is: it acknowledges each event batch (unless `acks` is false). */
function client(ws: WebSocket, opts: { acks?: boolean } = {}) {
  const frames: Frame[] = [];
  ws.on('message', (d: Buffer) => {
    const f = decodeFrame(new Uint8Array(d)) as Frame;
    // As the page does: runs of data events arrive packed.
    if ('events' in f) f.events = unpackDataRuns(f.events);
    frames.push(f);
    if ('events' in f && opts.acks !== false) ws.send(encodeFrame({ ack: f.seq }));
  });
  let next = 1;
  const waitFor = async <T>(pick: () => T | undefined): Promise<T> => {
    for (let i = 0; i < 400; i++) {
      const v = pick();
      if (v !== undefined) return v;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error('no such frame');
  };
  return {
    frames,
    async call(method: string, params: unknown): Promise<Reply> {
      const id = next++;
      ws.send(encodeFrame({ id, method, params }));
      return waitFor(() => frames.find((f): f is Extract<Frame, { id: number }> => 'id' in f && f.id === id)?.reply);
    },
    raw(data: Buffer | string): Promise<Reply> {
      ws.send(data);
      return waitFor(() => frames.find((f): f is Extract<Frame, { id: number }> => 'id' in f && f.id === 0)?.reply);
    },
    events: () => frames.flatMap((f) => ('events' in f ? f.events : [])),
  };
}

describe('browser mode', () => {
  it('listens on loopback only and refuses other hosts', async () => {
    await expect(startBrowserServer({ staticDir: '/nonexistent', host: '0.0.0.0' })).rejects.toThrow(/loopback only/);
    expect(srv.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]{48}$/);
  });

  it('serves the app with a strict CSP, and refuses a foreign Host header and path traversal', async () => {
    const ok = await fetch(`${origin}/`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'self'/);
    // A DNS-rebinding page would arrive with its own Host name.
    const rebindingStatus = await new Promise<number>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: srv.port, path: '/', headers: { host: 'evil.example:80' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    expect(rebindingStatus).toBe(403);
    const traversal = await fetch(`${origin}/..%2f..%2fetc%2fpasswd`);
    expect([403, 404]).toContain(traversal.status);
    expect(await traversal.text()).not.toMatch(/root:/);
  });

  it('refuses a WebSocket without the token, with a wrong token, or from another Origin', async () => {
    await expect(open({ token: null })).rejects.toThrow(/HTTP 401/);
    await expect(open({ token: 'f'.repeat(48) })).rejects.toThrow(/HTTP 401/);
    await expect(open({ origin: 'http://evil.example' })).rejects.toThrow(/HTTP 403/);
    await expect(open({ path: '/other' })).rejects.toThrow(/HTTP 404/);
  });

  it('takes exactly one token subprotocol: several are refused, whichever comes first', async () => {
    const wrong = 'f'.repeat(48);
    await expect(open({ tokens: [srv.token, wrong] })).rejects.toThrow(/HTTP 400/);
    await expect(open({ tokens: [wrong, srv.token] })).rejects.toThrow(/HTTP 400/);
    (await open({ tokens: [srv.token] })).close();
  });

  it('answers malformed and unknown messages with typed errors and keeps the connection', async () => {
    const ws = await open();
    const c = client(ws);
    expect(await c.raw('{"id":1,"method":"session.list"}')).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: /text frames/ } });
    c.frames.length = 0;
    expect(await c.raw(Buffer.from([0, 0, 0, 99, 1, 2]))).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: /malformed/ } });
    c.frames.length = 0;
    expect(await c.raw(Buffer.from(encodeFrame({ method: 'session.list' })))).toMatchObject({ ok: false, error: { message: /integer id/ } });
    expect(await c.call('socket.fly', {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_METHOD' } });
    expect(await c.call('session.list', {})).toMatchObject({ ok: true });
    ws.close();
  });

  it('carries bytes both ways as binary, and events in batches', async () => {
    const ws = await open();
    const c = client(ws);
    const mk = async () => (await c.call('socket.create', { family: 'AF_INET', type: 'SOCK_DGRAM' })) as { ok: true; result: { id: number } };
    const a = (await mk()).result.id;
    const b = (await mk()).result.id;
    const bound = (await c.call('socket.bind', { id: b, address: '127.0.0.1', port: 0 })) as { ok: true; result: { local: { port: number } } };
    const payload = new Uint8Array([0, 1, 2, 255, 0x0d, 0x0a]);
    expect(await c.call('socket.sendto', { id: a, data: payload, address: '127.0.0.1', port: bound.result.local.port })).toEqual({ ok: true, result: { bytes: 6 } });
    for (let i = 0; i < 200 && !c.events().some((e) => e.name === 'session.data' && e.payload.id === b); i++) await new Promise((r) => setTimeout(r, 5));
    const got = c.events().find((e) => e.name === 'session.data' && e.payload.id === b);
    expect(got?.name === 'session.data' && got.payload.bytes).toEqual(payload);
    ws.close();
  });

  it('stops sending to a page that does not acknowledge, keeps counting, and gives exact counters once it does', { timeout: 60_000 }, async () => {
    const ws = await open();
    const c = client(ws, { acks: false });
    const ok = async <T>(method: string, params: unknown): Promise<T> => {
      const r = await c.call(method, params);
      if (!r.ok) throw new Error(r.error.message);
      return r.result as T;
    };
    const listener = await ok<SessionInfo>('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
    const bound = await ok<SessionInfo>('socket.bind', { id: listener.id, address: '127.0.0.1', port: 0 });
    await ok('socket.listen', { id: listener.id, backlog: 1 });

    const TOTAL = 256 * 1024 * 1024;
    const heapBefore = process.memoryUsage().heapUsed;
    let heapPeak = heapBefore;
    const sampler = setInterval(() => (heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)), 20);
    const batches = () => c.frames.filter((f): f is Extract<Frame, { events: AnyEvent[] }> => 'events' in f);
    try {
      expect(await tcpFloodTo(bound.local!.port, TOTAL)).toBe(TOTAL);
      await until(() => srv.workbench.engine.list().find((x) => x.parent === listener.id && x.state !== 'connected' && x.counters.bytesIn === TOTAL), 'every byte counted by main', 30_000);
    } finally {
      clearInterval(sampler);
    }
    // Replies still came (the calls above), but event batches stopped at what the page may hold.
    const dataBytes = (events: AnyEvent[]) => events.reduce((n, e) => n + (e.name === 'session.data' ? e.payload.bytes.byteLength : 0), 0);
    expect(batches().length, 'main stopped after the batches the page may hold').toBeLessThanOrEqual(MAX_UNACKED_BATCHES);
    expect(dataBytes(c.events()), 'bytes sent to a page that does not read').toBeLessThanOrEqual(MAX_UNACKED_BATCHES * 1024 * 1024);
    expect(heapPeak - heapBefore, 'main’s heap stayed bounded').toBeLessThan(64 * 1024 * 1024);

    const lastUpdate = () => c.events().filter((e) => e.name === 'session.updated' && e.payload.parent === listener.id).pop();
    await until(() => {
      ws.send(encodeFrame({ ack: batches().at(-1)!.seq }));
      const u = lastUpdate();
      return u?.name === 'session.updated' && u.payload.state !== 'connected';
    }, 'the held counters after the page acknowledged', 10_000);
    const u = lastUpdate()!;
    const accId = u.name === 'session.updated' ? u.payload.id : -1;
    expect(u.name === 'session.updated' && u.payload.counters.bytesIn, 'the counters the page gets are exact').toBe(TOTAL);
    const all = c.events();
    const shown = all.reduce((n, e) => n + (e.name === 'session.data' && e.payload.id === accId ? e.payload.bytes.byteLength : 0), 0);
    const skipped = all.reduce((n, e) => n + (e.name === 'session.dropped' && e.payload.id === accId ? e.payload.bytes : 0), 0);
    expect(shown + skipped, 'every byte either sent to the page or counted as skipped').toBe(TOTAL);
    ws.close();
  });

  it('refuses a malformed acknowledgement with a typed error', async () => {
    const ws = await open();
    const c = client(ws);
    expect(await c.raw(Buffer.from(encodeFrame({ ack: -1 })))).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: /acknowledgement/ } });
    c.frames.length = 0;
    expect(await c.raw(Buffer.from(encodeFrame({ ack: 'x' })))).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await c.call('session.list', {})).toMatchObject({ ok: true });
    ws.close();
  });
});
