// tshark is the judge of our pcapng export: packets built with the codecs of
// shared/packet, some with checksums deliberately broken, are written with
// writePcapng and must come out of `tshark -V -T json` with the fields we
// built and the checksum verdict we expect. The other way round, ping on lo
// captured by tshark must parse with readPcapng and our codecs to the same
// identifier, sequence and addresses tshark reports for the same file.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { echoLayers, parseStack, stackBytes, type Layer, type StackContext } from '../../shared/packet/index.js';
import { writePcapng, type PcapngLinkType, type PcapngPacketIn } from '../../shared/packet/pcapng.js';
import { ipPacketOf, readPcapng } from '../support/pcapng-reader.js';
import { hasTool, peerSuite, peersRequired } from '../support/peers.js';
import { capture, checksumStatus, dissect, field, fieldNumber, fields, requireField, tsharkRead, type ChecksumStatus } from '../support/tshark.js';
import { ok } from '../support/packets.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const flip = (b: Uint8Array, at: number): Uint8Array => {
  const c = b.slice();
  c[at]! ^= 0x01;
  return c;
};

const A = '127.0.0.1';
const B = '127.0.0.2';
const A6 = '::1';
const B6 = 'fd00::2';

interface Case {
  name: string;
  bytes: Uint8Array;
  linkType: PcapngLinkType;
  /** Fields tshark must show, with the values we built (a number is compared as a number: tshark writes 0x… for some). */
  expect: Record<string, string | number>;
  checksums: Partial<Record<'ip' | 'icmp' | 'icmpv6' | 'udp', ChecksumStatus>>;
}

const load = (bytes: Uint8Array): Layer => ({ kind: 'payload', fields: { load: bytes } });
function ipv4(proto: number, payload: Uint8Array, o: { ttl?: number; id?: number; corruptHeader?: boolean } = {}): Uint8Array {
  const b = stackBytes([{ kind: 'ipv4', fields: { src: A, dst: B, proto, ttl: o.ttl ?? 64, id: o.id ?? 0x1234, flags: 'DF' } }, load(payload)]);
  return o.corruptHeader ? flip(b, 11) : b;
}
function ipv6(nh: number, payload: Uint8Array, hlim = 64): Uint8Array {
  return stackBytes([{ kind: 'ipv6', fields: { src: A6, dst: B6, nh, hlim, fl: 0xbeef } }, load(payload)]);
}
const udpOf = (sport: number, dport: number, payload: string, ctx?: StackContext): Uint8Array =>
  stackBytes([{ kind: 'udp', fields: { sport, dport, ...(ctx ? {} : { chksum: 0 }) } }, load(text(payload))], ctx);

const echo = stackBytes(echoLayers(4, { identifier: 7, sequence: 1, payload: text('AAAA') }));
const udp = udpOf(40000, 53, 'query', { src: A, dst: B });
const udpNoSum = udpOf(40001, 5353, 'x');
const echo6 = stackBytes([{ kind: 'icmpv6', fields: { type: 'echo-request', id: 0x4242, seq: 9 } }, load(text('six'))], { src: A6, dst: B6 });
const udp6 = udpOf(1234, 4321, 'v6', { src: A6, dst: B6 });
const quotedUdp = ipv4(17, udp, { ttl: 1, id: 0x7777 });
const timeExceeded = stackBytes([{ kind: 'icmp', fields: { type: 'time-exceeded' } }, load(quotedUdp.subarray(0, 28))]);

