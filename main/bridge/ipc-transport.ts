// Electron transport: the renderer's calls arrive over one ipcMain handler,
// events leave in batches over one channel, and the page acknowledges the
// batches it applied over a third, so main stops sending (and only counts
// data) while the page is behind, as over the WebSocket. Electron is injected
// (only main/app imports it), so this runs and is tested under plain Node.
// Every call is checked to come from the window's own top frame showing the
// app's own page; anything else gets FORBIDDEN and never reaches the router.
import { IPC_ACK, IPC_CALL, IPC_EVENTS } from '../../shared/contract/preload-api.js';
import type { AnyEvent, Reply } from '../../shared/contract/index.js';
import { MAX_PAGE_DATA_PER_SECOND, MAX_PAGE_COST_PER_SECOND, MAX_UNACKED_BATCHES, MAX_UNACKED_BYTES } from './event-batcher.js';
import type { Router } from './router.js';

/** The parts of Electron's types this file uses (structurally compatible). */
export interface SenderFrame {
  url: string;
  parent: unknown;
}
export interface IpcCallEvent {
  sender: unknown;
  senderFrame: SenderFrame | null;
}
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcCallEvent, ...args: unknown[]) => Promise<Reply>): void;
  removeHandler(channel: string): void;
  on(channel: string, listener: (event: IpcCallEvent, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: IpcCallEvent, ...args: unknown[]) => void): unknown;
}
export interface WebContentsLike {
  readonly mainFrame: unknown;
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
  once(event: 'destroyed', listener: () => void): unknown;
}

export interface IpcTransportOptions {
  ipcMain: IpcMainLike;
  webContents: WebContentsLike;
  router: Router;
  /** True for the app's own pages (app://sockbench/…). */
  isTrustedUrl(url: string): boolean;
}

export function senderRefusal(event: IpcCallEvent, opts: Pick<IpcTransportOptions, 'webContents' | 'isTrustedUrl'>): string | null {
  const frame = event.senderFrame;
  if (event.sender !== opts.webContents) return 'the call came from another window';
  if (!frame) return 'the calling frame is gone';
  if (frame !== opts.webContents.mainFrame || frame.parent !== null) return 'the call came from a subframe';
  if (!opts.isTrustedUrl(frame.url)) return `the calling page ${JSON.stringify(frame.url.slice(0, 120))} is not the app`;
  return null;
}

export function attachIpcTransport(opts: IpcTransportOptions): () => void {
  const { ipcMain, webContents, router } = opts;
  ipcMain.handle(IPC_CALL, async (event, method, params) => {
    const refusal = senderRefusal(event, opts);
    if (refusal) return { ok: false, error: { code: 'FORBIDDEN', message: `refused: ${refusal}` } };
    return router.handle(method, params);
  });
  const events = router.subscribe(
    (batch: AnyEvent[], seq: number) => {
      if (!webContents.isDestroyed()) webContents.send(IPC_EVENTS, batch, seq);
    },
    { congested: () => webContents.isDestroyed(), maxUnacked: MAX_UNACKED_BATCHES, maxUnackedBytes: MAX_UNACKED_BYTES, maxCostBytesPerSecond: MAX_PAGE_COST_PER_SECOND, maxDataBytesPerSecond: MAX_PAGE_DATA_PER_SECOND },
  );
  const onAck = (event: IpcCallEvent, seq: unknown): void => {
    if (senderRefusal(event, opts) === null && typeof seq === 'number') events.ack(seq);
  };
  ipcMain.on(IPC_ACK, onAck);
  let detached = false;
  const detach = (): void => {
    if (detached) return;
    detached = true;
    events.close();
    ipcMain.removeHandler(IPC_CALL);
    ipcMain.removeListener(IPC_ACK, onAck);
  };
  webContents.once('destroyed', detach);
  return detach;
}
