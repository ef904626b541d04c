// The tshark test helpers themselves: field lookup on tshark's JSON tree,
// checksum verdicts, damaged files rejected, and capture() started for real
// (a UDP datagram on lo comes back in the pcapng), failing fast on a bad
// filter, and bounded in time when nothing matches.
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { parseStack, stackBytes } from '../../shared/packet/index.js';
import { writePcapng } from '../../shared/packet/pcapng.js';
import { ipPacketOf, readPcapng } from './pcapng-reader.js';
import { peerSuite } from './peers.js';
import { capture, checksumStatus, dissect, expertMessages, field, fieldNumber, fields, requireField, type TsharkPacket } from './tshark.js';
import { ok } from './packets.js';

describe('field lookup on a tshark JSON tree (no tshark needed)', () => {
  // The shape tshark -T json --no-duplicate-keys gives an IPv4 ICMP error quoting an IPv4/UDP datagram.
  const pkt: TsharkPacket = {
    number: 3,
    protocols: ['ip', 'icmp', 'ip', 'udp'],
    layers: {
      frame: { 'frame.protocols': 'ip:icmp:ip:udp' },
      icmp: { 'icmp.type': '11', ip: { 'ip.ttl': '1', 'ip.checksum.status': '2' }, udp: { 'udp.dstport': '53', 'udp.checksum_tree': { 'udp.checksum.status': '3' } } },
      ip: { 'ip.ttl': '250', 'ip.id': '0x1234', 'ip.addr': ['127.0.0.1', '127.0.0.2'], 'ip.checksum.status': '0', 'ip.checksum_tree': { _ws: { '_ws.expert.message': 'Bad checksum' } } },
    },
  };

  it('looks in the layer the name starts with first, then everywhere else, depth first', () => {
    expect(fields(pkt, 'ip.ttl')).toEqual(['250', '1']);
    expect(field(pkt, 'ip.ttl')).toBe('250');
    expect(fields(pkt, 'ip.addr')).toEqual(['127.0.0.1', '127.0.0.2']);
    expect(field(pkt, 'udp.dstport')).toBe('53');
    expect(field(pkt, 'tcp.port')).toBeUndefined();
  });

  it('reads numbers in decimal or 0x hex, and throws naming the frame when a field is missing', () => {
    expect(fieldNumber(pkt, 'ip.ttl')).toBe(250);
    expect(fieldNumber(pkt, 'ip.id')).toBe(0x1234);
    expect(() => requireField(pkt, 'tcp.port')).toThrow(/no tcp.port in frame 3 \(ip:icmp:ip:udp\)/);
    expect(() => fieldNumber(pkt, 'ip.addr')).toThrow(/not a number/);
  });

  it('maps <proto>.checksum.status 0..4 to bad, good, unverified, not-present, illegal (nested in a _tree too)', () => {
    expect(checksumStatus(pkt, 'ip')).toBe('bad');
    expect(checksumStatus(pkt, 'udp')).toBe('not-present');
    expect(() => checksumStatus(pkt, 'tcp')).toThrow(/no tcp.checksum.status/);
    expect(expertMessages(pkt)).toEqual(['Bad checksum']);
  });
});

const suite = peerSuite('tshark');

describe.skipIf(suite.skip)(`${suite.title}: dissect() and capture()`, () => {
  const udpPacket = (checksum: boolean): Uint8Array => {
    return stackBytes([
      { kind: 'ipv4', fields: { src: '10.0.0.1', dst: '10.0.0.2', id: 0 } },
      { kind: 'udp', fields: { sport: 1000, dport: 2000, ...(checksum ? {} : { chksum: 0 }) } },
      { kind: 'payload', fields: { load: Uint8Array.of(1, 2, 3) } },
    ]);
  };

  it('dissects a file with no packets to []', async () => {
    expect(await dissect(writePcapng([]))).toEqual([]);
  });

  it('verifies IPv4 and UDP checksums (off by default in tshark) unless told otherwise', async () => {
    const file = writePcapng([{ bytes: udpPacket(true), linkType: 'ipv4', timestampUs: 1 }]);
    const [verified] = await dissect(file);
    expect([checksumStatus(verified!, 'ip'), checksumStatus(verified!, 'udp')]).toEqual(['good', 'good']);
    const [unverified] = await dissect(file, { extraArgs: ['-o', 'ip.check_checksum:FALSE', '-o', 'udp.check_checksum:FALSE'] });
    expect([checksumStatus(unverified!, 'ip'), checksumStatus(unverified!, 'udp')]).toEqual(['unverified', 'unverified']);
  });

  it('rejects a file tshark finds cut short, with tshark\'s message', async () => {
    const file = writePcapng([{ bytes: udpPacket(false), linkType: 'ipv4', timestampUs: 1 }]);
    await expect(dissect(file.subarray(0, file.length - 10))).rejects.toThrow(/cut short/);
  });

  it('capture(): a UDP datagram sent on lo comes back in the pcapng, byte for byte', async () => {
    const rx = createSocket('udp4');
    await new Promise<void>((r) => rx.bind(0, '127.0.0.1', r));
    const port = rx.address().port;
    const payload = Buffer.from(`sockbench capture ${process.pid}`);
    try {
      const pcap = await capture('lo', `udp and dst port ${port}`, async () => {
        const tx = createSocket('udp4');
        await new Promise<void>((resolve, reject) => tx.send(payload, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
        tx.close();
      }, { count: 1, timeoutMs: 10_000 });
      const [pkt] = ok(readPcapng(pcap)).packets;
      const ip = ok(ipPacketOf(pkt!));
      const [h, u, data] = parseStack(ip.bytes, 'ipv4').layers.map((l) => l.fields);
      expect([h!.src, h!.dst, u!.dport]).toEqual(['127.0.0.1', '127.0.0.1', port]);
      expect(Buffer.from(data!.load as Uint8Array)).toEqual(payload);
    } finally {
      rx.close();
    }
  });

  it('capture(): without a count, stops soon after the action, with a valid empty file', async () => {
    const t0 = Date.now();
    const pcap = await capture('lo', 'udp and dst port 9 and host 127.1.2.3', async () => {}, { timeoutMs: 5_000 });
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(ok(readPcapng(pcap)).packets).toEqual([]);
  });

  it('capture(): rejects quickly on a bad capture filter or interface, without running the action', async () => {
    let ran = false;
    const t0 = Date.now();
    await expect(capture('lo', 'not a (filter', async () => void (ran = true))).rejects.toThrow(/Invalid capture filter/);
    await expect(capture('sbnone0', 'udp', async () => void (ran = true))).rejects.toThrow(/exited with/);
    expect(ran).toBe(false);
    expect(Date.now() - t0).toBeLessThan(15_000);
  });

  it('capture(): an action that throws rejects with its error (and the capture is stopped)', async () => {
    await expect(capture('lo', 'udp and port 9', async () => {
      throw new Error('action failed');
    }, { timeoutMs: 5_000 })).rejects.toThrow('action failed');
  });
});
