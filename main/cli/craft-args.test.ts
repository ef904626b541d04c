// `sockbench craft` arguments and what it prints (decode lines, hex dump,
// the synthetic IP header for export), without a terminal or the engine.
import { describe, expect, it } from 'vitest';
import { buildStack, parseLayers, parseStack, type Layer } from '../../shared/packet/index.js';
import { parseCommand, UsageError } from './args.js';
import { CRAFT_HELP } from './craft-args.js';
import { decodePacket, hexDump, jsonLayers, wrapInIp } from './craft-show.js';

const LINE1 = 'ipv4 dst=127.0.0.1 ttl=3 / icmp type=echo-request id=7 seq=1 / payload hex:41414141';
const LINE2 = 'ipv4 dst=127.0.0.1 / tcp dport=80 flags=S,E,C / payload "x"';

const layersOf = (line: string): Layer[] => {
  const r = parseLayers(line);
  if (!r.ok) throw new Error(r.message);
  return r.layers;
};

describe('sockbench craft arguments', () => {
  it('takes the layer line as one argument or as words, options anywhere', () => {
    expect(parseCommand(['craft', LINE1])).toEqual({ kind: 'craft', layers: layersOf(LINE1), send: false, count: 1, intervalMs: 0, listenMs: 1000, json: false, hex: false });
    expect(parseCommand(['craft', ...LINE1.split(' ')])).toMatchObject({ layers: layersOf(LINE1) });
    expect(parseCommand(['craft', '--out', 'x.pcapng', LINE2, '--json'])).toMatchObject({ layers: layersOf(LINE2), out: 'x.pcapng', json: true });
    expect(parseCommand(['craft', 'tcp', 'dport=9', '--send', '--address', '::1', '-c', '3', '-i', '0.01', '--listen', '0.5'])).toMatchObject({
      send: true, address: '::1', count: 3, intervalMs: 10, listenMs: 500,
    });
    expect(parseCommand(['craft', 'icmp', '--send', '--count', '2'])).toMatchObject({ count: 2, intervalMs: 1000 });
    expect(parseCommand(['craft', 'icmp', '--hex'])).toMatchObject({ hex: true });
  });

  it('--help documents the syntax with the two example lines', () => {
    const help = parseCommand(['craft', '--help']);
    expect(help).toEqual({ kind: 'help', text: CRAFT_HELP });
    expect(CRAFT_HELP).toContain(LINE1);
    expect(CRAFT_HELP).toContain(LINE2);
    expect(CRAFT_HELP).toMatch(/--out FILE .*synthetic IP header/s);
  });

  it.each([
    [['craft'], /^craft needs layers, e.g\./],
    [['craft', 'ipv4 / tcp dprt=80'], /^craft: layer 2 \(tcp\), column 12: unknown field "dprt" \(did you mean dport\?\); fields: sport, dport/],
    [['craft', 'ipv4', 'ttl=999'], /^craft: layer 1 \(ipv4\), column 10: ttl must be 0\.\.255, got "999"$/],
    [['craft', 'icmp', '--count', '2'], /^craft: --count goes with --send$/],
    [['craft', 'icmp', '--send', '--count', '0'], /--count needs a whole number between 1 and 1000000/],
    [['craft', 'icmp', '--send', '--interval', 'soon'], /--interval needs a number of seconds/],
    [['craft', 'icmp', '--send', '--listen', '61'], /--listen needs a number of seconds between 0 and 60/],
    [['craft', 'icmp', '--address', 'local_host'], /--address needs an IPv4 or IPv6 address or a host name/],
    [['craft', 'icmp', '--json', '--hex'], /--json and --hex exclude each other/],
    [['craft', 'icmp', '--frobnicate'], /^craft: Unknown option '--frobnicate'/],
  ])('%j → usage error', (argv, message) => {
    expect(() => parseCommand(argv)).toThrow(UsageError);
    expect(() => parseCommand(argv)).toThrow(message);
  });
});

describe('what craft prints', () => {
  it('one line a layer, every field, checksums good or forced', () => {
    const layers = layersOf(LINE1);
    const b = buildStack(layers);
    if (!b.ok) throw new Error(b.message);
    const { lines } = decodePacket(b.bytes, 'ipv4', layers);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^ipv4 +version=4 ihl=5 dscp=0 ecn=0 len=32 id=1 flags=0 frag=0 ttl=3 proto=icmp chksum=0x[0-9a-f]{4} \(good\) src=127\.0\.0\.1 dst=127\.0\.0\.1$/);
    expect(lines[1]).toMatch(/^icmp +type=echo-request code=0 chksum=0x[0-9a-f]{4} \(good\) id=7 seq=1$/);
    expect(lines[2]).toBe('payload load="AAAA" (4 bytes)');
    const forced = layersOf('ipv4 / icmp chksum=0 / payload "x"');
    const fb = buildStack(forced);
    if (!fb.ok) throw new Error(fb.message);
    expect(decodePacket(fb.bytes, 'ipv4', forced).lines[1]).toMatch(/chksum=0x0000 \(forced, bad\)/);
    expect(jsonLayers(parseStack(fb.bytes, 'ipv4'))[1]).toMatchObject({ kind: 'icmp', checksum: 'bad', fields: { chksum: 0 } });
    expect(jsonLayers(parseStack(fb.bytes, 'ipv4'))[2]).toEqual({ kind: 'payload', fields: { load: '78' } });
  });

  it('a hex dump of 16 bytes a line with the ASCII beside', () => {
    const d = hexDump(Uint8Array.from({ length: 20 }, (_, i) => 0x41 + i));
    expect(d).toEqual([
      '0000  41 42 43 44 45 46 47 48  49 4a 4b 4c 4d 4e 4f 50  ABCDEFGHIJKLMNOP',
      '0010  51 52 53 54                                       QRST',
    ]);
  });

  it('a stack without an IP layer is exported inside a synthetic IPv4 or IPv6 header', () => {
    expect(wrapInIp(layersOf(LINE1))).toMatchObject({ synthetic: false, family: 4 });
    expect(wrapInIp(layersOf('tcp dport=80'))).toMatchObject({
      synthetic: true, family: 4, ctx: { src: '127.0.0.1', dst: '127.0.0.1' }, layers: [{ kind: 'ipv4', fields: { src: '127.0.0.1', dst: '127.0.0.1' } }, { kind: 'tcp' }],
    });
    expect(wrapInIp(layersOf('udp'), '127.0.0.2')).toMatchObject({ family: 4, ctx: { dst: '127.0.0.2' } });
    expect(wrapInIp(layersOf('icmpv6'))).toMatchObject({ family: 6, ctx: { src: '::1', dst: '::1' } });
    expect(wrapInIp(layersOf('udp'), '::1')).toMatchObject({ family: 6 });
    expect(wrapInIp(layersOf('icmpv6'), '127.0.0.1')).toBe('icmpv6 goes inside IPv6, but --address 127.0.0.1 is IPv4');
  });
});
