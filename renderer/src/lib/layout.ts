// The Sockets view's layout, remembered in localStorage: the splitters'
// sizes, which groups of socket calls are open, and how the conversation
// view shows the data. Read from storage field by field (it may hold
// anything), clamped to what makes sense.
import { reactive, watch } from 'vue';
import type { ConvMode, ConvShow } from './conversation.js';
import { storageGet, storageSet } from './storage.js';

export const ACTION_GROUPS = ['lifecycle', 'data', 'options'] as const;
export type ActionGroup = (typeof ACTION_GROUPS)[number];

export interface Layout {
  /** Height of the data panes (log, conversation, trace) in px; null: the default share of the window. */
  panesPx: number | null;
  /** The log's share of the panes' height (the trace has the rest). */
  logShare: number;
  /** The rows' share of the log's width (the conversation has the rest). */
  rowsShare: number;
  convOpen: boolean;
  convMode: ConvMode;
  convShow: ConvShow;
  groups: Record<ActionGroup, boolean>;
}

const KEY = 'sockbench.layout';
const DEFAULTS: Layout = {
  panesPx: null, logShare: 0.66, rowsShare: 0.42, convOpen: true, convMode: 'text', convShow: 'both',
  groups: { lifecycle: true, data: false, options: false },
};

const share = (v: unknown, d: number): number => (typeof v === 'number' && v >= 0.1 && v <= 0.9 ? v : d);

function load(): Layout {
  let v: Record<string, unknown> = {};
  try {
    v = JSON.parse(storageGet('local', KEY) ?? '{}') as Record<string, unknown>;
  } catch {
    /* defaults */
  }
  const groups = { ...DEFAULTS.groups };
  const g = v.groups as Record<string, unknown> | undefined;
  for (const name of ACTION_GROUPS) if (typeof g?.[name] === 'boolean') groups[name] = g[name];
  return {
    panesPx: typeof v.panesPx === 'number' && v.panesPx >= 120 && v.panesPx <= 4000 ? v.panesPx : null,
    logShare: share(v.logShare, DEFAULTS.logShare),
    rowsShare: share(v.rowsShare, DEFAULTS.rowsShare),
    convOpen: typeof v.convOpen === 'boolean' ? v.convOpen : DEFAULTS.convOpen,
    convMode: v.convMode === 'hex' ? 'hex' : 'text',
    convShow: v.convShow === 'in' || v.convShow === 'out' ? v.convShow : 'both',
    groups,
  };
}

export const layout = reactive(load());
watch(layout, (l) => storageSet('local', KEY, JSON.stringify(l)), { deep: true });

export const clampShare = (v: number): number => Math.min(0.9, Math.max(0.1, v));
