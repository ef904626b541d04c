// What the renderer needs from a transport beyond the contract's Transport:
// which kind it is and whether it is connected (for the header and banner).
import type { Transport } from '../../../shared/contract/client.js';
import type { AnyEvent, Reply } from '../../../shared/contract/index.js';

export type BridgeStatus =
  | { state: 'connecting' }
  | { state: 'open' }
  /** `refused`: never opened (server gone, wrong or expired token); `lost`: was open, then closed. */
  | { state: 'closed'; why: 'refused' | 'lost'; detail: string }
  /** Browser mode opened without #token=… in the URL. */
  | { state: 'no-token' };

export interface BridgeTransport extends Transport {
  readonly kind: 'electron' | 'websocket';
  status(): BridgeStatus;
  onStatus(fn: (status: BridgeStatus) => void): () => void;
}

/**
 * What the preload exposes as `window.sockbench` (contextBridge). Declared
 * here until shared/contract/preload-api.ts (SockbenchBridge) lands; the two
 * must stay the same shape.
 */
export interface SockbenchBridge {
  call(method: string, params: unknown): Promise<Reply>;
  onEvents(fn: (events: AnyEvent[]) => void): () => void;
}

/** A failed Reply the transport produces itself (no server involved). */
export function localFailure(message: string): Reply {
  return { ok: false, error: { code: 'INTERNAL', message } };
}
