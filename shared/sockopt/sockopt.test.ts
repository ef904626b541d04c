// The catalogue, its rules and codecs: pure, no kernel.
import { describe, expect, it } from 'vitest';
import * as v from 'valibot';
import {
  decodeInt, decodeValue, describeValue, encodeInt, encodeValue, findOption, momentPassed, notApplicable, OPTIONS,
  readOnlyProblem, sizeOf, valueProblem, type Layout, type OptionSpec, type OptionValue,
} from './index.js';
import { GetsockoptRawParams, SetsockoptParams } from './schemas.js';

const linuxConstants: Record<string, number> = { SOCK_STREAM: 1, SOCK_DGRAM: 2, SOCK_RAW: 3, SOCK_SEQPACKET: 5 };
const le: Layout = { littleEndian: true, longBytes: 8, constant: (n) => linuxConstants[n] };
const be32: Layout = { littleEndian: false, longBytes: 4, constant: (n) => linuxConstants[n] };
const opt = (name: string): OptionSpec => findOption(name)!;
const bytes = (...b: number[]) => Uint8Array.from(b);
const roundTrip = (name: string, value: OptionValue, layout = le) => decodeValue(opt(name), encodeValue(opt(name), value, layout), layout);

describe('catalogue', () => {
  it('has every option the workbench promises, once, with a level, a kind and one line of help', () => {
    const names = OPTIONS.map((o) => o.name);
    for (const n of [
      'SO_REUSEADDR', 'SO_REUSEPORT', 'SO_KEEPALIVE', 'SO_LINGER', 'SO_RCVBUF', 'SO_SNDBUF', 'SO_RCVLOWAT', 'SO_BROADCAST',
      'SO_RCVTIMEO', 'SO_SNDTIMEO', 'TCP_NODELAY', 'TCP_KEEPIDLE', 'TCP_KEEPINTVL', 'TCP_KEEPCNT', 'TCP_MAXSEG', 'TCP_QUICKACK',
      'IP_TTL', 'IP_TOS', 'IP_MULTICAST_TTL', 'IP_MULTICAST_LOOP', 'IPV6_V6ONLY', 'IPV6_UNICAST_HOPS', 'SO_TYPE', 'SO_ERROR', 'SO_ACCEPTCONN',
    ]) expect(names).toContain(n);
    expect(new Set(names).size).toBe(names.length);
    for (const o of OPTIONS) {
      expect(o.help, o.name).not.toMatch(/\n/);
      expect(o.families.length * o.types.length, o.name).toBeGreaterThan(0);
      if (o.kind === 'int') expect(o.min, o.name).toBeLessThanOrEqual(o.max);
    }
    expect(OPTIONS.filter((o) => o.readOnly).map((o) => o.name).sort()).toEqual(['SO_ACCEPTCONN', 'SO_DOMAIN', 'SO_ERROR', 'SO_PROTOCOL', 'SO_TYPE']);
    expect(opt('SO_REUSEADDR').when).toBe('before-bind');
    expect(opt('IPV6_V6ONLY').when).toBe('before-bind');
    expect(opt('TCP_MAXSEG').when).toBe('before-connect');
  });

  it('says which sockets an option is for, and when its moment has passed', () => {
    expect(notApplicable(opt('TCP_NODELAY'), 'AF_INET', 'SOCK_STREAM')).toBeNull();
    expect(notApplicable(opt('TCP_NODELAY'), 'AF_INET', 'SOCK_DGRAM')).toBe(
      'TCP_NODELAY is an IPPROTO_TCP option for AF_INET or AF_INET6 SOCK_STREAM sockets; this one is AF_INET SOCK_DGRAM',
    );
    expect(notApplicable(opt('IP_TTL'), 'AF_INET6', 'SOCK_DGRAM')).toMatch(/for AF_INET SOCK_STREAM or SOCK_DGRAM sockets/);
    expect(notApplicable(opt('SO_RCVBUF'), 'AF_UNIX', 'SOCK_SEQPACKET')).toBeNull();
    expect(momentPassed(opt('SO_REUSEADDR'), 'created')).toBeNull();
    expect(momentPassed(opt('SO_REUSEADDR'), 'bound')).toBe('SO_REUSEADDR must be set before bind');
    expect(momentPassed(opt('TCP_MAXSEG'), 'bound')).toBeNull();
    expect(momentPassed(opt('TCP_MAXSEG'), 'connected')).toBe('TCP_MAXSEG must be set before connect');
    expect(momentPassed(opt('TCP_NODELAY'), 'connected')).toBeNull();
    expect(readOnlyProblem(opt('SO_TYPE'))).toMatch(/read-only/);
  });
});

