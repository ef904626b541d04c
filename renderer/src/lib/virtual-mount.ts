// Mounting a @tanstack/vue-virtual list without forcing a layout. As a list
// mounts, the library reads the scroll element's clientWidth/clientHeight and
// scrolls it to its initial offset; both force a layout of the whole page in
// the middle of building it (a session view holds two virtual lists, so a
// click in the session list paid for it several times over). Here the size
// comes from a ResizeObserver, whose first report follows the browser's own
// layout in the same frame, before paint (the scroll panes have no padding,
// so their content box is their client area), and the mount-time scroll to 0
// of a new element, which is at 0 already, is skipped.
import { elementScroll, type Virtualizer } from '@tanstack/vue-virtual';

export function observeRectAfterLayout(
  instance: Virtualizer<HTMLElement, Element>,
  cb: (rect: { width: number; height: number }) => void,
): (() => void) | undefined {
  const el = instance.scrollElement;
  if (!el || typeof ResizeObserver === 'undefined') return undefined;
  const observer = new ResizeObserver((entries) => {
    const r = entries[entries.length - 1]!.contentRect;
    cb({ width: Math.round(r.width), height: Math.round(r.height) });
  });
  observer.observe(el);
  return () => observer.disconnect();
}

const started = new WeakSet<object>();

export function scrollAfterMount(
  offset: number,
  options: { adjustments?: number; behavior?: ScrollBehavior },
  instance: Virtualizer<HTMLElement, Element>,
): void {
  const first = !started.has(instance);
  started.add(instance);
  if (first && offset + (options.adjustments ?? 0) === 0) return;
  elementScroll(offset, options, instance);
}
