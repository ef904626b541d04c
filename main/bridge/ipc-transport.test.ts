import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { IPC_CALL, IPC_EVENTS } from '../../shared/contract/preload-api.js';
import type { AnyEvent, Reply } from '../../shared/contract/index.js';
import { Workbench } from '../workbench.js';
import { attachIpcTransport, type IpcCallEvent, type IpcMainLike } from './ipc-transport.js';
import { createRouter } from './router.js';

type Handler = (event: IpcCallEvent, ...args: unknown[]) => Promise<Reply>;

class FakeIpcMain implements IpcMainLike {
  handlers = new Map<string, Handler>();
  handle(channel: string, listener: Handler): void {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  invoke(event: IpcCallEvent, ...args: unknown[]): Promise<Reply> {
    const h = this.handlers.get(IPC_CALL);
    if (!h) throw new Error('no handler');
    return h(event, ...args);
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
  });
});