const icmpFields = { 'ip.src': A, 'ip.dst': B, 'ip.proto': '1', 'icmp.type': '8', 'icmp.code': '0', 'icmp.ident': '7', 'icmp.seq': '1' };
const CASES: Case[] = [
  { name: 'ICMP echo request, ttl 3', bytes: ipv4(1, echo, { ttl: 3 }), linkType: 'ipv4', expect: { ...icmpFields, 'ip.ttl': '3', 'ip.id': 0x1234, 'ip.flags.df': '1', 'ip.len': '32', 'data.data': '41:41:41:41' }, checksums: { ip: 'good', icmp: 'good' } },
  { name: 'ICMP echo request, ICMP checksum broken', bytes: ipv4(1, flip(echo, 3), { ttl: 4 }), linkType: 'ipv4', expect: { ...icmpFields, 'ip.ttl': '4' }, checksums: { ip: 'good', icmp: 'bad' } },
  { name: 'ICMP echo request, IPv4 header checksum broken', bytes: ipv4(1, echo, { ttl: 5, corruptHeader: true }), linkType: 'ipv4', expect: { ...icmpFields, 'ip.ttl': '5' }, checksums: { ip: 'bad', icmp: 'good' } },
  { name: 'ICMP echo request under LINKTYPE_RAW', bytes: ipv4(1, echo, { ttl: 6 }), linkType: 'raw-ip', expect: { ...icmpFields, 'ip.ttl': '6' }, checksums: { ip: 'good', icmp: 'good' } },
  { name: 'UDP to port 53 with its checksum', bytes: ipv4(17, udp), linkType: 'ipv4', expect: { 'ip.proto': '17', 'udp.srcport': '40000', 'udp.dstport': '53', 'udp.length': String(udp.length) }, checksums: { ip: 'good', udp: 'good' } },
  { name: 'UDP, checksum broken', bytes: ipv4(17, flip(udp, 7)), linkType: 'ipv4', expect: { 'udp.srcport': '40000', 'udp.dstport': '53' }, checksums: { ip: 'good', udp: 'bad' } },
  { name: 'UDP over IPv4 without a checksum (0)', bytes: ipv4(17, udpNoSum), linkType: 'ipv4', expect: { 'udp.srcport': '40001', 'udp.dstport': '5353', 'udp.checksum': '0x0000' }, checksums: { ip: 'good', udp: 'not-present' } },
  { name: 'ICMP time exceeded quoting a UDP datagram', bytes: ipv4(1, timeExceeded, { ttl: 250 }), linkType: 'ipv4', expect: { 'ip.ttl': '250', 'icmp.type': '11', 'icmp.code': '0' }, checksums: { ip: 'good', icmp: 'good' } },
  { name: 'ICMPv6 echo request, hop limit 17', bytes: ipv6(58, echo6, 17), linkType: 'ipv6', expect: { 'ipv6.src': A6, 'ipv6.dst': B6, 'ipv6.hlim': '17', 'ipv6.flow': 0xbeef, 'ipv6.nxt': '58', 'icmpv6.type': '128', 'icmpv6.echo.identifier': 0x4242, 'icmpv6.echo.sequence_number': '9' }, checksums: { icmpv6: 'good' } },
  { name: 'ICMPv6 echo request, checksum broken', bytes: ipv6(58, flip(echo6, 2)), linkType: 'ipv6', expect: { 'icmpv6.type': '128', 'icmpv6.echo.sequence_number': '9' }, checksums: { icmpv6: 'bad' } },
  { name: 'UDP over IPv6 under LINKTYPE_RAW', bytes: ipv6(17, udp6), linkType: 'raw-ip', expect: { 'ipv6.src': A6, 'udp.srcport': '1234', 'udp.dstport': '4321' }, checksums: { udp: 'good' } },
  { name: 'UDP over IPv6, checksum broken', bytes: ipv6(17, flip(udp6, 6)), linkType: 'ipv6', expect: { 'udp.dstport': '4321' }, checksums: { udp: 'bad' } },
];

const T0 = 1_764_000_000_000_000; // µs
const INPUT: PcapngPacketIn[] = CASES.map((c, i) => ({ bytes: c.bytes, linkType: c.linkType, timestampUs: T0 + i * 1500, comment: c.name }));

const tshark = peerSuite('tshark');

describe.skipIf(tshark.skip)(`${tshark.title}: tshark reads our pcapng`, () => {
  const file = writePcapng(INPUT, { application: 'Sockbench pcapng test' });

  it('dissects every packet, with the fields we built, the checksum verdicts we expect, our comments and timestamps', async () => {
    const pkts = await dissect(file);
    expect(pkts).toHaveLength(CASES.length);
    pkts.forEach((p, i) => {
      const c = CASES[i]!;
      const shown = Object.fromEntries(Object.entries(c.expect).map(([k, want]) => [k, typeof want === 'number' ? fieldNumber(p, k) : field(p, k)]));
      expect({ name: c.name, ...shown }).toEqual({ name: c.name, ...c.expect });
      const verdicts = Object.fromEntries(Object.keys(c.checksums).map((k) => [k, checksumStatus(p, k as keyof Case['checksums'])]));
      expect({ name: c.name, ...verdicts }).toEqual({ name: c.name, ...c.checksums });
      expect(requireField(p, 'frame.comment')).toBe(c.name);
      const us = T0 + i * 1500;
      expect(requireField(p, 'frame.time_epoch')).toBe(`${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')}000`);
      expect(Number(requireField(p, 'frame.len'))).toBe(c.bytes.length);
      // No malformed-packet or other warning beyond the bad checksums we asked for.
      expect(p.protocols).not.toContain('_ws.malformed');
    });
  });

  it('takes the outer IPv4 header first: the quoted datagram of an ICMP error comes second', async () => {
    const [p] = await dissect(writePcapng([INPUT[CASES.findIndex((c) => c.name.startsWith('ICMP time exceeded'))]!]));
    expect(fields(p!, 'ip.ttl')).toEqual(['250', '1']);
    expect(fields(p!, 'ip.id')).toEqual(['0x1234', '0x7777']);
    expect(field(p!, 'udp.dstport')).toBe('53');
  });

  it('dissects a wrong IP version under LINKTYPE_IPV4 as bogus IPv4 (LINKTYPE_RAW would give up on it)', async () => {
    const bogus = ipv4(1, echo);
    bogus[0] = 0x55;
    const [asIpv4, asRaw] = await dissect(writePcapng([{ bytes: bogus, linkType: 'ipv4' }, { bytes: bogus, linkType: 'raw-ip' }], { timestampUs: T0 }));
    expect(asIpv4!.protocols).toEqual(['ip']);
    expect(field(asIpv4!, 'ip.version')).toBe('5');
    expect(asRaw!.protocols).not.toContain('ip');
  });

  it('rewrites our file (tshark -w - -F pcapng) into one readPcapng reads back to the same packets', async () => {
    const rewritten = await tsharkRead(file, ['-w', '-', '-F', 'pcapng']);
    const mine = ok(readPcapng(file));
    const theirs = ok(readPcapng(new Uint8Array(rewritten)));
    expect(theirs.packets.map((p) => [p.link, p.timestampUs, p.bytes, p.comments])).toEqual(mine.packets.map((p) => [p.link, p.timestampUs, p.bytes, p.comments]));
  });
});

