// Templates, field metadata, bad input (each error names the layer and
// field and says what is allowed) and parse fuzzing (random, truncated and
// mutated buffers: parse never throws and says where it stopped).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  LAYER_KINDS, LAYER_SPECS, TEMPLATES, buildStack, canFollow, fieldRange, fieldsOf, formatValue, parseStack, resolveStack, spanAt,
  type Layer, type LayerKind, type StackError,
} from './index.js';

const err = (layers: Layer[], ctx?: { src: string; dst: string }): StackError => {
  const r = buildStack(layers, ctx);
  if (r.ok) throw new Error('built');
  return r;
};

describe('templates', () => {
  it.each(TEMPLATES.map((t) => [t.name, t] as const))('%s builds and reads back as resolved', (_name, t) => {
    expect(t.description).not.toBe('');
    for (const packet of t.packets) {
      const b = buildStack(packet);
      const r = resolveStack(packet);
      if (!b.ok || !r.ok) throw new Error('template does not build');
      const p = parseStack(b.bytes, packet[0]!.kind);
      expect(p.layers).toEqual(r.layers);
      expect(p.checksums).not.toContain('bad');
    }
  });

  it('the fragment pair reassembles into a UDP datagram with a good checksum', () => {
    const [a, b] = TEMPLATES.find((t) => t.name === 'Fragment pair')!.packets.map((p) => buildStack(p));
    if (!a?.ok || !b?.ok) throw new Error('no pair');
    const whole = new Uint8Array([...a.bytes, ...b.bytes.subarray(20)]);
    whole[6] = 0; // neither MF nor an offset: one datagram
    whole[2] = 0;
    whole[3] = whole.length;
    const p = parseStack(whole, 'ipv4');
    expect(p.layers[0]!.fields.frag).toBe(0);
    expect(p.checksums[1]).toBe('good');
  });
});

describe('the lines the CLI must accept', () => {
  it('ipv4 dst=127.0.0.1 ttl=3 / icmp type=echo-request id=7 seq=1 / payload hex:41414141', () => {
    const b = buildStack([
      { kind: 'ipv4', fields: { dst: '127.0.0.1', ttl: '3' } },
      { kind: 'icmp', fields: { type: 'echo-request', id: '7', seq: '1' } },
      { kind: 'payload', fields: { load: 'hex:41414141' } },
    ]);
    if (!b.ok) throw new Error(b.message);
    expect(b.bytes.length).toBe(32);
    expect(parseStack(b.bytes, 'ipv4').layers[1]!.fields).toMatchObject({ type: 8, id: 7, seq: 1 });
  });

  it('ipv4 dst=127.0.0.1 / tcp dport=80 flags=S,E,C / payload "x"', () => {
    const b = buildStack([{ kind: 'ipv4', fields: { dst: '127.0.0.1' } }, { kind: 'tcp', fields: { dport: 80, flags: 'S,E,C' } }, { kind: 'payload', fields: { load: 'x' } }]);
    if (!b.ok) throw new Error(b.message);
    expect(b.bytes[33]).toBe(0xc2); // CWR, ECE, SYN
    expect(b.bytes[40]).toBe(0x78);
  });
});

describe('field metadata', () => {
  it('every field has a label, a help sentence, and a default the builder accepts', () => {
    for (const kind of LAYER_KINDS) {
      expect(LAYER_SPECS[kind].help).not.toBe('');
      for (const f of LAYER_SPECS[kind].fields) {
        expect(f.label && f.help, `${kind}.${f.name}`).toBeTruthy();
      }
      expect(resolveStack([{ kind, fields: {} }], { src: '::1', dst: '::1' }).ok, kind).toBe(true);
    }
  });

  it('fields depend on the ICMP type; ranges come from widths', () => {
    expect(fieldsOf('icmp', { type: 5 }).map((f) => f.name)).toEqual(['type', 'code', 'chksum', 'gw']);
    expect(fieldsOf('icmp', { type: 13 }).map((f) => f.name)).toContain('ts_tx');
    expect(fieldRange(fieldsOf('ipv4').find((f) => f.name === 'frag')!)).toEqual({ min: 0, max: 8191 });
    expect(fieldsOf('ipv4').filter((f) => f.auto).map((f) => f.name)).toEqual(['ihl', 'len', 'proto', 'chksum']);
  });

  it('canFollow: the legal orders', () => {
    expect(canFollow(null, 'tcp')).toBe(true);
    expect(canFollow('ipv4', 'icmpv6')).toBe(false);
    expect(canFollow('ipv6', 'hopopts')).toBe(true);
    expect(canFollow('routing', 'hopopts')).toBe(false);
    expect(canFollow('destopts', 'icmpv6')).toBe(true);
    expect(canFollow({ kind: 'icmp', fields: { type: 'echo-request' } }, 'ipv4')).toBe(false);
    expect(canFollow({ kind: 'icmp', fields: { type: 'time-exceeded' } }, 'ipv4')).toBe(true);
    expect(canFollow('payload', 'payload')).toBe(false);
  });
});

