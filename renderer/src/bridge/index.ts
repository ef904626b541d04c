// Picks the transport: Electron's preload bridge when the page runs inside
// the app, the WebSocket of browser mode otherwise.
import { createElectronTransport } from './electron-transport.js';
import type { BridgeTransport, SockbenchBridge } from './types.js';
import { createWsTransport } from './ws-transport.js';

export type { BridgeStatus, BridgeTransport, SockbenchBridge } from './types.js';

export function createTransport(): BridgeTransport {
  const api = (window as unknown as { sockbench?: SockbenchBridge }).sockbench;
  return api ? createElectronTransport(api) : createWsTransport();
}
