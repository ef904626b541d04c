import { describe, expect, it } from 'vitest';
import { createClient } from '../../../shared/contract/bridge-client.js';
import type { AnyEvent, Reply } from '../../../shared/contract/index.js';
import { createElectronTransport } from './electron-transport.js';
import type { SockbenchBridge } from './types.js';

function fakePreload() {
  let listener: ((events: AnyEvent[], seq: number) => void) | undefined;
  const acks: number[] = [];
  let answer: (r: Reply) => void = () => undefined;
  const api: SockbenchBridge = {
    call: () => new Promise<Reply>((r) => (answer = r)),
    onEvents(fn) {
      listener = fn;
      return () => (listener = undefined);
    },
    ack: (seq) => acks.push(seq),
  };
  return { api, acks, send: (events: AnyEvent[], seq: number) => listener!(events, seq), answer: (r: Reply) => answer(r) };
}

describe('Electron transport', () => {
  it('applies the batches that arrived once per frame and acknowledges the last, as over the WebSocket', () => {
    const p = fakePreload();
    const frames: (() => void)[] = [];
    const t = createElectronTransport(p.api, (fn) => frames.push(fn));
    const passes: string[][] = [];
    createClient(t).onBatch((events) => passes.push(events.map((e) => e.name)));
    p.send([{ name: 'session.removed', payload: { id: 1 } }], 1);
    p.send([{ name: 'session.removed', payload: { id: 2 } }], 2);
    expect(passes).toEqual([]);
    expect(p.acks).toEqual([]);
    frames.shift()!();
    expect(passes).toEqual([['session.removed', 'session.removed']]);
    expect(p.acks).toEqual([2]);
  });

  it('hands over a reply only after the events that came before it', async () => {
    const p = fakePreload();
    const t = createElectronTransport(p.api, () => undefined);
    const order: string[] = [];
    const client = createClient(t);
    client.on('session.removed', () => order.push('event'));
    const done = client.call('session.list', {}).then(() => order.push('reply'));
    p.send([{ name: 'session.removed', payload: { id: 1 } }], 1);
    p.answer({ ok: true, result: { sessions: [], epochMs: 0 } });
    await done;
    expect(order).toEqual(['event', 'reply']);
    expect(p.acks).toEqual([1]);
  });
});
