// The one object the preload exposes to the renderer as `window.sockbench`
// (Electron's contextBridge), and the two IPC channels behind it.
import type { AnyEvent, Reply } from './index.js';

export const IPC_CALL = 'sockbench:call';
export const IPC_EVENTS = 'sockbench:events';

export interface SockbenchBridge {
  call(method: string, params: unknown): Promise<Reply>;
  /** Returns a function that unsubscribes. */
  onEvents(fn: (events: AnyEvent[]) => void): () => void;
}