const ping = hasTool('ping');
const liveSkip = tshark.skip || (!ping && !peersRequired) || (process.getuid?.() !== 0 && !peersRequired);

describe.skipIf(liveSkip)(`${tshark.title}: ping on lo, captured by tshark, read by us${ping ? '' : ' (skipped: no ping)'}`, () => {
  it('readPcapng + parseStack give the identifier, sequence, type, ttl and addresses tshark reports', async () => {
    // A loopback address of our own, so other tests' ICMP on lo does not match the filter.
    const target = `127.${100 + (process.pid % 100)}.${(process.pid >> 8) & 0xff}.${1 + (Date.now() % 250)}`;
    const pcap = await capture('lo', `icmp and host ${target}`, async () => {
      await new Promise<void>((resolve, reject) => {
        const p = spawn('ping', ['-n', '-c', '2', '-i', '0.2', '-W', '2', target], { stdio: 'ignore' });
        const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
        p.once('error', reject);
        p.once('close', (code) => {
          clearTimeout(t);
          if (code === 0) resolve();
          else reject(new Error(`ping ${target} exited with ${code}`));
        });
      });
    }, { count: 4, timeoutMs: 15_000 });

    const file = ok(readPcapng(pcap));
    const pkts = await dissect(pcap);
    expect(file.packets).toHaveLength(4);
    expect(pkts).toHaveLength(4);
    const ours = file.packets.map((fp) => {
      const ipPkt = ok(ipPacketOf(fp));
      expect(ipPkt.family).toBe(4);
      const p = parseStack(ipPkt.bytes, 'ipv4');
      const [ip, icmp] = p.layers.map((l) => l.fields);
      if (p.layers[1]?.kind !== 'icmp' || (icmp!.type !== 8 && icmp!.type !== 0)) throw new Error(`unexpected packet: ${p.layers.map((l) => l.kind).join(' / ')}`);
      return {
        src: ip!.src, dst: ip!.dst, ttl: String(ip!.ttl), type: String(icmp!.type), id: String(icmp!.id), seq: String(icmp!.seq),
        ipOk: p.checksums[0] === 'good', icmpOk: p.checksums[1] === 'good', us: fp.timestampUs,
      };
    });
    const theirs = pkts.map((p) => ({
      src: requireField(p, 'ip.src'), dst: requireField(p, 'ip.dst'), ttl: requireField(p, 'ip.ttl'), type: requireField(p, 'icmp.type'),
      id: requireField(p, 'icmp.ident'), seq: requireField(p, 'icmp.seq'),
      ipOk: checksumStatus(p, 'ip') === 'good', icmpOk: checksumStatus(p, 'icmp') === 'good',
      us: Math.floor(Number(requireField(p, 'frame.time_epoch')) * 1e6),
    }));
    // Timestamps: tshark prints seconds with 9 decimals; a double keeps them to within a µs.
    expect(ours.map(({ us: _, ...r }) => r)).toEqual(theirs.map(({ us: _, ...r }) => r));
    ours.forEach((o, i) => expect(Math.abs(o.us - theirs[i]!.us)).toBeLessThanOrEqual(1));
    expect(ours.map((o) => `${o.type}/${o.seq}`).sort()).toEqual(['0/1', '0/2', '8/1', '8/2']);
    expect(new Set(ours.map((o) => o.id)).size).toBe(1);
    expect(ours.every((o) => o.ipOk && o.icmpOk)).toBe(true);
    expect(ours.filter((o) => o.type === '8').every((o) => o.src === A && o.dst === target)).toBe(true);
    expect(file.packets[0]!.link).toBe('ethernet'); // lo captures as DLT_EN10MB with zero MACs
  });
});
