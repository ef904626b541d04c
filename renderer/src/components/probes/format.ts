// How probe numbers read: RTTs in ms with µs (0.045 ms, like ping), loss
// in % as ping prints it, histogram bounds in µs / ms / s.

/** µs → "0.045" (ms with three decimals: the µs stay visible). */
export function ms(us: number | null | undefined): string {
  return us === null || us === undefined ? '—' : (us / 1000).toFixed(3);
}

/** 0 → "0", 33.33333 → "33.3333" (as ping's %g). */
export function pct(p: number): string {
  return String(Number(p.toPrecision(6)));
}

/** A histogram bound: 50 µs, 1.2 ms, 2 s. */
export function bound(us: number): string {
  if (!Number.isFinite(us)) return '∞';
  if (us < 1000) return `${Number(us.toPrecision(3))} µs`;
  if (us < 1e6) return `${Number((us / 1000).toPrecision(3))} ms`;
  return `${Number((us / 1e6).toPrecision(3))} s`;
}
