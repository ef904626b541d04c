// What may be appended to a message on send: a checksum over its bytes (as
// serial-over-TCP and Modbus devices expect one on every frame) or a line
// ending. The composer, the CLI (--append), saved packets, rules' replies
// and scenarios' send all use this one module. Byte order of the CRCs is
// their protocols' own: CRC-16/MODBUS low byte first (Modbus RTU), the
// others high byte first, so the bytes read like the usual check values.

export const APPEND_NAMES = [
  'crc16-modbus', 'crc16-ccitt-false', 'crc16-xmodem', 'crc32', 'sum8', 'xor8', 'lrc', 'cr', 'lf', 'crlf',
] as const;
export type AppendName = (typeof APPEND_NAMES)[number];

/** The appendices that are checksums of the message (a received frame can be checked against them). */
export const CHECKSUM_NAMES = ['crc16-modbus', 'crc16-ccitt-false', 'crc16-xmodem', 'crc32', 'sum8', 'xor8', 'lrc'] as const;
export type ChecksumName = (typeof CHECKSUM_NAMES)[number];

export const isAppendName = (name: string): name is AppendName => (APPEND_NAMES as readonly string[]).includes(name);
export const isChecksum = (name: string): name is ChecksumName => (CHECKSUM_NAMES as readonly string[]).includes(name);

/** How each is shown in a list. */
export const APPEND_LABELS: Readonly<Record<AppendName, string>> = {
  'crc16-modbus': 'CRC-16/MODBUS',
  'crc16-ccitt-false': 'CRC-16/CCITT-FALSE',
  'crc16-xmodem': 'CRC-16/XMODEM',
  crc32: 'CRC-32',
  sum8: 'SUM-8',
  xor8: 'XOR-8',
  lrc: 'LRC',
  cr: '\\r (CR)',
  lf: '\\n (LF)',
  crlf: '\\r\\n (CRLF)',
};

/**
 * A table-driven CRC (the Rocksoft model, as the CRC catalogue describes
 * each algorithm: width, polynomial, init, reflected in and out, final xor).
 */
function crc(width: 16 | 32, poly: number, init: number, reflected: boolean, xorOut: number): (data: Uint8Array) => number {
  const mask = width === 32 ? 0xffffffff : 0xffff;
  const top = 1 << (width - 1);
  // Reflected algorithms shift right with the reversed polynomial.
  const rpoly = reflected ? reverseBits(poly, width) : poly;
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = reflected ? n : n << (width - 8);
    for (let k = 0; k < 8; k++) {
      if (reflected) c = c & 1 ? (c >>> 1) ^ rpoly : c >>> 1;
      else c = c & top ? ((c << 1) ^ poly) & mask : (c << 1) & mask;
    }
    table[n] = c >>> 0;
  }
  return (data) => {
    let c = init;
    if (reflected) for (let i = 0; i < data.length; i++) c = (c >>> 8) ^ table[(c ^ data[i]!) & 0xff]!;
    else for (let i = 0; i < data.length; i++) c = ((c << 8) & mask) ^ table[((c >>> (width - 8)) ^ data[i]!) & 0xff]!;
    return ((c ^ xorOut) & mask) >>> 0;
  };
}

function reverseBits(v: number, width: number): number {
  let r = 0;
  for (let i = 0; i < width; i++) if (v & (2 ** i)) r += 2 ** (width - 1 - i);
  return r;
}

const crc16Modbus = crc(16, 0x8005, 0xffff, true, 0);
const crc16CcittFalse = crc(16, 0x1021, 0xffff, false, 0);
const crc16Xmodem = crc(16, 0x1021, 0x0000, false, 0);
const crc32 = crc(32, 0x04c11db7, 0xffffffff, true, 0xffffffff);

function sum8(data: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < data.length; i++) s = (s + data[i]!) & 0xff;
  return s;
}

function xor8(data: Uint8Array): number {
  let x = 0;
  for (let i = 0; i < data.length; i++) x ^= data[i]!;
  return x;
}

const be16 = (v: number) => Uint8Array.of(v >>> 8, v & 0xff);
const le16 = (v: number) => Uint8Array.of(v & 0xff, v >>> 8);
const be32 = (v: number) => Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);

const APPENDIX: Readonly<Record<AppendName, (data: Uint8Array) => Uint8Array>> = {
  'crc16-modbus': (d) => le16(crc16Modbus(d)),
  'crc16-ccitt-false': (d) => be16(crc16CcittFalse(d)),
  'crc16-xmodem': (d) => be16(crc16Xmodem(d)),
  crc32: (d) => be32(crc32(d)),
  sum8: (d) => Uint8Array.of(sum8(d)),
  xor8: (d) => Uint8Array.of(xor8(d)),
  // Modbus ASCII's LRC: the two's complement of the byte sum, so all bytes with it sum to 0.
  lrc: (d) => Uint8Array.of((0x100 - sum8(d)) & 0xff),
  cr: () => Uint8Array.of(0x0d),
  lf: () => Uint8Array.of(0x0a),
  crlf: () => Uint8Array.of(0x0d, 0x0a),
};

/** How many bytes each appends. */
export const APPENDIX_LENGTH: Readonly<Record<AppendName, number>> = {
  'crc16-modbus': 2, 'crc16-ccitt-false': 2, 'crc16-xmodem': 2, crc32: 4, sum8: 1, xor8: 1, lrc: 1, cr: 1, lf: 1, crlf: 2,
};

/** The bytes `name` appends to `data`. */
export function appendix(data: Uint8Array, name: AppendName): Uint8Array {
  return APPENDIX[name](data);
}

/** `data` followed by what `name` appends (a copy; `data` is untouched). */
export function withAppendix(data: Uint8Array, name: AppendName): Uint8Array {
  const tail = appendix(data, name);
  const out = new Uint8Array(data.length + tail.length);
  out.set(data);
  out.set(tail, data.length);
  return out;
}

/** Whether a frame ends in a valid checksum of the kind `name` over the bytes before it (at least one). */
export function endsWithChecksum(frame: Uint8Array, name: ChecksumName): boolean {
  const n = APPENDIX_LENGTH[name];
  if (frame.length <= n) return false;
  const tail = appendix(frame.subarray(0, frame.length - n), name);
  for (let i = 0; i < n; i++) if (frame[frame.length - n + i] !== tail[i]) return false;
  return true;
}
