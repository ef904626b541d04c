// Nothing lost silently, through the `sockbench` command (dist/cli.cjs, built
// by `npm test`) where it has the feature: a UDP listener's last word says
// what it received and what the kernel dropped, and the two add up to what
// was sent; a ping whose sends fail exits 2 saying why (a broadcast address:
// SO_BROADCAST, not privileges).
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { rawSuite } from '../support/peers.js';

const CLI = 'dist/cli.cjs';

describe('sockbench listen udp', () => {
  it('ends saying what it received and what the kernel dropped: together, every datagram sent', { timeout: 60_000 }, async () => {
    const proc = spawn(process.execPath, [CLI, 'listen', 'udp', '127.0.0.1:0', '--timeout', '3', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += String(d)));
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    const lines = () => out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    await expect.poll(() => lines().find((l) => typeof l.port === 'number'), { timeout: 10_000 }).toBeTruthy();
    const port = lines().find((l) => typeof l.port === 'number')!.port as number;
    const sent = 20_000;
    const tx = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      let done = 0;
      for (let i = 0; i < sent; i++) tx.send(Buffer.alloc(64, i & 0xff), port, '127.0.0.1', (e) => (e ? reject(e) : ++done === sent && resolve()));
    });
    tx.close();
    expect(await exited).toBe(0);
    const last = lines().filter((l) => l.event === 'status').at(-1)!;
    expect(last.message).toMatch(/^received \d+ datagrams; the kernel dropped/);
    expect((last.received as number) + (last.kernelDropped as number)).toBe(sent);
    expect(lines().filter((l) => l.event === 'data' && l.dir === 'in')).toHaveLength(last.received as number);
  });
});

const raw = rawSuite('sockbench ping whose sends fail');
describe.skipIf(raw.skip)(raw.title, () => {
  it('ping to a broadcast address exits 2, blaming SO_BROADCAST, not privileges', () => {
    const r = spawnSync(process.execPath, [CLI, 'ping', '-c', '2', '-i', '0.2', '127.255.255.255'], { timeout: 30_000, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^sockbench: ping: 2 of 2 echo requests could not be sent \(first: EACCES: .*SO_BROADCAST/);
    expect(r.stdout + r.stderr).not.toMatch(/need CAP_NET_RAW or root/);
  });
});
