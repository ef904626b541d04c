// `sockbench craft --send` (dist/cli.cjs, built by `npm test`) against real
// peers on loopback: a crafted TCP SYN to a listening socat gets its SYN-ACK
// printed under it; an ICMP echo with a forced bad checksum gets no reply,
// and the CLI says why that is expected; --json gives one object a line.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readPcapng } from '../support/pcapng-reader.js';
import { freePort, peerSuite, peersRequired, rawSuite } from '../support/peers.js';

const CLI = 'dist/cli.cjs';
const cliBuilt = existsSync(CLI) && readFileSync(CLI, 'utf8').includes('sockbench craft');

function craft(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, 'craft', ...args], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const socat = peerSuite('socat');
const raw = rawSuite('sockbench craft --send');

// Not built (or built before the crafter): skipped, except with SOCKBENCH_REQUIRE_PEERS=1, where the runs fail instead.
describe.skipIf((!cliBuilt && !peersRequired) || raw.skip || socat.skip)(raw.skip ? raw.title : `${raw.title} (${socat.title})`, () => {
  const procs: ChildProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'sockbench-craft-send-'));
  afterAll(() => {
    for (const p of procs) p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  async function listen(): Promise<number> {
    const port = await freePort();
    const p = spawn('socat', [`TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork`, 'SYSTEM:true'], { stdio: 'ignore' });
    procs.push(p);
    // Bounded: until the port accepts, at most 5 s.
    const net = await import('node:net');
    for (let i = 0; i < 100; i++) {
      const up = await new Promise<boolean>((r) => {
        const s = net.connect(port, '127.0.0.1', () => (s.destroy(), r(true)));
        s.once('error', () => r(false));
      });
      if (up) return port;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`socat did not listen on ${port}`);
  }

  it('a TCP SYN to a listening socat port: the SYN-ACK is printed decoded under it, and lands in --out', async () => {
    const port = await listen();
    const out = join(dir, 'syn.pcapng');
    const r = craft([`ipv4 dst=127.0.0.1 / tcp sport=43210 dport=${port} seq=1000 flags=S options=MSS:1460,SAckOK`, '--send', '--listen', '0.5', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    const reply = lines.findIndex((l) => /^reply from 127\.0\.0\.1 to packet 1 after \d+\.\d{3} ms \(\d+ bytes\)$/.test(l));
    expect(reply, r.stdout).toBeGreaterThan(0);
    expect(lines[reply - 1]).toBe('sent 1/1 (48 bytes)');
    expect(lines[reply + 2]).toMatch(new RegExp(`^ {4}tcp +sport=${port} dport=43210 seq=\\d+ ack=1001 dataofs=\\d+ reserved=0 flags=S,A `));
    expect(r.stdout).toMatch(/^--- 1 packet sent \(48 bytes each\), 0 errors, 1 reply ---$/m);
    const file = readPcapng(new Uint8Array(readFileSync(out)));
    if (!file.ok) throw new Error(file.error);
    expect(file.value.packets.map((p) => p.comments[0])).toEqual([expect.stringMatching(/^sockbench craft ipv4 dst=127\.0\.0\.1 \/ tcp /), 'reply from 127.0.0.1 to packet 1']);
  });

  it('an ICMP echo with a forced bad checksum gets no reply, and the CLI says that is expected', () => {
    const r = craft(['ipv4 dst=127.0.0.1 / icmp id=77 seq=1 chksum=0x1234 / payload "x"', '--send', '--listen', '0.3']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/chksum=0x1234 \(forced, bad\)/);
    expect(r.stdout).not.toMatch(/^reply from/m);
    expect(r.stdout).toMatch(/^--- 1 packet sent \(29 bytes each\), 0 errors, 0 replies ---$/m);
    expect(r.stdout).toMatch(/wrong ICMP checksum|checksum is wrong on purpose/);
  });

  it('--json: packet, sent, reply, done; the same echo with a good checksum is answered', () => {
    const r = craft(['icmp', 'id=78', 'seq=2', '/', 'payload', 'hex:4142', '--send', '--listen', '0.3', '--json', '--count', '2', '--interval', '0.01']);
    expect(r.status, r.stderr).toBe(0);
    const objs = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objs[0]).toMatchObject({ event: 'packet', line: 'icmp id=78 seq=2 / payload "AB"', length: 10 });
    expect(objs.filter((o) => o.event === 'sent')).toHaveLength(2);
    const replies = objs.filter((o) => o.event === 'reply');
    expect(replies.length).toBeGreaterThanOrEqual(1);
    expect(replies[0]).toMatchObject({ from: '127.0.0.1', layers: expect.arrayContaining([expect.objectContaining({ kind: 'icmp', fields: expect.objectContaining({ type: 0, id: 78, seq: 2 }) })]) });
    expect(objs.at(-1)).toMatchObject({ event: 'done', sent: 2, errors: 0 });
  });
});
