// A bridge client in Node for a browser-mode server started as another
// process (serve() in browser.ts): the same typed client the page uses, over
// the same WebSocket and wire format, so a test can read what main holds and
// compare it with what the page shows. Like the page, it acknowledges each
// event batch once its listeners have had it (main sends only a couple of
// batches ahead). Its connection gets its own event batcher in main, so
// close it before measuring the page under load.
import WebSocket from 'ws';
import { createClient, type Client } from '../../shared/contract/bridge-client.js';
import type { AnyEvent, Reply } from '../../shared/contract/index.js';
import { unpackDataRuns } from '../../shared/contract/data-runs.js';
import { decodeFrame, encodeFrame } from '../../shared/contract/wire.js';

export async function connectBridge(pageUrl: string): Promise<Client & { close(): void }> {
  const url = new URL(pageUrl);
  const token = new URLSearchParams(url.hash.slice(1)).get('token');
  if (!token) throw new Error(`no #token= in ${pageUrl}`);
  const ws = new WebSocket(`ws://${url.host}/bridge`, ['sockbench.v1', `token.${token}`], { origin: url.origin });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const waiting = new Map<number, (r: Reply) => void>();
  const eventFns = new Set<(events: AnyEvent[]) => void>();
  ws.on('message', (d: Buffer) => {
    const f = decodeFrame(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)) as { id?: number; reply?: Reply; events?: AnyEvent[]; seq?: number };
    if (f.events) {
      const events = unpackDataRuns(f.events); // as the page does
      for (const fn of eventFns) fn(events);
      ws.send(encodeFrame({ ack: f.seq }));
    } else if (f.id !== undefined && f.reply) {
      waiting.get(f.id)?.(f.reply);
      waiting.delete(f.id);
    }
  });
  let nextId = 1;
  const client = createClient({
    request: (method, params) =>
      new Promise<Reply>((resolve) => {
        const id = nextId++;
        waiting.set(id, resolve);
        ws.send(encodeFrame({ id, method, params }));
      }),
    onEvents(fn) {
      eventFns.add(fn);
      return () => eventFns.delete(fn);
    },
  });
  return { ...client, close: () => ws.close() };
}
