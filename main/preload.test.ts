import { beforeAll, describe, expect, it, vi } from 'vitest';
import { IPC_ACK, IPC_CALL, IPC_EVENTS, type SockbenchBridge } from '../shared/contract/preload-api.js';

const exposed = new Map<string, unknown>();
const listeners = new Map<string, Set<(...args: unknown[]) => void>>();
const invoke = vi.fn(async (..._args: unknown[]) => ({ ok: true, result: 'pong' }));
const send = vi.fn((..._args: unknown[]) => undefined);

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) },
  ipcRenderer: {
    invoke,
    send,
    on: (channel: string, fn: (...args: unknown[]) => void) => {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)!.add(fn);
    },
    removeListener: (channel: string, fn: (...args: unknown[]) => void) => listeners.get(channel)?.delete(fn),
  },
}));

describe('preload', () => {
  let api: SockbenchBridge;
  beforeAll(async () => {
    await import('./preload.js');
    api = exposed.get('sockbench') as SockbenchBridge;
  });

  it('exposes only window.sockbench, with only call, onEvents and ack', () => {
    expect([...exposed.keys()]).toEqual(['sockbench']);
    expect(Object.keys(api).sort()).toEqual(['ack', 'call', 'onEvents']);
  });

  it('ack sends the batch number on the one acknowledgement channel', () => {
    api.ack(12);
    expect(send).toHaveBeenCalledWith(IPC_ACK, 12);
  });

  it('call invokes the one IPC channel with method and params', async () => {
    await expect(api.call('session.list', {})).resolves.toEqual({ ok: true, result: 'pong' });
    expect(invoke).toHaveBeenCalledWith(IPC_CALL, 'session.list', {});
  });

  it('event listeners get the events, never the IPC event (no sender reaches the page), and can unsubscribe', () => {
    const got: unknown[] = [];
    const off = api.onEvents((events, seq) => got.push([events, seq]));
    const ipcEvent = { sender: { send: () => undefined } };
    const batch = [{ name: 'session.removed', payload: { id: 1 } }];
    for (const fn of listeners.get(IPC_EVENTS)!) fn(ipcEvent, batch, 3);
    expect(got).toEqual([[batch, 3]]);
    off();
    expect(listeners.get(IPC_EVENTS)!.size).toBe(0);
  });
});