describe('value checks', () => {
  it('name the option and say what is allowed', () => {
    expect(valueProblem(opt('IP_TTL'), 64)).toBeNull();
    expect(valueProblem(opt('IP_TTL'), 300)).toBe('IP_TTL takes a whole number from 1 to 255 hops');
    expect(valueProblem(opt('IP_TTL'), 1.5)).not.toBeNull();
    expect(valueProblem(opt('TCP_NODELAY'), 1)).toBe('TCP_NODELAY takes true or false (on or off)');
    expect(valueProblem(opt('TCP_KEEPIDLE'), 0)).toBe('TCP_KEEPIDLE takes a whole number from 1 to 32767 seconds');
    expect(valueProblem(opt('SO_LINGER'), { onoff: true, seconds: 5 })).toBeNull();
    expect(valueProblem(opt('SO_LINGER'), { onoff: 1, seconds: 5 })).toMatch(/onoff: true or false/);
    expect(valueProblem(opt('SO_LINGER'), true)).not.toBeNull();
    expect(valueProblem(opt('SO_RCVTIMEO'), 2.5)).toBeNull();
    expect(valueProblem(opt('SO_RCVTIMEO'), -1)).toMatch(/seconds from 0 to 86400/);
    expect(valueProblem(opt('IP_TOS'), 'EF')).toBeNull();
    expect(valueProblem(opt('IP_TOS'), 0x2c)).toBeNull();
    expect(valueProblem(opt('IP_TOS'), 'XX')).toMatch(/one of CS0, CS1, .* or a whole number from 0 to 255/);
    expect(valueProblem(opt('SO_TYPE'), 5)).toMatch(/one of SOCK_STREAM/);
    expect(valueProblem(opt('TCP_CONGESTION'), 'cubic')).toBeNull();
    expect(valueProblem(opt('TCP_CONGESTION'), 'x'.repeat(17))).toMatch(/text of at most 16 bytes/);
  });

  it('in the contract schema point at the field: value, or option when unknown or read-only', () => {
    const issue = (params: unknown) => {
      const r = v.safeParse(SetsockoptParams, params);
      return r.success ? undefined : { field: r.issues[0].path?.map((p) => String(p.key)).join('.'), message: r.issues[0].message };
    };
    expect(issue({ id: 1, option: 'IP_TTL', value: 7 })).toBeUndefined();
    expect(issue({ id: 1, option: 'IP_TTL', value: 300 })).toEqual({ field: 'value', message: 'IP_TTL takes a whole number from 1 to 255 hops' });
    expect(issue({ id: 1, option: 'TCP_NODELAY', value: 'yes' })).toMatchObject({ field: 'value' });
    expect(issue({ id: 1, option: 'SO_FOO', value: 1 })).toMatchObject({ field: 'option', message: expect.stringMatching(/^unknown option "SO_FOO": known are SO_REUSEADDR/) });
    expect(issue({ id: 1, option: 'SO_TYPE', value: 'SOCK_STREAM' })).toMatchObject({ field: 'option', message: expect.stringMatching(/read-only/) });
    expect(issue({ id: 1, option: 'SO_LINGER', value: { onoff: true } })).toMatchObject({ field: 'value' });
    const raw = v.parse(GetsockoptRawParams, { id: 1, level: 1, optname: 3 });
    expect(raw.maxLen).toBe(64);
    expect(v.safeParse(GetsockoptRawParams, { id: 1, level: -1, optname: 3 }).success).toBe(false);
  });
});

