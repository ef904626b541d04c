// Browser mode's security and framing, over a real HTTP server and real
// WebSocket clients on loopback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import WebSocket from 'ws';
import { startBrowserServer, type BrowserServer } from './browser-server.js';
import { decodeFrame, encodeFrame } from '../../shared/contract/wire.js';
import type { AnyEvent, Reply } from '../../shared/contract/index.js';

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

type Frame = { id: number; reply: Reply } | { events: AnyEvent[] };

function client(ws: WebSocket) {
  const frames: Frame[] = [];
  ws.on('message', (d: Buffer) => frames.push(decodeFrame(new Uint8Array(d)) as Frame));
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
});
