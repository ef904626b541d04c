import { describe, expect, it } from 'vitest';
import { createClient } from '../../../shared/contract/bridge-client.js';
import { CallError } from '../../../shared/contract/index.js';
import { decodeFrame, encodeFrame } from '../../../shared/contract/wire.js';
import { bridgeUrl, createWsTransport, tokenFromHash, type WsLike } from './ws-transport.js';

class FakeWs implements WsLike {
  static last: FakeWs | undefined;
  binaryType = 'blob';
  readyState = 0;
  onopen: WsLike['onopen'] = null;
  onmessage: WsLike['onmessage'] = null;
  onclose: WsLike['onclose'] = null;
  onerror: WsLike['onerror'] = null;
  sent: unknown[] = [];
  constructor(readonly url: string, readonly protocols: string[]) {
    FakeWs.last = this;
  }
  send(data: Uint8Array): void {
    this.sent.push(decodeFrame(data));
  }
  close(): void {}
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  deliver(msg: unknown): void {
    const f = encodeFrame(msg);
    this.onmessage?.({ data: f.buffer.slice(f.byteOffset, f.byteOffset + f.byteLength) });
  }
}

const loc = (hash: string) => ({ hash, host: '127.0.0.1:4000', protocol: 'http:' });

describe('browser-mode transport', () => {
  it('reads the token from the fragment', () => {
    expect(tokenFromHash('#token=0123456789abcdef')).toBe('0123456789abcdef');
    expect(tokenFromHash('#a=1&token=0123456789abcdef')).toBe('0123456789abcdef');
    expect(tokenFromHash('')).toBeNull();
    expect(tokenFromHash('#token=')).toBeNull();
    expect(tokenFromHash('#token=a b<>')).toBeNull();
    expect(bridgeUrl({ host: 'h:1', protocol: 'https:' })).toBe('wss://h:1/bridge');
  });

  it('offers the protocol and token, queues calls until open, and matches replies by id', async () => {
    const t = createWsTransport({ location: loc('#token=00112233445566778899'), WebSocket: FakeWs });
    const ws = FakeWs.last!;
    expect(ws.url).toBe('ws://127.0.0.1:4000/bridge');
    expect(ws.protocols).toEqual(['sockbench.v1', 'token.00112233445566778899']);
    expect(ws.binaryType).toBe('arraybuffer');
    expect(t.status()).toEqual({ state: 'connecting' });

    const client = createClient(t);
    const data = new Uint8Array([0x68, 0x69]);
    const p1 = client.call('socket.send', { id: 1, data });
    const p2 = client.call('session.list', {});
    expect(ws.sent).toHaveLength(0);
    ws.open();
    expect(t.status()).toEqual({ state: 'open' });
    expect(ws.sent).toEqual([
      { id: 1, method: 'socket.send', params: { id: 1, data } },
      { id: 2, method: 'session.list', params: {} },
    ]);
    ws.deliver({ id: 2, reply: { ok: true, result: { sessions: [], epochMs: 5 } } });
    ws.deliver({ id: 1, reply: { ok: false, error: { code: 'OS_ERROR', message: 'send: EPIPE (32)', errno: { name: 'EPIPE', number: 32 } } } });
    await expect(p2).resolves.toEqual({ sessions: [], epochMs: 5 });
    const err = await p1.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CallError);
    expect((err as CallError).error.errno).toEqual({ name: 'EPIPE', number: 32 });
  });

  it('delivers event batches with bytes intact, all that arrived in one pass per frame, and acknowledges them', () => {
    const frames: (() => void)[] = [];
    const t = createWsTransport({ location: loc('#token=00112233445566778899'), WebSocket: FakeWs, schedule: (fn) => frames.push(fn) });
    const ws = FakeWs.last!;
    ws.open();
    const passes: unknown[][] = [];
    createClient(t).onBatch((events) => passes.push(events.map((e) => e.payload)));
    const data = (n: number) => ({ name: 'session.data', payload: { id: 3, dir: 'in', tUs: n, bytes: new Uint8Array([1, 2, n]) } });
    ws.deliver({ events: [data(1)], seq: 1 });
    ws.deliver({ events: [data(2)], seq: 2 });
    expect(passes, 'nothing applied before the frame').toEqual([]);
    expect(frames).toHaveLength(1);
    frames.shift()!();
    expect(passes).toEqual([[data(1).payload, data(2).payload]]);
    expect(ws.sent).toEqual([{ ack: 2 }]);
  });

  it('applies the events that came before a reply before handing over the reply', async () => {
    const frames: (() => void)[] = [];
    const t = createWsTransport({ location: loc('#token=00112233445566778899'), WebSocket: FakeWs, schedule: (fn) => frames.push(fn) });
    const ws = FakeWs.last!;
    ws.open();
    const order: string[] = [];
    const client = createClient(t);
    client.on('session.removed', () => order.push('event'));
    const p = client.call('session.list', {}).then(() => order.push('reply'));
    ws.deliver({ events: [{ name: 'session.removed', payload: { id: 1 } }], seq: 1 });
    ws.deliver({ id: 1, reply: { ok: true, result: { sessions: [], epochMs: 0 } } });
    await p;
    expect(order).toEqual(['event', 'reply']);
    expect(ws.sent.at(-1)).toEqual({ ack: 1 });
    frames.shift()!(); // the frame finds nothing left to apply
    expect(order).toEqual(['event', 'reply']);
  });

  it('fails pending calls with a clear error when the socket closes', async () => {
    const t = createWsTransport({ location: loc('#token=00112233445566778899'), WebSocket: FakeWs });
    const ws = FakeWs.last!;
    ws.open();
    const p = createClient(t).call('session.list', {});
    ws.onclose?.({ code: 1006, reason: '' });
    const err = (await p.catch((e: unknown) => e)) as CallError;
    expect(err).toBeInstanceOf(CallError);
    expect(err.message).toMatch(/session\.list did not complete: connection lost \(code 1006\).*reload/);
    expect(t.status()).toMatchObject({ state: 'closed', why: 'lost' });
    // Later calls fail at once, without touching the socket.
    const again = (await createClient(t).call('session.list', {}).catch((e: unknown) => e)) as CallError;
    expect(again.message).toMatch(/reload the page/);
  });

  it('reports a refused bridge (never opened) differently from a lost one', () => {
    const t = createWsTransport({ location: loc('#token=00112233445566778899'), WebSocket: FakeWs });
    FakeWs.last!.onclose?.({ code: 1006, reason: '' });
    expect(t.status()).toMatchObject({ state: 'closed', why: 'refused' });
  });

  it('without a token: no socket, a clear status and a clear error', async () => {
    FakeWs.last = undefined;
    const t = createWsTransport({ location: loc(''), WebSocket: FakeWs });
    expect(FakeWs.last).toBeUndefined();
    expect(t.status()).toEqual({ state: 'no-token' });
    const err = (await createClient(t).call('session.list', {}).catch((e: unknown) => e)) as CallError;
    expect(err.message).toMatch(/no bridge token.*#token=/);
  });
});
