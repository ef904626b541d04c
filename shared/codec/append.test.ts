import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { APPEND_NAMES, appendix, CHECKSUM_NAMES, endsWithChecksum, toHex, withAppendix, type AppendName } from './index.js';

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const CHECK = ascii('123456789');

/**
 * Bit-at-a-time CRCs straight from the definition (no table), to check the
 * table-driven ones on random data.
 */
function bitwiseCrc(data: Uint8Array, width: number, poly: bigint, init: bigint, reflected: boolean, xorOut: bigint): bigint {
  const top = 1n << BigInt(width - 1);
  const mask = (1n << BigInt(width)) - 1n;
  const reflect = (v: bigint, bits: number) => {
    let r = 0n;
    for (let i = 0; i < bits; i++) if ((v >> BigInt(i)) & 1n) r |= 1n << BigInt(bits - 1 - i);
    return r;
  };
  let c = init;
  for (const byte of data) {
    const b = reflected ? reflect(BigInt(byte), 8) : BigInt(byte);
    c ^= b << BigInt(width - 8);
    for (let k = 0; k < 8; k++) c = c & top ? ((c << 1n) ^ poly) & mask : (c << 1n) & mask;
  }
  if (reflected) c = reflect(c, width);
  return c ^ xorOut;
}

const MODELS: Partial<Record<AppendName, { width: number; poly: bigint; init: bigint; reflected: boolean; xorOut: bigint; littleEndian: boolean }>> = {
  'crc16-modbus': { width: 16, poly: 0x8005n, init: 0xffffn, reflected: true, xorOut: 0n, littleEndian: true },
  'crc16-ccitt-false': { width: 16, poly: 0x1021n, init: 0xffffn, reflected: false, xorOut: 0n, littleEndian: false },
  'crc16-xmodem': { width: 16, poly: 0x1021n, init: 0n, reflected: false, xorOut: 0n, littleEndian: false },
  crc32: { width: 32, poly: 0x04c11db7n, init: 0xffffffffn, reflected: true, xorOut: 0xffffffffn, littleEndian: false },
};

describe('checksums appended on send', () => {
  it.each([
    // The CRC catalogue's check values (CRC of "123456789"), in each protocol's byte order.
    ['crc16-modbus', '374b'], // 0x4B37, low byte first as Modbus RTU sends it
    ['crc16-ccitt-false', '29b1'], // CRC-16/IBM-3740
    ['crc16-xmodem', '31c3'],
    ['crc32', 'cbf43926'],
    ['sum8', 'dd'], // 0x1DD mod 256
    ['xor8', '31'],
    ['lrc', '23'], // 0x100 - 0xDD
    ['cr', '0d'],
    ['lf', '0a'],
    ['crlf', '0d0a'],
  ] as const)('%s of "123456789" is %s', (name, expected) => {
    expect(toHex(appendix(CHECK, name), '')).toBe(expected);
  });

  it('gives the frames Modbus documents', () => {
    // Read 10 holding registers from unit 1 (RTU), and the LRC of a Modbus ASCII request.
    expect(toHex(withAppendix(Uint8Array.of(0x01, 0x03, 0x00, 0x00, 0x00, 0x0a), 'crc16-modbus'))).toBe('01 03 00 00 00 0a c5 cd');
    expect(toHex(appendix(Uint8Array.of(0x01, 0x03, 0x00, 0x00, 0x00, 0x01), 'lrc'))).toBe('fb');
  });

  it.each(Object.keys(MODELS) as AppendName[])('%s agrees with a bit-at-a-time CRC on random data', (name) => {
    const m = MODELS[name]!;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (data) => {
        const v = bitwiseCrc(data, m.width, m.poly, m.init, m.reflected, m.xorOut);
        const bytes = Array.from({ length: m.width / 8 }, (_, i) => Number((v >> BigInt(8 * (m.width / 8 - 1 - i))) & 0xffn));
        if (m.littleEndian) bytes.reverse();
        expect([...appendix(data, name)]).toEqual(bytes);
      }),
      { numRuns: 200 },
    );
  });

  it('appends without touching the message', () => {
    const data = ascii('AB');
    const out = withAppendix(data, 'crc32');
    expect(out.length).toBe(6);
    expect([...data]).toEqual([0x41, 0x42]);
    for (const name of APPEND_NAMES) expect(withAppendix(new Uint8Array(0), name).length).toBe(appendix(new Uint8Array(0), name).length);
  });

  it.each(CHECKSUM_NAMES)('%s: a frame is recognised by its valid checksum, and a changed byte breaks it', (name) => {
    const frame = withAppendix(ascii('hello, device'), name);
    expect(endsWithChecksum(frame, name)).toBe(true);
    const broken = frame.slice();
    broken[2]! ^= 0x01;
    expect(endsWithChecksum(broken, name)).toBe(false);
    // A frame that is only a checksum long carries no message to check.
    expect(endsWithChecksum(frame.subarray(frame.length - appendix(frame, name).length), name)).toBe(false);
  });
});