describe('spans and shown values', () => {
  it('a byte maps back to its field; values show by name', () => {
    const b = buildStack([{ kind: 'ipv4', fields: {} }, { kind: 'tcp', fields: { flags: 'SA' } }]);
    if (!b.ok) throw new Error(b.message);
    expect(spanAt(b.spans, 6, 0)).toMatchObject({ layer: 0, field: 'flags', bitLength: 3 });
    expect(spanAt(b.spans, 6, 3)).toMatchObject({ layer: 0, field: 'frag', bitOffset: 3, bitLength: 13 });
    expect(spanAt(b.spans, 33)).toMatchObject({ layer: 1, field: 'flags', offset: 32, bitOffset: 7, bitLength: 9 });
    expect(spanAt(b.spans, 40)).toBeUndefined();
    const tcp = fieldsOf('tcp');
    expect(formatValue(tcp.find((f) => f.name === 'flags')!, b.layers[1]!.fields.flags!)).toBe('S,A');
    expect(formatValue(fieldsOf('icmp').find((f) => f.name === 'code')!, 3, { type: 3 })).toBe('port-unreachable');
  });

  it('a quoted datagram cut short: its length fields kept as set, its transport checksum unknown', () => {
    const b = buildStack([
      { kind: 'ipv4', fields: {} },
      { kind: 'icmp', fields: { type: 'time-exceeded' } },
      { kind: 'ipv4', fields: { len: 1000, dst: '192.0.2.1' } },
      { kind: 'udp', fields: { len: 980, chksum: 0x1234 } },
    ]);
    if (!b.ok) throw new Error(b.message);
    const p = parseStack(b.bytes, 'ipv4');
    expect(p.layers[2]!.fields.len).toBe(1000);
    expect(p.checksums).toEqual(['good', 'good', 'good', 'unknown']);
  });
});

describe('bad input', () => {
  it('a value out of range names the layer, the field and the range', () => {
    expect(err([{ kind: 'ipv4', fields: { ttl: 300 } }, { kind: 'tcp', fields: {} }, { kind: 'payload', fields: {} }])).toEqual({
      ok: false, layer: 0, field: 'ttl', message: 'ttl must be 0..255, got 300',
    });
    expect(err([{ kind: 'ipv4', fields: {} }, { kind: 'tcp', fields: { dport: -1 } }])).toMatchObject({ layer: 1, field: 'dport', message: 'dport must be 0..65535, got -1' });
    expect(err([{ kind: 'ipv4', fields: { src: '1.2.3' } }])).toMatchObject({ field: 'src', message: expect.stringContaining('IPv4 address') });
    expect(err([{ kind: 'tcp', fields: { flags: 'SX' } }], { src: '1.1.1.1', dst: '2.2.2.2' }).message).toContain('unknown flag "X"');
  });

  it('an unknown field, or one the ICMP type does not have', () => {
    expect(err([{ kind: 'ipv4', fields: { hlim: 3 } }])).toMatchObject({ layer: 0, field: 'hlim', message: expect.stringContaining('unknown field hlim of ipv4') });
    expect(err([{ kind: 'icmp', fields: { type: 'echo-request', gw: '1.2.3.4' } }]).message).toContain('gw is not a field of icmp type 8');
  });

  it('an unknown ICMP type or code name lists the known ones', () => {
    const e = err([{ kind: 'icmp', fields: { type: 'echo-requets' } }]);
    expect(e).toMatchObject({ layer: 0, field: 'type' });
    expect(e.message).toContain('unknown name "echo-requets"');
    expect(e.message).toContain('echo-request');
    expect(err([{ kind: 'icmp', fields: { type: 3, code: 'ttl-exceeded-in-transit' } }]).message).toContain('port-unreachable');
  });

  it('an illegal layer order, an unknown kind', () => {
    expect(err([{ kind: 'ipv4', fields: {} }, { kind: 'icmpv6', fields: {} }])).toMatchObject({ layer: 1, message: expect.stringContaining('icmpv6 cannot follow ipv4') });
    expect(err([{ kind: 'ipv4', fields: {} }, { kind: 'icmp', fields: {} }, { kind: 'ipv4', fields: {} }]).message).toContain('cannot follow icmp type 8');
    expect(err([{ kind: 'payload', fields: {} }, { kind: 'tcp', fields: {} }]).layer).toBe(1);
    expect(err([{ kind: 'ether' as LayerKind, fields: {} }]).message).toContain('unknown layer kind "ether"');
  });

  it('more than 65535 bytes is refused', () => {
    const e = err([{ kind: 'ipv4', fields: {} }, { kind: 'udp', fields: {} }, { kind: 'payload', fields: { load: new Uint8Array(65508) } }]);
    expect(e.message).toBe('the packet would be 65536 bytes; an IP packet holds at most 65535');
    expect(buildStack([{ kind: 'ipv4', fields: {} }, { kind: 'udp', fields: {} }, { kind: 'payload', fields: { load: new Uint8Array(65507) } }]).ok).toBe(true);
  });

  it('options too long, malformed options', () => {
    const nops = Array.from({ length: 41 }, () => ({ kind: 'NOP' }));
    expect(err([{ kind: 'ipv4', fields: { options: nops } }]).message).toBe('ipv4 options take 44 bytes, at most 40');
    expect(err([{ kind: 'tcp', fields: { options: [{ kind: 'MSS', value: 70000 }], chksum: 0 } }]).message).toContain('MSS value must be 0..65535');
    expect(err([{ kind: 'tcp', fields: { options: [{ kind: 'Bogus' }], chksum: 0 } }]).message).toContain('unknown tcp option Bogus');
  });

  it('a pseudo-header checksum without addresses needs the context or a set chksum', () => {
    expect(err([{ kind: 'udp', fields: {} }])).toMatchObject({ layer: 0, field: 'chksum', message: expect.stringContaining('give the context { src, dst }') });
    expect(err([{ kind: 'icmpv6', fields: {} }], { src: '1.1.1.1', dst: '2.2.2.2' }).message).toContain('needs two IPv6 addresses');
    expect(buildStack([{ kind: 'udp', fields: { chksum: 0 } }]).ok).toBe(true);
    const b = buildStack([{ kind: 'icmpv6', fields: {} }], { src: '::1', dst: '::1' });
    expect(b.ok && parseStack(b.bytes, 'icmpv6', { src: '::1', dst: '::1' }).checksums).toEqual(['good']);
    expect(b.ok && parseStack(b.bytes, 'icmpv6').checksums).toEqual(['unknown']);
  });
});

