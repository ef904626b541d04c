// Electron: the preload's contextBridge object carries calls over IPC.
// Structured clone keeps Uint8Array binary, so nothing is encoded here.
// Event batches are applied once per frame and acknowledged, as over the
// WebSocket (event-pump.ts), so main stops sending while the page is behind.
import type { AnyEvent } from '../../../shared/contract/index.js';
import { createEventPump, type Schedule } from './event-pump.js';
import type { BridgeStatus, BridgeTransport, SockbenchBridge } from './types.js';
import { localFailure } from './types.js';

export function createElectronTransport(api: SockbenchBridge, schedule?: Schedule): BridgeTransport {
  const open: BridgeStatus = { state: 'open' };
  const eventFns = new Set<(events: AnyEvent[]) => void>();
  const pump = createEventPump(
    (events) => {
      for (const fn of eventFns) fn(events);
    },
    (seq) => api.ack(seq),
    schedule,
  );
  api.onEvents((events, seq) => pump.push(events, seq));
  return {
    kind: 'electron',
    async request(method, params) {
      try {
        const reply = await api.call(method, params);
        pump.flush();
        return reply;
      } catch (e) {
        return localFailure(`the call ${method} did not reach the main process: ${e instanceof Error ? e.message : String(e)}`);
      }
    },
    onEvents(fn) {
      eventFns.add(fn);
      return () => eventFns.delete(fn);
    },
    status: () => open,
    onStatus: () => () => undefined,
  };
}
