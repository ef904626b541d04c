// Engine times are monotonic µs since engine start (tUs); session.list gives
// the wall-clock time of tUs = 0 (epochMs). Shown as 20:31:05.123456.

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Local wall-clock time with microseconds, or +s.µs since engine start when the epoch is unknown. */
export function formatWallTime(epochMs: number | null, tUs: number): string {
  if (epochMs === null) return `+${(tUs / 1e6).toFixed(6)}`;
  const totalUs = Math.round(epochMs * 1000) + Math.round(tUs);
  const secs = Math.floor(totalUs / 1e6);
  const us = totalUs - secs * 1e6;
  const d = new Date(secs * 1000);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(us, 6)}`;
}

/** A duration in µs as people read it: 850 µs, 12.3 ms, 2.50 s. */
export function formatDuration(us: number): string {
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1e6) return `${(us / 1000).toFixed(us < 1e4 ? 2 : 1)} ms`;
  return `${(us / 1e6).toFixed(2)} s`;
}

/** 512 B, 1.5 KiB, 3.2 MiB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