describe('codecs', () => {
  it('an int is 4 bytes in the platform byte order', () => {
    expect(encodeInt(65536, le)).toEqual(bytes(0, 0, 1, 0));
    expect(encodeInt(65536, be32)).toEqual(bytes(0, 1, 0, 0));
    expect(encodeInt(-1, le)).toEqual(bytes(0xff, 0xff, 0xff, 0xff));
    expect(decodeInt(bytes(0, 0, 2, 0), le)).toBe(131072);
    expect(decodeInt(bytes(7), le)).toBe(7); // Linux's one-byte IPPROTO_IP answers
    expect(() => decodeInt(bytes(1, 2), le)).toThrow(/4 bytes/);
    expect(roundTrip('SO_RCVBUF', 212992)).toBe(212992);
    expect(roundTrip('IPV6_UNICAST_HOPS', -1)).toBe(-1);
    expect(roundTrip('SO_RCVBUF', 212992, be32)).toBe(212992);
  });

  it('a bool is an int 0 or 1; any non-zero int reads as on', () => {
    expect(encodeValue(opt('TCP_NODELAY'), true, le)).toEqual(bytes(1, 0, 0, 0));
    expect(encodeValue(opt('TCP_NODELAY'), false, le)).toEqual(bytes(0, 0, 0, 0));
    expect(decodeValue(opt('SO_KEEPALIVE'), bytes(8, 0, 0, 0), le)).toBe(true);
    expect(roundTrip('SO_REUSEADDR', false)).toBe(false);
  });

  it('struct linger is two ints', () => {
    expect(encodeValue(opt('SO_LINGER'), { onoff: true, seconds: 5 }, le)).toEqual(bytes(1, 0, 0, 0, 5, 0, 0, 0));
    expect(roundTrip('SO_LINGER', { onoff: false, seconds: 0 })).toEqual({ onoff: false, seconds: 0 });
    expect(roundTrip('SO_LINGER', { onoff: true, seconds: 300 }, be32)).toEqual({ onoff: true, seconds: 300 });
    expect(sizeOf(opt('SO_LINGER'), le)).toBe(8);
  });

  it('struct timeval is two longs (8 + 8 bytes on 64-bit), shown in seconds', () => {
    const tv = encodeValue(opt('SO_RCVTIMEO'), 2.5, le);
    expect(tv).toEqual(bytes(2, 0, 0, 0, 0, 0, 0, 0, 0x20, 0xa1, 0x07, 0, 0, 0, 0, 0)); // 500000 µs = 0x07a120
    expect(sizeOf(opt('SO_RCVTIMEO'), le)).toBe(16);
    expect(roundTrip('SO_RCVTIMEO', 1.000001)).toBe(1.000001);
    expect(roundTrip('SO_SNDTIMEO', 0)).toBe(0);
    expect(encodeValue(opt('SO_SNDTIMEO'), 3.25, be32)).toEqual(bytes(0, 0, 0, 3, 0, 0x03, 0xd0, 0x90));
    expect(roundTrip('SO_SNDTIMEO', 86400, be32)).toBe(86400);
    expect(describeValue(opt('SO_RCVTIMEO'), 2.5, le)).toBe('2.5 s');
    expect(describeValue(opt('SO_RCVTIMEO'), 0, le)).toBe('0 (no timeout)');
  });

  it('enums: fixed codepoints, platform constants, and numbers without a name', () => {
    expect(encodeValue(opt('IP_TOS'), 'EF', le)).toEqual(bytes(0xb8, 0, 0, 0));
    expect(decodeValue(opt('IP_TOS'), bytes(0x28, 0, 0, 0), le)).toBe('AF11');
    expect(decodeValue(opt('IP_TOS'), bytes(0x2c, 0, 0, 0), le)).toBe(0x2c);
    expect(roundTrip('IP_TOS', 0x2c)).toBe(0x2c);
    expect(describeValue(opt('IP_TOS'), 'EF', le)).toBe('EF (0xb8)');
    expect(describeValue(opt('IP_TOS'), 0x2c, le)).toBe('0x2c');
    expect(decodeValue(opt('SO_TYPE'), bytes(1, 0, 0, 0), le)).toBe('SOCK_STREAM');
    expect(decodeValue(opt('SO_TYPE'), bytes(5, 0, 0, 0), le)).toBe('SOCK_SEQPACKET');
    expect(decodeValue(opt('SO_TYPE'), bytes(9, 0, 0, 0), le)).toBe(9);
    expect(describeValue(opt('SO_TYPE'), 'SOCK_DGRAM', le)).toBe('SOCK_DGRAM (2)');
    const bare: Layout = { ...le, constant: () => undefined };
    expect(() => encodeValue(opt('SO_TYPE'), 'SOCK_RAW', bare)).toThrow(/not defined on this platform/);
  });

  it('bytes, and text options up to the first NUL', () => {
    expect(encodeValue(opt('TCP_CONGESTION'), 'reno', le)).toEqual(bytes(0x72, 0x65, 0x6e, 0x6f));
    expect(decodeValue(opt('TCP_CONGESTION'), bytes(0x63, 0x75, 0x62, 0x69, 0x63, 0, 0, 0), le)).toBe('cubic');
    expect(describeValue(opt('TCP_CONGESTION'), 'cubic', le)).toBe('"cubic"');
    expect(sizeOf(opt('TCP_CONGESTION'), le)).toBe(16);
  });

  it('describes values in words', () => {
    expect(describeValue(opt('SO_RCVBUF'), 131072, le)).toBe('131072 bytes');
    expect(describeValue(opt('TCP_NODELAY'), true, le)).toBe('on (1)');
    expect(describeValue(opt('SO_LINGER'), { onoff: true, seconds: 5 }, le)).toBe('on, 5 s');
    expect(describeValue(opt('SO_ERROR'), 0, le)).toBe('0');
  });
});
