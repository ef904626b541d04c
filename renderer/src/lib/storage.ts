// Web storage that may be unavailable (private windows, some sandboxes).
type Area = 'local' | 'session';

function area(which: Area): Storage | null {
  try {
    return which === 'local' ? localStorage : sessionStorage;
  } catch {
    return null;
  }
}

export function storageGet(which: Area, key: string): string | null {
  try {
    return area(which)?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

export function storageSet(which: Area, key: string, value: string | null): void {
  try {
    const s = area(which);
    if (value === null) s?.removeItem(key);
    else s?.setItem(key, value);
  } catch {
    /* the choice then lasts this page only */
  }
}
