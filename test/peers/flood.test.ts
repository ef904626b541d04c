// A peer that sends 1 GiB as fast as it can, through the whole stack (engine →
// router → WebSocket bridge → a client): counters stay exact, memory stays
// bounded, and calls are still answered during the flood.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startBrowserServer, type BrowserServer } from '../../main/bridge/browser-server.js';
import { unpackDataRuns } from '../../shared/contract/data-runs.js';
import { decodeFrame, encodeFrame } from '../../shared/contract/wire.js';
import type { AnyEvent, Reply } from '../../shared/contract/index.js';
import { until } from '../support/engine-harness.js';
import { peerSuite, run } from '../support/peers.js';

const GIB = 1024 * 1024 * 1024;
let srv: BrowserServer | undefined;
afterAll(async () => srv?.close());

const socat = peerSuite('socat');
describe.skipIf(socat.skip)(`1 GiB flood from ${socat.title}`, () => {
  it('keeps counters exact, memory bounded and the bridge answering', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sockbench-static-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html>');
    srv = await startBrowserServer({ staticDir: dir });
    const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/bridge`, ['sockbench.v1', `token.${srv.token}`], { origin: `http://127.0.0.1:${srv.port}` });
    await new Promise((r) => ws.once('open', r));
    const replies = new Map<number, Reply>();
    let eventBytes = 0;
    let droppedBytes = 0;
    ws.on('message', (d: Buffer) => {
      const f = decodeFrame(new Uint8Array(d)) as { id?: number; reply?: Reply; events?: AnyEvent[]; seq?: number };
      if (f.id !== undefined && f.reply) replies.set(f.id, f.reply);
      for (const e of unpackDataRuns(f.events ?? [])) { // as the page does
        if (e.name === 'session.data') eventBytes += e.payload.bytes.byteLength;
        if (e.name === 'session.dropped') droppedBytes += e.payload.bytes;
      }
      if (f.events) ws.send(encodeFrame({ ack: f.seq })); // as the page does: main sends only a couple of batches ahead
    });
    let nextId = 1;
    const call = async (method: string, params: unknown): Promise<Reply> => {
      const id = nextId++;
      ws.send(encodeFrame({ id, method, params }));
      return until(() => replies.get(id), `reply to ${method}`, 20_000);
    };
    const ok = <T>(r: Reply) => (r.ok ? (r.result as T) : Promise.reject(new Error(r.error.message)));

    const s = await ok<{ id: number }>(await call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' }));
    const bound = await ok<{ local: { port: number } }>(await call('socket.bind', { id: s.id, address: '127.0.0.1', port: 0 }));
    await call('socket.listen', { id: s.id, backlog: 5 });

    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 50);
    const flood = run('sh', ['-c', `head -c ${GIB} /dev/zero | socat -u - TCP:127.0.0.1:${bound.local.port}`]);
    try {
      const acc = await until(() => srv!.workbench.engine.list().find((x) => x.parent === s.id), 'the accepted session');
      // While the flood runs, calls are still answered.
      let answeredDuringFlood = 0;
      while (acc.counters.bytesIn < GIB && answeredDuringFlood < 1000) {
        const r = await call('session.list', {});
        expect(r.ok).toBe(true);
        answeredDuringFlood++;
        await new Promise((res) => setTimeout(res, 20));
      }
      await until(() => acc.counters.bytesIn === GIB && acc.state !== 'connected', 'all of the 1 GiB and its FIN', 100_000);
      expect(answeredDuringFlood).toBeGreaterThan(0);
      expect(acc.counters.bytesIn).toBe(GIB); // exact, whatever the view dropped
      // The ring kept only its bound; the view saw part of it and was told how much it missed.
      expect(acc.data.toArray().reduce((n, d) => n + d.bytes.byteLength, 0)).toBeLessThanOrEqual(4 * 1024 * 1024);
      await until(() => eventBytes + droppedBytes === GIB, 'every byte either shown or counted as dropped', 10_000);
      expect(droppedBytes).toBeGreaterThan(0);
      expect(rssPeak - rssBefore).toBeLessThan(400 * 1024 * 1024);
    } finally {
      clearInterval(sampler);
      flood.stop();
      ws.close();
    }
  });
});
