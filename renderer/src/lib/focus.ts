// Moving the keyboard focus to the next thing a person does (after Create,
// to connect or bind; after connect, to the composer), and the shortcuts'
// targets. Targets are found by their test ids, once Vue has drawn them; a
// card in a closed group opens its group first.
import { nextTick } from 'vue';
import { layout, type ActionGroup } from './layout.js';

/** Where each focus target lives among the call groups (others are outside them). */
const GROUP_OF: Readonly<Record<string, ActionGroup>> = {
  'bind-port': 'lifecycle', 'bind-address': 'lifecycle', 'connect-port': 'lifecycle', 'connect-address': 'lifecycle',
  'listen-backlog': 'lifecycle', 'accept-submit': 'lifecycle', 'close-submit': 'lifecycle',
  'recv-bufsize': 'data', 'recv-submit': 'data',
};

const find = (testid: string): HTMLElement | null => document.querySelector<HTMLElement>(`[data-testid="${testid}"]`);

/** Focuses the first of `testids` that is on the page; true if one was. Text fields get their text selected. */
export async function focusFirst(...testids: string[]): Promise<boolean> {
  for (const id of testids) {
    const g = GROUP_OF[id];
    if (g && find(id)) layout.groups[g] = true;
  }
  await nextTick();
  for (const id of testids) {
    const el = find(id);
    if (!el || (el as HTMLButtonElement).disabled) continue;
    el.focus();
    if (el instanceof HTMLInputElement) el.select();
    return document.activeElement === el;
  }
  return false;
}

/** Whether a key press belongs to a field the person is typing in (shortcuts leave those alone). */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
}
