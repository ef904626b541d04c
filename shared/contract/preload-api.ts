// The one object the preload exposes to the renderer as `window.sockbench`
// (Electron's contextBridge), and the two IPC channels behind it.
import type { AnyEvent, Reply } from './index.js';

export const IPC_CALL = 'sockbench:call';
export const IPC_EVENTS = 'sockbench:events';
export const IPC_ACK = 'sockbench:ack';

export interface SockbenchBridge {
  call(method: string, params: unknown): Promise<Reply>;
  /** Event batches, each with its sequence number; returns a function that unsubscribes. */
  onEvents(fn: (events: AnyEvent[], seq: number) => void): () => void;
  /** The page has applied every batch up to `seq`: main may send more (it stops while the page is behind). */
  ack(seq: number): void;
}
