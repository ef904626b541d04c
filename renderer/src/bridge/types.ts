// What the renderer needs from a transport beyond the contract's Transport:
// which kind it is and whether it is connected (for the header and banner).
import type { Transport } from '../../../shared/contract/bridge-client.js';
import type { Reply } from '../../../shared/contract/index.js';

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

/** What the preload exposes as `window.sockbench`. */
export type { SockbenchBridge } from '../../../shared/contract/preload-api.js';

/** A failed Reply the transport produces itself (no server involved). */
export function localFailure(message: string): Reply {
  return { ok: false, error: { code: 'INTERNAL', message } };
}
