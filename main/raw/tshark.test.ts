// tshark, capturing on lo, dissects what the helper sends: echo requests
// (and the kernel's replies) are valid ICMP / ICMPv6 with good checksums.
import { afterEach, describe, expect, it } from 'vitest';
import { peerSuite } from '../../test/support/peers.js';
import { capture as captureOn, dissect, field } from '../../test/support/tshark.js';
import { RawHelper } from './raw-helper.js';
import { echoRequest, helperEntry, sleep, tsxArgv } from './testkit.js';

const suite = peerSuite('tshark');
let rh: RawHelper | undefined;
afterEach(async () => {
  await rh?.stop();
  rh = undefined;
});

/**
 * Captures on lo until `count` packets match `filter` (or 20 s pass); `send`
 * runs once the capture has started. Returns, per packet, the `fields` tshark
 * shows (checksums verified), '' for a field it does not show.
 */
async function capture(filter: string, fieldNames: string[], count: number, send: () => Promise<void>): Promise<string[][]> {
  const pcap = await captureOn('lo', filter, send, { count, timeoutMs: 20_000 });
  const packets = await dissect(pcap);
  return packets.map((p) => fieldNames.map((f) => field(p, f) ?? ''));
}

describe.skipIf(suite.skip)(suite.title, () => {
  it('ICMP echo requests from the helper and the replies: icmp.checksum.status 1, IP header checksum good', async () => {
    rh = new RawHelper({ entry: helperEntry, execArgv: tsxArgv });
    const { handle } = await rh.open({ protocol: 'icmp', family: 4 });
    const id = 0x9000 + (process.pid & 0x0fff);
    const rows = await capture(`icmp and icmp[4:2] == ${id}`, ['icmp.type', 'icmp.seq', 'icmp.checksum.status', 'ip.checksum.status', 'ip.ttl'], 6, async () => {
      for (let seq = 1; seq <= 3; seq++) {
        await rh!.send(handle, echoRequest(4, id, seq), '127.0.0.1', { ttl: 33 });
        await sleep(30);
      }
    });
    expect(rows).toHaveLength(6);
    const requests = rows.filter((r) => r[0] === '8');
    expect(requests.map((r) => r[1])).toEqual(['1', '2', '3']);
    for (const r of requests) expect(r.slice(2)).toEqual(['1', '1', '33']);
    expect(rows.filter((r) => r[0] === '0' && r[2] === '1')).toHaveLength(3);
  });

  it('ICMPv6 echo requests from the helper (checksum filled in by the kernel): icmpv6.checksum.status 1', async () => {
    rh = new RawHelper({ entry: helperEntry, execArgv: tsxArgv });
    const { handle } = await rh.open({ protocol: 'icmpv6', family: 6 });
    const id = 0xa000 + (process.pid & 0x0fff);
    const rows = await capture(`icmp6 and ip6[44:2] == ${id}`, ['icmpv6.type', 'icmpv6.echo.sequence_number', 'icmpv6.checksum.status', 'ipv6.hlim'], 4, async () => {
      for (let seq = 1; seq <= 2; seq++) {
        await rh!.send(handle, echoRequest(6, id, seq), '::1', { ttl: 17 });
        await sleep(30);
      }
    });
    expect(rows).toHaveLength(4);
    expect(rows.filter((r) => r[0] === '128')).toEqual([['128', '1', '1', '17'], ['128', '2', '1', '17']]);
    expect(rows.filter((r) => r[0] === '129' && r[2] === '1')).toHaveLength(2);
  });
});
