// Whether the bridge is up, for the header light and the disconnected banner.
import { defineStore } from 'pinia';
import { shallowRef } from 'vue';
import type { BridgeStatus } from '../bridge/types.js';

export const useConnection = defineStore('connection', () => {
  const status = shallowRef<BridgeStatus>({ state: 'connecting' });
  const kind = shallowRef<'electron' | 'websocket'>('websocket');
  /** Set when session.list fails, shown in the banner. */
  const loadError = shallowRef<string | null>(null);
  return { status, kind, loadError };
});
