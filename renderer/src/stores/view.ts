// Which view the window shows: the socket workbench, one of the probes, the packet crafter or the scenarios.
// Kept per tab (sessionStorage), so a reload comes back to the same view.
import { defineStore } from 'pinia';
import { ref, watch } from 'vue';
import { storageGet, storageSet } from '../lib/storage.js';

export const VIEWS = ['sockets', 'ping', 'traceroute', 'craft', 'raw', 'scenarios'] as const;
export type View = (typeof VIEWS)[number];

const VIEW_KEY = 'sockbench.view';

export const useView = defineStore('view', () => {
  const saved = storageGet('session', VIEW_KEY);
  const current = ref<View>((VIEWS as readonly string[]).includes(saved ?? '') ? (saved as View) : 'sockets');
  watch(current, (v) => storageSet('session', VIEW_KEY, v));
  return { current };
});