describe('parse of bad buffers', () => {
  const firsts: LayerKind[] = [...LAYER_KINDS];
  const valid = TEMPLATES.flatMap((t) => t.packets).map((p) => [buildStack(p), p[0]!.kind] as const);

  const checkResult = (b: Uint8Array, first: LayerKind): void => {
    const p = parseStack(b, first);
    const covered = p.layers.length ? p.spans.reduce((n, s) => Math.max(n, s.offset + Math.ceil((s.bitOffset + s.bitLength) / 8)), 0) : 0;
    expect(covered).toBe(b.length); // every byte belongs to some layer
    if (p.stoppedAt) {
      expect(p.stoppedAt.offset).toBeGreaterThanOrEqual(0);
      expect(p.stoppedAt.offset).toBeLessThanOrEqual(b.length);
      expect(p.stoppedAt.reason).not.toBe('');
    }
  };

  it('random bytes as any first layer: no throw, every byte accounted for', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(...firsts), checkResult), { numRuns: 2000 });
  });

  it('valid packets truncated anywhere or with bytes flipped', () => {
    fc.assert(fc.property(fc.constantFrom(...valid), fc.nat(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), ([b, first], cut, flips) => {
      if (!b.ok) throw new Error('template');
      const m = b.bytes.slice(0, cut % (b.bytes.length + 1));
      for (const [at, v] of flips) if (m.length) m[at % m.length] = v;
      checkResult(m, first);
    }), { numRuns: 2000 });
  });

  it('says where it stopped and why', () => {
    const p = parseStack(Uint8Array.of(0x45, 0, 0, 40, 0, 0, 0, 0), 'ipv4');
    expect(p.stoppedAt).toEqual({ offset: 0, reason: 'IPv4 header cut short: ttl needs 9 bytes, 8 present' });
    expect(p.layers).toEqual([{ kind: 'payload', fields: { load: Uint8Array.of(0x45, 0, 0, 40, 0, 0, 0, 0) } }]);
    const t = parseStack(Uint8Array.of(0x4f, ...new Array<number>(30).fill(0)), 'ipv4');
    expect(t.stoppedAt).toEqual({ offset: 0, reason: 'IPv4 options needs 40 bytes, 11 present' });
    expect(parseStack(new Uint8Array(0), 'tcp')).toMatchObject({ layers: [], stoppedAt: { offset: 0 } });
    expect(parseStack(new Uint8Array(3), 'nope' as LayerKind).stoppedAt?.reason).toBe('unknown layer kind "nope"');
  });
});
