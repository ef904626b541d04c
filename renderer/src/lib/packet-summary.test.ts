// Received packets decoded with the crafter's codecs, as the Raw view shows
// them: the first layer from the socket (IP header or not, protocol), a
// summary per layer with its bytes and checksum state, and the rest as hex
// where parsing stopped.
import { describe, expect, it } from 'vitest';
import { buildStack, type Layer } from '../../../shared/packet/index.js';
import { decodePacket, firstLayer, summarize } from './packet-summary.js';

function bytesOf(layers: Layer[]): Uint8Array {
  const b = buildStack(layers);
  if (!b.ok) throw new Error(b.message);
  return b.bytes;
}

const syn = (): Uint8Array => bytesOf([
  { kind: 'ipv4', fields: { src: '10.0.0.1', dst: '10.0.0.2', ttl: 64 } },
  { kind: 'tcp', fields: { sport: 40000, dport: 80, flags: 'S', seq: 1000, options: [{ kind: 'MSS', value: 1460 }, { kind: 'NOP' }, { kind: 'WScale', value: 7 }] } },
]);

const ns = (): Uint8Array => bytesOf([
  { kind: 'ipv6', fields: { src: 'fe80::2', dst: 'ff02::1:ff00:1', hlim: 255 } },
  { kind: 'icmpv6', fields: { type: 'neighbor-solicitation', tgt: 'fe80::1', options: [{ kind: 'src-lladdr', lladdr: '02:00:00:00:00:02' }] } },
]);

describe('the first layer of a received packet', () => {
  it('the IP header when the packet has one (IPv4, or IPv6 by its version), else the socket\'s protocol', () => {
    expect(firstLayer(syn(), true, 6)).toBe('ipv4');
    expect(firstLayer(ns(), true, 58)).toBe('ipv6');
    expect(firstLayer(new Uint8Array(8), false, 58)).toBe('icmpv6');
    expect(firstLayer(new Uint8Array(8), false, 1)).toBe('icmp');
    expect(firstLayer(new Uint8Array(8), false, 6)).toBe('tcp');
    expect(firstLayer(new Uint8Array(8), false, 17)).toBe('udp');
    expect(firstLayer(new Uint8Array(8), false, 132)).toBe('payload');
  });
});

describe('decodePacket', () => {
  it('a TCP SYN with options: IPv4 and TCP, their bytes, both checksums good', () => {
    const b = syn();
    const d = decodePacket(b, firstLayer(b, true, 6));
    expect(d.summary).toBe('IPv4 10.0.0.1 → 10.0.0.2 ttl 64 · TCP 40000 → 80 [S] seq 1000');
    expect(d.layers.map((l) => [l.label, l.start, l.end, l.checksum])).toEqual([['IPv4', 0, 20, 'good'], ['TCP', 20, 28 + 20, 'good']]);
    expect(d.layers[1]!.text).toBe('40000 → 80 [S] seq 1000');
    expect(d.restOffset).toBe(b.length);
    expect(d.stoppedAt).toBeUndefined();
    expect(d.badChecksum).toBe(false);
  });

  it('an ICMPv6 neighbour solicitation from a raw ICMPv6 socket (no IP header): its target, the checksum not checkable', () => {
    const b = ns().subarray(40);
    const d = decodePacket(b, firstLayer(b, false, 58));
    expect(d.summary).toBe('ICMPv6 neighbor-solicitation tgt fe80::1');
    expect(d.layers.map((l) => [l.label, l.start, l.end, l.checksum])).toEqual([['ICMPv6', 0, 32, 'unknown']]);
    expect(d.restOffset).toBe(32);
    // With the IPv6 header the pseudo-header has its addresses.
    const whole = decodePacket(ns(), 'ipv6');
    expect(whole.summary).toBe('IPv6 fe80::2 → ff02::1:ff00:1 hlim 255 · ICMPv6 neighbor-solicitation tgt fe80::1');
    expect(whole.layers[1]!.checksum).toBe('good');
  });

  it('an echo reply: the data is a payload layer and the rest shown as hex starts there', () => {
    const b = bytesOf([
      { kind: 'ipv4', fields: { src: '127.0.0.1', dst: '127.0.0.1' } },
      { kind: 'icmp', fields: { type: 'echo-reply', id: 0x5342, seq: 1 } },
      { kind: 'payload', fields: { load: new TextEncoder().encode('sockbench') } },
    ]);
    const d = decodePacket(b, 'ipv4');
    expect(d.summary).toBe('IPv4 127.0.0.1 → 127.0.0.1 ttl 64 · ICMP echo-reply id 21314 seq 1 · 9 B');
    expect(d.layers.map((l) => [l.label, l.start, l.end])).toEqual([['IPv4', 0, 20], ['ICMP', 20, 28], ['Payload', 28, 37]]);
    expect(d.restOffset).toBe(28);
  });

  it('an ICMP error quoting the datagram: the quoted IPv4 and UDP headers are layers too', () => {
    const b = bytesOf([
      { kind: 'ipv4', fields: { src: '10.0.0.2', dst: '10.0.0.1' } },
      { kind: 'icmp', fields: { type: 'dest-unreach', code: 3 } },
      { kind: 'ipv4', fields: { src: '10.0.0.1', dst: '10.0.0.2' } },
      { kind: 'udp', fields: { sport: 5000, dport: 53 } },
    ]);
    const d = decodePacket(b, 'ipv4');
    expect(d.summary).toMatch(/^IPv4 10\.0\.0\.2 → 10\.0\.0\.1 ttl 64 · ICMP dest-unreach port-unreachable · IPv4 10\.0\.0\.1 → 10\.0\.0\.2 ttl 64 · UDP 5000 → 53 len 8$/);
    expect(d.layers.map((l) => l.kind)).toEqual(['ipv4', 'icmp', 'ipv4', 'udp']);
  });

  it('where parsing stops: the layers read, then the reason, and the rest is not a layer', () => {
    const b = syn().subarray(0, 30);
    const d = decodePacket(b, 'ipv4');
    expect(d.layers.map((l) => l.kind)).toEqual(['ipv4']);
    expect(d.stoppedAt?.offset).toBe(20);
    expect(d.restOffset).toBe(20);
    expect(d.summary).toBe(`IPv4 10.0.0.1 → 10.0.0.2 ttl 64 · ${d.stoppedAt!.reason}`);
    expect(d.stoppedAt!.reason).toMatch(/TCP/);
  });

  it('a bad checksum is flagged', () => {
    const b = Uint8Array.from(syn());
    b[20 + 16] ^= 0xff;
    const d = decodePacket(b, 'ipv4');
    expect(d.layers[1]!.checksum).toBe('bad');
    expect(d.badChecksum).toBe(true);
  });

  it('nothing decodable: no layers, the reason as the summary', () => {
    const d = decodePacket(new Uint8Array([0x45, 0]), 'ipv4');
    expect(d.layers).toEqual([]);
    expect(d.restOffset).toBe(0);
    expect(d.summary).toBe(d.stoppedAt!.reason);
  });

  it('summarize leaves addresses out on request', () => {
    expect(summarize([{ kind: 'ipv4', fields: { src: '1.2.3.4', dst: '5.6.7.8', ttl: 3 } }], { addresses: false })).toBe('IPv4 ttl 3');
  });
});
