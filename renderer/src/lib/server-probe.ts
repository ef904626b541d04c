// A browser-mode page whose bridge closed asks its own server (same origin,
// so the CSP's connect-src 'self' allows it) whether it answers at all: then
// the page can tell "the server is gone" (start it again; serve keeps this
// URL) from "the server is up but refused this token" (open its new URL).

/** true when the page's server answers a plain GET of / (not cached). */
export async function serverAnswers(fetchFn: typeof fetch = fetch): Promise<boolean> {
  try {
    const r = await fetchFn('/', { cache: 'no-store' });
    return r.ok;
  } catch {
    return false;
  }
}

/**
 * Polls the server while the bridge is closed: `onBack` once it answers again
 * after having been seen down (or, for a connection lost while the server
 * stayed up, e.g. a quick restart, once it answered twice in a row). Returns stop().
 */
export function watchServer(
  why: 'refused' | 'lost',
  on: { down: () => void; up: () => void; back: () => void },
  opts: { everyMs?: number; probe?: () => Promise<boolean> } = {},
): () => void {
  const probe = opts.probe ?? (() => serverAnswers());
  let stopped = false;
  let sawDown = false;
  let upsInARow = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = async (): Promise<void> => {
    const up = await probe();
    if (stopped) return;
    upsInARow = up ? upsInARow + 1 : 0;
    if (!up) {
      sawDown = true;
      on.down();
    } else if (why === 'lost' && !sawDown && upsInARow < 2) {
      // A server shutting down closes the bridge before its HTTP listener: answering once is
      // not yet "back" (reloading then would land on a dead port). Ask again.
    } else if (sawDown || why === 'lost') {
      stopped = true;
      on.back();
      return;
    } else {
      // Up, and it refused this page from the start: the token is not its token. Nothing to wait for.
      stopped = true;
      on.up();
      return;
    }
    timer = setTimeout(() => void tick(), opts.everyMs ?? 2000);
  };
  void tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
