// Real tools measured in the same run, so ratios survive a noisy machine.
import { execFile, spawn } from 'node:child_process';
import { hasTool } from '../support/peers.js';
import { freePort } from '../support/peers.js';
import { sleep } from './stats.js';

/** iperf3 single TCP stream on loopback for `seconds`; Gbit/s received, or null when iperf3 is missing. */
export async function iperf3(seconds: number): Promise<number | null> {
  if (!hasTool('iperf3')) return null;
  const port = await freePort();
  const server = spawn('iperf3', ['-s', '-1', '-p', String(port), '-B', '127.0.0.1'], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 50; i++) {
      await sleep(100);
      const json = await new Promise<string | null>((resolve) => {
        execFile('iperf3', ['-c', '127.0.0.1', '-p', String(port), '-t', String(seconds), '-J'], { timeout: (seconds + 15) * 1000 }, (err, out) =>
          resolve(err ? null : out),
        );
      });
      if (json) {
        const report = JSON.parse(json) as { end: { sum_received: { bits_per_second: number } } };
        return report.end.sum_received.bits_per_second / 1e9;
      }
    }
    throw new Error('iperf3 client could not reach its server');
  } finally {
    server.kill('SIGKILL');
  }
}
