// Atomic file writes: the new text goes to a hidden temporary file in the
// same folder, is flushed to disk (fsync), and is renamed over the old file,
// then the folder itself is flushed so the rename survives a power cut. A
// crash or kill -9 at any moment leaves the old file or the new one, never
// part of one; a temporary file left behind is hidden and swept on open.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const TMP = /^\..+\.\d+\.[0-9a-f]{8}\.tmp$/;

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms (Windows) cannot open a folder for fsync; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** `mode`: the new file's permissions (default: the old file's, else 0644); given, it is set from the first byte (a key stays 0600). */
export function writeFileAtomic(path: string, data: string | Uint8Array, fixedMode?: number): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let mode = fixedMode ?? 0o644;
  if (fixedMode === undefined) {
    try {
      mode = statSync(path).mode & 0o777;
    } catch {
      // A new file.
    }
  }
  const fd = openSync(tmp, 'wx', mode);
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (e) {
    unlinkSync(tmp);
    throw e;
  }
  fsyncDir(dir);
}

/** Removes a file and flushes its folder. */
export function removeFileDurably(path: string): void {
  unlinkSync(path);
  fsyncDir(dirname(path));
}

/** Deletes temporary files an interrupted write left in `dir` (older than a minute, so a write in progress elsewhere is spared). */
export function sweepTemporaries(dir: string, now = Date.now()): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!TMP.test(name)) continue;
    const p = join(dir, name);
    try {
      if (now - statSync(p).mtimeMs > 60_000) unlinkSync(p);
    } catch {
      // Gone already.
    }
  }
}
