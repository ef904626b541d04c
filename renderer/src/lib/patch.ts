// Brings a reactive object in line with a newer copy by changing only what
// differs, so a session.updated that moved a counter triggers what reads that
// counter, not every form, summary and list that reads the session.

type Obj = Record<string, unknown>;

const isPlainObject = (v: unknown): v is Obj =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);

/** Deep equality for JSON-like values (the contract's payloads). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && sameValue(a[k], b[k]));
  }
  return false;
}

/** Makes `target` equal to `next` in place: changed keys assigned, gone keys deleted, nested objects patched the same way. */
export function patchInPlace(target: Obj, next: Obj): void {
  for (const key of Object.keys(target)) if (!(key in next)) delete target[key];
  for (const key of Object.keys(next)) {
    const cur = target[key];
    const value = next[key];
    if (cur === value) continue;
    if (isPlainObject(cur) && isPlainObject(value)) patchInPlace(cur, value);
    else if (!sameValue(cur, value)) target[key] = value;
  }
}
