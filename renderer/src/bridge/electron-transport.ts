// Electron: the preload's contextBridge object carries calls over IPC.
// Structured clone keeps Uint8Array binary, so nothing is encoded here.
import type { BridgeStatus, BridgeTransport, SockbenchBridge } from './types.js';
import { localFailure } from './types.js';

export function createElectronTransport(api: SockbenchBridge): BridgeTransport {
  const open: BridgeStatus = { state: 'open' };
  return {
    kind: 'electron',
    async request(method, params) {
      try {
        return await api.call(method, params);
      } catch (e) {
        return localFailure(`the call ${method} did not reach the main process: ${e instanceof Error ? e.message : String(e)}`);
      }
    },
    onEvents: (fn) => api.onEvents(fn),
    status: () => open,
    onStatus: () => () => undefined,
  };
}
