// The crafter's editing model: templates become given text and build to the
// same bytes; edited bytes come back as fields whose build gives those bytes
// again (auto fields stay auto unless the bytes disagree with them); a bad
// value stays as typed with the codec's error on its field.
import { describe, expect, it } from 'vitest';
import { TEMPLATES, buildStack, parseStack } from '../../../../shared/packet/index.js';
import { addable, build, fromBytes, fromLayers, orderProblem, parseHexText, parseOptionsText, toLayers, valueText, specOf } from './model.js';
import { summarize } from '../../lib/packet-summary.js';

const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('templates in the edit model', () => {
  for (const t of TEMPLATES) {
    it(`${t.name}: given text builds to the template's bytes`, () => {
      for (const p of t.packets) {
        const direct = buildStack(p);
        const edited = build(fromLayers(p));
        expect(direct.ok && edited.ok).toBe(true);
        if (direct.ok && edited.ok) expect(hexOf(edited.bytes)).toBe(hexOf(direct.bytes));
      }
    });

    it(`${t.name}: bytes read back into fields build to the same bytes`, () => {
      for (const p of t.packets) {
        const b = buildStack(p);
        if (!b.ok) throw new Error(b.message);
        const back = fromBytes(b.bytes, p[0]!.kind);
        const again = build(back.packet);
        expect(again.ok).toBe(true);
        if (again.ok) expect(hexOf(again.bytes)).toBe(hexOf(b.bytes));
      }
    });
  }
});

describe('edited bytes', () => {
  const echo = TEMPLATES.find((t) => t.name === 'ICMP echo')!.packets[0]!;
  const built = buildStack(echo);
  if (!built.ok) throw new Error(built.message);

  it('a changed ttl keeps the IPv4 checksum as it is in the bytes (now forced, and bad)', () => {
    const b = built.bytes.slice();
    b[8] = 3;
    const { packet } = fromBytes(b, 'ipv4');
    expect(packet[0]!.given.ttl).toBe('3');
    expect(packet[0]!.given.chksum).toMatch(/^0x[0-9a-f]{4}$/);
    expect(packet[0]!.given.len).toBeUndefined();
    const again = build(packet);
    expect(again.ok && hexOf(again.bytes)).toBe(hexOf(b));
    expect(again.ok && parseStack(again.bytes, 'ipv4').checksums[0]).toBe('bad');
  });

  it('bytes that stop parsing say where, and the rest is payload', () => {
    const r = fromBytes(Uint8Array.of(0x45, 0, 0), 'ipv4');
    expect(r.stoppedAt?.offset).toBe(0);
    expect(r.packet.map((l) => l.kind)).toEqual(['payload']);
  });
});

describe('values and errors', () => {
  it('a ttl of 300 is an error on ttl of layer 0, the text kept as typed', () => {
    const p = fromLayers(TEMPLATES[0]!.packets[0]!);
    p[0]!.given.ttl = '300';
    const r = build(p);
    expect(r.ok).toBe(false);
    if (!r.ok) expect([r.layer, r.field, r.message]).toEqual([0, 'ttl', 'ttl must be 0..255, got "300"']);
    expect(p[0]!.given.ttl).toBe('300');
  });

  it('options in the CLI syntax, and their errors on the options field', () => {
    expect(parseOptionsText('MSS:1460,NOP,WScale:7')).toEqual([{ kind: 'MSS', value: 1460 }, { kind: 'NOP' }, { kind: 'WScale', value: 7 }]);
    expect(parseOptionsText('')).toEqual([]);
    expect(typeof parseOptionsText('Bogus:1')).toBe('string');
    const r = toLayers([{ uid: 1, kind: 'tcp', given: { options: 'Bogus:1' } }]);
    expect('layers' in r).toBe(false);
    if (!('layers' in r)) expect([r.layer, r.field]).toEqual([0, 'options']);
  });

  it('enum and flag values as text', () => {
    const type = specOf('icmp', 'type')!;
    expect(valueText(type, 8)).toBe('echo-request');
    expect(valueText(specOf('tcp', 'flags')!, 0x12)).toBe('S,A');
    expect(valueText(specOf('payload', 'load')!, Uint8Array.of(1, 0xab))).toBe('hex:01 ab');
    expect(parseHexText('45 00:0a\n0b')).toEqual(Uint8Array.of(0x45, 0, 0x0a, 0x0b));
    expect(parseHexText('4')).toBeNull();
  });

  it('layer order: what may follow, and why a move is illegal', () => {
    const p = fromLayers(TEMPLATES[0]!.packets[0]!);
    expect(addable(p, null)).toEqual([]);
    expect(addable(p.slice(0, 2), null)).toEqual(['payload']);
    expect(orderProblem([p[1]!, p[0]!, p[2]!])).toMatch(/ipv4 cannot follow icmp/);
    expect(orderProblem(p)).toBeNull();
  });

  it('a one-line summary of parsed layers', () => {
    const b = buildStack(TEMPLATES[0]!.packets[0]!);
    if (!b.ok) throw new Error(b.message);
    expect(summarize(parseStack(b.bytes, 'ipv4').layers)).toBe('IPv4 127.0.0.1 → 127.0.0.1 ttl 64 · ICMP echo-request id 1 seq 1 · 8 B');
    expect(summarize(parseStack(b.bytes, 'ipv4').layers, { addresses: false })).toBe('IPv4 ttl 64 · ICMP echo-request id 1 seq 1 · 8 B');
  });
});
