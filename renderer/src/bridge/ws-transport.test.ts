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

  it('delivers event batches with bytes intact', () => {
    const t = createWsTransport({ location: loc('#token=00112233445566778899'), WebSocket: FakeWs });
    const ws = FakeWs.last!;
    ws.open();
    const got: unknown[] = [];
    createClient(t).on('session.data', (d) => got.push(d));
    ws.deliver({ events: [{ name: 'session.data', payload: { id: 3, dir: 'in', tUs: 9, bytes: new Uint8Array([1, 2, 3]) } }] });
    expect(got).toEqual([{ id: 3, dir: 'in', tUs: 9, bytes: new Uint8Array([1, 2, 3]) }]);
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
