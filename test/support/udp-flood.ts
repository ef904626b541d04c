// A UDP flood from another process (udp-paced-sender.py under python3):
// `count` datagrams of `size` bytes to 127.0.0.1:port at `rate` per second.
// And the kernel's count of datagrams a socket dropped, to tell a session's
// exact counters from what never reached it.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface UdpFlood {
  /** What the sender reports when it has sent them all, or was ended. */
  done: Promise<{ sent: number; seconds: number; errors: number }>;
  running(): boolean;
  /** Ends the flood early; `done` still tells how many were sent. */
  end(): void;
  /** Kills the sender (cleanup). */
  stop(): void;
}

export function startUdpFlood(o: { port: number; rate: number; count: number; size: number }): UdpFlood {
  const proc = spawn('python3', ['test/support/udp-paced-sender.py', '127.0.0.1', String(o.port), String(o.rate), String(o.count), String(o.size)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += String(d)));
  const done = new Promise<{ sent: number; seconds: number; errors: number }>((resolve, reject) =>
    proc.once('exit', (code, signal) =>
      code === 0 ? resolve(JSON.parse(out) as { sent: number; seconds: number; errors: number }) : reject(new Error(`the UDP sender ended with ${signal ?? `exit ${code}`}`)),
    ),
  );
  done.catch(() => undefined); // judged by whoever awaits it
  return { done, running: () => proc.exitCode === null && proc.signalCode === null, end: () => proc.kill('SIGTERM'), stop: () => proc.kill('SIGKILL') };
}

/** The drops counter of the UDP socket bound to `port` (/proc/net/udp): datagrams the kernel dropped for a full receive buffer; null off Linux. */
export function procUdpDrops(port: number): number | null {
  return procUdpRow(port)?.drops ?? null;
}

/** The UDP socket bound to `port` as /proc/net/udp shows it: its drop count and the bytes waiting in its receive queue; null off Linux or when there is none. */
export function procUdpRow(port: number): { drops: number; queuedBytes: number } | null {
  try {
    for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 13) continue;
      if (parseInt(f[1]!.split(':')[1]!, 16) === port) return { drops: Number(f[f.length - 1]), queuedBytes: parseInt(f[4]!.split(':')[1]!, 16) };
    }
  } catch {
    /* not Linux */
  }
  return null;
}
