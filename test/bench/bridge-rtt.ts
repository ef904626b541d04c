// Bridge round trip over the WebSocket transport of browser mode: a real
// `ws` client sends binary frames to an in-process server, sequentially.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startBrowserServer } from '../../main/bridge/browser-server.js';
import { decodeFrame, encodeFrame } from '../../shared/contract/wire.js';
import type { Reply } from '../../shared/contract/index.js';
import { summarize } from './stats.js';

export interface RttResult {
  method: string;
  n: number;
  medianUs: number;
  p90Us: number;
  p99Us: number;
}

export async function bridgeRoundTrip(opts: { calls: number; maxMs: number }): Promise<RttResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sockbench-bench-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html>');
  const srv = await startBrowserServer({ staticDir: dir });
  const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/bridge`, ['sockbench.v1', `token.${srv.token}`], { origin: `http://127.0.0.1:${srv.port}` });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const waiting = new Map<number, (r: Reply) => void>();
  ws.on('message', (d: Buffer) => {
    const f = decodeFrame(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)) as { id?: number; reply?: Reply };
    if (f.id !== undefined && f.reply) waiting.get(f.id)?.(f.reply);
  });
  let nextId = 1;
  const call = (method: string, params: unknown): Promise<Reply> =>
    new Promise((resolve) => {
      const id = nextId++;
      waiting.set(id, (r) => {
        waiting.delete(id);
        resolve(r);
      });
      ws.send(encodeFrame({ id, method, params }));
    });

  const created = await call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
  if (!created.ok) throw new Error(created.error.message);
  const sid = (created.result as { id: number }).id;
  await call('socket.bind', { id: sid, address: '127.0.0.1', port: 0 });

  const results: RttResult[] = [];
  for (const [method, params] of [
    ['session.list', {}],
    ['socket.getsockname', { id: sid }],
  ] as const) {
    for (let i = 0; i < 200; i++) await call(method, params); // warm-up
    const samples: number[] = [];
    const end = Date.now() + opts.maxMs;
    while (samples.length < opts.calls && Date.now() < end) {
      const t0 = process.hrtime.bigint();
      const r = await call(method, params);
      samples.push(Number(process.hrtime.bigint() - t0) / 1000);
      if (!r.ok) throw new Error(`${method}: ${r.error.message}`);
    }
    const s = summarize(samples);
    results.push({ method, n: s.n, medianUs: s.median, p90Us: s.p90, p99Us: s.p99 });
  }
  ws.close();
  await srv.close();
  return results;
}
