import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { IPC_ACK, IPC_CALL, IPC_EVENTS } from '../../shared/contract/preload-api.js';
import type { AnyEvent, Reply, SessionInfo } from '../../shared/contract/index.js';
import { until } from '../../test/support/engine-harness.js';
import { tcpFloodTo } from '../../test/support/tcp-flood.js';
import { Workbench } from '../workbench.js';
import { MAX_UNACKED_BATCHES } from './event-batcher.js';
import { attachIpcTransport, type IpcCallEvent, type IpcMainLike } from './ipc-transport.js';
import { createRouter } from './router.js';

type Handler = (event: IpcCallEvent, ...args: unknown[]) => Promise<Reply>;
type Listener = (event: IpcCallEvent, ...args: unknown[]) => void;

class FakeIpcMain implements IpcMainLike {
  handlers = new Map<string, Handler>();
  listeners = new Map<string, Set<Listener>>();
  handle(channel: string, listener: Handler): void {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  on(channel: string, listener: Listener): void {
    if (!this.listeners.has(channel)) this.listeners.set(channel, new Set());
    this.listeners.get(channel)!.add(listener);
  }
  removeListener(channel: string, listener: Listener): void {
    this.listeners.get(channel)?.delete(listener);
  }
  invoke(event: IpcCallEvent, ...args: unknown[]): Promise<Reply> {
    const h = this.handlers.get(IPC_CALL);
    if (!h) throw new Error('no handler');
    return h(event, ...args);
  }
  /** What ipcRenderer.send(channel, ...args) from the page does. */
  emit(channel: string, event: IpcCallEvent, ...args: unknown[]): void {
    for (const fn of this.listeners.get(channel) ?? []) fn(event, ...args);
  }
}

class FakeWebContents extends EventEmitter {
  mainFrame = { url: 'app://sockbench/index.html', parent: null };
  sent: { channel: string; args: unknown[] }[] = [];
  destroyed = false;
  send(channel: string, ...args: unknown[]): void {
    this.sent.push({ channel, args });
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
}

const trusted = (url: string): boolean => url.startsWith('app://sockbench/');

describe('Electron IPC transport', () => {
  const engines: Workbench[] = [];
  afterEach(async () => {
    for (const e of engines.splice(0)) await e.close();
  });

  function setup() {
    const engine = new Workbench();
    engines.push(engine);
    const ipcMain = new FakeIpcMain();
    const webContents = new FakeWebContents();
    const detach = attachIpcTransport({ ipcMain, webContents, router: createRouter(engine), isTrustedUrl: trusted });
    const fromApp: IpcCallEvent = { sender: webContents, senderFrame: webContents.mainFrame };
    return { engine, ipcMain, webContents, detach, fromApp };
  }

  it('carries a call from the app window to the router and back', async () => {
    const { ipcMain, fromApp } = setup();
    const reply = await ipcMain.invoke(fromApp, 'socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
    expect(reply.ok).toBe(true);
    const list = await ipcMain.invoke(fromApp, 'session.list', {});
    expect(list.ok && (list.result as { sessions: unknown[] }).sessions).toHaveLength(1);
  });

  it('refuses calls from a subframe, another window, a foreign page or a vanished frame, before the router sees them', async () => {
    const { ipcMain, webContents, engine } = setup();
    const cases: [string, IpcCallEvent][] = [
      ['subframe', { sender: webContents, senderFrame: { url: 'app://sockbench/index.html', parent: webContents.mainFrame } }],
      ['another window', { sender: new FakeWebContents(), senderFrame: webContents.mainFrame }],
      ['not the app', { sender: webContents, senderFrame: webContents.mainFrame }],
      ['gone', { sender: webContents, senderFrame: null }],
    ];
    webContents.mainFrame.url = 'app://sockbench/index.html';
    for (const [name, event] of cases) {
      if (name === 'not the app') webContents.mainFrame.url = 'https://evil.example/';
      const reply = await ipcMain.invoke(event, 'socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
      expect(reply, name).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    }
    expect((await engine.handlers()['session.list']({})).sessions, 'no socket was created').toHaveLength(0);
  });

  it('passes malformed params and unknown methods to the router, which names the problem', async () => {
    const { ipcMain, fromApp } = setup();
    const bad = await ipcMain.invoke(fromApp, 'socket.create', { family: 'AF_NOPE', type: 'SOCK_STREAM' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', field: 'family' } });
    const unknown = await ipcMain.invoke(fromApp, 'socket.explode', {});
    expect(unknown).toMatchObject({ ok: false, error: { code: 'UNKNOWN_METHOD' } });
  });

  it('sends engine events to the window in batches', async () => {
    const { ipcMain, webContents, fromApp } = setup();
    await ipcMain.invoke(fromApp, 'socket.create', { family: 'AF_INET6', type: 'SOCK_DGRAM' });
    await expect.poll(() => webContents.sent.length).toBeGreaterThan(0);
    const { channel, args } = webContents.sent[0]!;
    expect(channel).toBe(IPC_EVENTS);
    const names = (args[0] as AnyEvent[]).map((e) => e.name);
    expect(names).toContain('session.created');
  });

  it('detaches when the window is destroyed: handler removed, no more events', async () => {
    const { ipcMain, webContents } = setup();
    webContents.destroyed = true;
    webContents.emit('destroyed');
    expect(ipcMain.handlers.has(IPC_CALL)).toBe(false);
    expect(ipcMain.listeners.get(IPC_ACK)?.size ?? 0).toBe(0);
  });

  it('stops sending to a page that does not acknowledge, keeps counting, and gives exact counters once it does', { timeout: 60_000 }, async () => {
    const { ipcMain, webContents, fromApp } = setup();
    const ok = async <T>(method: string, params: unknown): Promise<T> => {
      const r = await ipcMain.invoke(fromApp, method, params);
      if (!r.ok) throw new Error(r.error.message);
      return r.result as T;
    };
    const listener = await ok<SessionInfo>('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
    const bound = await ok<SessionInfo>('socket.bind', { id: listener.id, address: '127.0.0.1', port: 0 });
    await ok('socket.listen', { id: listener.id, backlog: 1 });

    // A page that never reads: it acknowledges nothing while 256 MiB arrive.
    const TOTAL = 256 * 1024 * 1024;
    const heapBefore = process.memoryUsage().heapUsed;
    let heapPeak = heapBefore;
    const sampler = setInterval(() => (heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)), 20);
    const batches = () => webContents.sent.filter((m) => m.channel === IPC_EVENTS).map((m) => ({ events: m.args[0] as AnyEvent[], seq: m.args[1] as number }));
    const accepted = async () => (await ok<{ sessions: SessionInfo[] }>('session.list', {})).sessions.find((x) => x.parent === listener.id);
    try {
      expect(await tcpFloodTo(bound.local!.port, TOTAL)).toBe(TOTAL);
      let acc: SessionInfo | undefined;
      for (let i = 0; i < 3000 && !((acc = await accepted()) && acc.state !== 'connected'); i++) await new Promise((r) => setTimeout(r, 10));
      expect(acc!.counters.bytesIn, 'main counted every byte').toBe(TOTAL);
    } finally {
      clearInterval(sampler);
    }
    const dataBytes = (events: AnyEvent[]) => events.reduce((n, e) => n + (e.name === 'session.data' ? e.payload.bytes.byteLength : 0), 0);
    const sentWhileBehind = batches();
    expect(sentWhileBehind.length, 'main stopped after the batches the page may hold').toBeLessThanOrEqual(MAX_UNACKED_BATCHES);
    expect(dataBytes(sentWhileBehind.flatMap((b) => b.events)), 'bytes handed to a page that does not read').toBeLessThanOrEqual(MAX_UNACKED_BATCHES * 1024 * 1024);
    expect(heapPeak - heapBefore, 'main’s heap stayed bounded').toBeLessThan(64 * 1024 * 1024);

    // The page catches up: each acknowledgement lets main send what it held.
    const lastUpdate = () => batches().flatMap((b) => b.events).filter((e) => e.name === 'session.updated' && e.payload.parent === listener.id).pop();
    await until(() => {
      const all = batches();
      ipcMain.emit(IPC_ACK, fromApp, all[all.length - 1]!.seq);
      const u = lastUpdate();
      return u?.name === 'session.updated' && u.payload.state !== 'connected';
    }, 'the held counters after the page acknowledged', 10_000);
    const all = batches().flatMap((b) => b.events);
    const u = lastUpdate()!;
    const accId = u.name === 'session.updated' ? u.payload.id : -1;
    expect(u.name === 'session.updated' && u.payload.counters.bytesIn, 'the counters the page gets are exact').toBe(TOTAL);
    const shown = all.reduce((n, e) => n + (e.name === 'session.data' && e.payload.id === accId ? e.payload.bytes.byteLength : 0), 0);
    const skipped = all.reduce((n, e) => n + (e.name === 'session.dropped' && e.payload.id === accId ? e.payload.bytes : 0), 0);
    expect(shown + skipped, 'every byte either sent to the page or counted as skipped').toBe(TOTAL);
    expect(skipped).toBeGreaterThan(0);
  });

  it('takes acknowledgements only from the app’s own frame', async () => {
    const { ipcMain, webContents, fromApp } = setup();
    for (let n = 1; n <= MAX_UNACKED_BATCHES; n++) {
      await ipcMain.invoke(fromApp, 'socket.create', { family: 'AF_INET', type: 'SOCK_DGRAM' });
      await until(() => webContents.sent.length >= n, `batch ${n}`);
    }
    await ipcMain.invoke(fromApp, 'socket.create', { family: 'AF_INET', type: 'SOCK_DGRAM' });
    await new Promise((r) => setTimeout(r, 50));
    expect(webContents.sent).toHaveLength(MAX_UNACKED_BATCHES); // the third waits
    const seq = webContents.sent.at(-1)!.args[1] as number;
    ipcMain.emit(IPC_ACK, { sender: new FakeWebContents(), senderFrame: webContents.mainFrame }, seq);
    ipcMain.emit(IPC_ACK, { sender: webContents, senderFrame: { url: 'app://sockbench/index.html', parent: webContents.mainFrame } }, seq);
    await new Promise((r) => setTimeout(r, 50));
    expect(webContents.sent, 'acks from another window or a subframe change nothing').toHaveLength(MAX_UNACKED_BATCHES);
    ipcMain.emit(IPC_ACK, fromApp, seq);
    await until(() => webContents.sent.length > MAX_UNACKED_BATCHES, 'the held batch');
    const names = (webContents.sent.at(-1)!.args[0] as AnyEvent[]).map((e) => e.name);
    expect(names).toContain('session.created');
  });
});
