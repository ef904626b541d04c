// What we put on the wire, as tshark dissects it: our ICMP and ICMPv6 echo
// requests to loopback (sent by Ping through the real raw-socket helper)
// carry a good checksum and the sequence numbers 1 … N; traceroute's UDP
// probes over IPv6 carry a good checksum over the pseudo-header (over IPv4
// they carry none, which RFC 768 allows). Captures are filtered on our
// identifier / source port, so other tests' ICMP on lo does not interfere.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawHelper } from '../../main/raw/raw-helper.js';
import { Ping } from '../../main/raw/ping.js';
import { rawPrivilege } from '../../main/raw/privilege.js';
import type { ProbeTransport } from '../../main/raw/probe-transport.js';
import { startSourceHelper } from '../../main/raw/testkit.js';
import { Traceroute } from '../../main/raw/traceroute.js';
import { peerSuite, peersRequired } from '../support/peers.js';

const tshark = peerSuite('tshark');
const privileged = rawPrivilege().privileged;
const skip = tshark.skip || (!privileged && !peersRequired);
const title = `${tshark.title}: our probes on the wire${!tshark.skip && !privileged ? ' (skipped: no CAP_NET_RAW / not root)' : ''}`;

/**
 * Starts tshark on lo for at most `count` packets matching the capture
 * filter (or 8 s), printing `fields`; resolves once it is capturing, with a
 * promise of its lines (wrapped: an async function returning a promise would wait for it).
 */
async function capture(count: number, filter: string, fields: string[], prefs: string[] = []): Promise<{ lines: Promise<string[][]> }> {
  const args = ['-i', 'lo', '-c', String(count), '-a', 'duration:8', '-f', filter, '-l', '-n', ...prefs.flatMap((p) => ['-o', p]), '-T', 'fields', ...fields.flatMap((f) => ['-e', f])];
  const proc = spawn('tshark', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => (out += String(d)));
  const exited = new Promise<string[][]>((resolve, reject) => {
    const kill = setTimeout(() => proc.kill('SIGKILL'), 15_000);
    proc.once('exit', (code) => {
      clearTimeout(kill);
      if (code !== 0) reject(new Error(`tshark exited ${code}: ${err.slice(-500)}`));
      else resolve(out.trim().split('\n').filter(Boolean).map((l) => l.split('\t')));
    });
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tshark did not start capturing within 10 s: ${err.slice(-500)}`)), 10_000);
    let fallback: ReturnType<typeof setTimeout> | undefined;
    const ready = (ms: number): void => {
      clearTimeout(timer);
      clearTimeout(fallback);
      setTimeout(resolve, ms);
    };
    proc.stderr.on('data', (d: Buffer) => {
      err += String(d);
      // "Capturing on 'lo'" comes as dumpcap opens the device; "Capture started" once packets are being taken.
      if (/Capture started/.test(err)) ready(100);
      else if (!fallback && /Capturing on/.test(err)) fallback = setTimeout(() => ready(0), 3000);
    });
    exited.catch(reject);
  });
  return { lines: exited };
}

describe.skipIf(skip)(title, () => {
  let helper: RawHelper;
  let transport: ProbeTransport;

  beforeAll(() => {
    ({ helper, transport } = startSourceHelper());
  });
  afterAll(async () => {
    await helper?.stop();
  });

  it('ICMP echo requests to 127.0.0.1: checksum good, sequence 1 … 5, our identifier', async () => {
    const id = 0x5b00 + (process.pid & 0xff);
    const lines = await capture(5, `icmp and icmp[0] == 8 and icmp[4:2] == ${id}`, ['icmp.checksum.status', 'icmp.seq', 'icmp.ident', 'data.len']);
    const s = await new Ping(transport, { target: '127.0.0.1', count: 5, intervalMs: 20, identifier: id, size: 40, timeoutMs: 2000 }).start();
    expect(s.stats.received).toBe(5);
    expect(await lines.lines).toEqual([1, 2, 3, 4, 5].map((seq) => ['1', String(seq), String(id), '40']));
  });

  it('ICMPv6 echo requests to ::1: checksum good (the kernel fills it), sequence 1 … 5', async () => {
    const id = 0x5c00 + (process.pid & 0xff);
    const lines = await capture(5, `icmp6 and ip6[40] == 128 and ip6[44:2] == ${id}`, ['icmpv6.checksum.status', 'icmpv6.echo.sequence_number', 'icmpv6.echo.identifier']);
    const s = await new Ping(transport, { target: '::1', count: 5, intervalMs: 20, identifier: id, timeoutMs: 2000 }).start();
    expect(s.stats.received).toBe(5);
    // tshark prints this identifier in hex
    expect(await lines.lines).toEqual([1, 2, 3, 4, 5].map((seq) => ['1', String(seq), `0x${id.toString(16).padStart(4, '0')}`]));
  });

  it("traceroute's UDP probes: a good checksum over IPv6, none over IPv4; ports 33434 …", async () => {
    const sourcePort = 40000 + (process.pid % 20000);
    const v6 = await capture(3, `ip6 and udp and src port ${sourcePort}`, ['udp.checksum.status', 'udp.dstport', 'ipv6.hlim'], ['udp.check_checksum:TRUE']);
    const r6 = await new Traceroute(transport, { target: '::1', mode: 'udp', sourcePort, maxHops: 3, timeoutMs: 2000 }).start();
    expect(r6.stoppedBy).toBe('reached');
    expect(await v6.lines).toEqual([['1', '33434', '1'], ['1', '33435', '1'], ['1', '33436', '1']]);
    const v4 = await capture(3, `ip and udp and src port ${sourcePort}`, ['udp.checksum.status', 'udp.dstport', 'ip.ttl', 'ip.checksum.status'], ['udp.check_checksum:TRUE', 'ip.check_checksum:TRUE']);
    const r4 = await new Traceroute(transport, { target: '127.0.0.1', mode: 'udp', sourcePort, maxHops: 3, timeoutMs: 2000 }).start();
    expect(r4.stoppedBy).toBe('reached');
    // 3 = "not present": checksum 0 over IPv4
    expect(await v4.lines).toEqual([['3', '33434', '1', '1'], ['3', '33435', '1', '1'], ['3', '33436', '1', '1']]);
  });
});
