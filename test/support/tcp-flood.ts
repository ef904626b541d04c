// A real TCP peer that floods: a plain Node `net` client writing `bytes` zeros
// to 127.0.0.1:port as fast as the kernel takes them, then closing.
import net from 'node:net';

/** Resolves with the bytes written once they are all handed to the kernel and the write side is closed. */
export function tcpFloodTo(port: number, bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(1 << 20);
    const sock = net.connect(port, '127.0.0.1');
    let left = bytes;
    const write = (): void => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!sock.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
          sock.once('drain', write);
          return;
        }
      }
      sock.end(() => resolve(bytes));
    };
    sock.once('connect', write);
    sock.once('error', reject);
  });
}
