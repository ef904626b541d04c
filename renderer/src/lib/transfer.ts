// Moving a whole file through a session, in chunks, with progress and a way
// to stop: sending a file (each chunk with sendall, so nothing is lost to a
// partial write) and reading back a capture of received bytes to save it.
export const CHUNK = 256 * 1024;

export interface Progress {
  done: number;
  total: number;
}

/** Calls `step(offset, length)` over [0, total) in CHUNK pieces until done or cancelled. */
export async function inChunks(
  total: number,
  step: (offset: number, length: number) => Promise<void>,
  progress: (p: Progress) => void,
  cancelled: () => boolean,
): Promise<'done' | 'cancelled'> {
  for (let offset = 0; offset < total; offset += CHUNK) {
    if (cancelled()) return 'cancelled';
    const length = Math.min(CHUNK, total - offset);
    await step(offset, length);
    progress({ done: offset + length, total });
  }
  return 'done';
}

/** Offers bytes as a download (browser mode and Electron alike). */
export function download(parts: readonly Uint8Array[], name: string): void {
  // The bytes came from the bridge, each in a buffer of its own (never shared memory).
  const url = URL.createObjectURL(new Blob(parts as unknown as BlobPart[], { type: 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
