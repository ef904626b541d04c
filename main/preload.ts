// Runs sandboxed before the page: exposes exactly three functions as
// `window.sockbench`. The page never sees ipcRenderer or an IPC event object.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_ACK, IPC_CALL, IPC_EVENTS, type SockbenchBridge } from '../shared/contract/preload-api.js';
import type { AnyEvent, Reply } from '../shared/contract/index.js';

const bridge: SockbenchBridge = {
  call: (method: string, params: unknown) => ipcRenderer.invoke(IPC_CALL, method, params) as Promise<Reply>,
  onEvents(fn: (events: AnyEvent[], seq: number) => void) {
    const listener = (_event: IpcRendererEvent, events: AnyEvent[], seq: number): void => fn(events, seq);
    ipcRenderer.on(IPC_EVENTS, listener);
    return () => {
      ipcRenderer.removeListener(IPC_EVENTS, listener);
    };
  },
  ack: (seq: number) => ipcRenderer.send(IPC_ACK, seq),
};

contextBridge.exposeInMainWorld('sockbench', bridge);
