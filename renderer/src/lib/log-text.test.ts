import { describe, expect, it } from 'vitest';
import { encodeText, showText, TEXT_ENCODINGS, withAppendix, type TextEncodingName } from '../../../shared/codec/index.js';
import type { DataEntry } from '../../../shared/contract/index.js';
import { Ring } from '../../../shared/ring.js';
import { SAMPLES } from '../../../test/support/text-samples.js';
import { LogText, logColumns, logTextFor, toggleColumn } from './log-text.js';

const entry = (dir: 'in' | 'out', bytes: Uint8Array, tUs = 0): DataEntry => ({ id: 1, dir, tUs, bytes });
const encoded = (text: string, enc: TextEncodingName): Uint8Array => {
  const r = encodeText(text, enc);
  if (!r.ok) throw new Error(r.error.message);
  return r.bytes;
};
const ringOf = (entries: DataEntry[]) => {
  const r = new Ring<DataEntry>(10_000);
  for (const e of entries) r.push(e);
  return r;
};
const texts = (lt: LogText, ring: Ring<DataEntry>) => Array.from({ length: ring.length }, (_, i) => lt.text(ring, ring.firstSeq + i));

describe('the log text column', () => {
  it.each(TEXT_ENCODINGS)('%s: a stream split between two reads at any byte shows every character whole, once', (enc) => {
    const bytes = encoded(SAMPLES[enc], enc);
    for (let cut = 0; cut <= bytes.length; cut++) {
      // A sent chunk between the two received ones belongs to the other direction's stream.
      const ring = ringOf([entry('in', bytes.subarray(0, cut)), entry('out', encoded('ok', enc)), entry('in', bytes.subarray(cut))]);
      const [first, sent, second] = texts(new LogText(enc, true, null), ring);
      expect(first).not.toContain('\ufffd');
      expect(sent).toBe('ok');
      expect(first! + second!).toBe(showText(SAMPLES[enc]));
    }
  });

  it('reads rows drawn from the middle of a long log as the whole stream does', () => {
    const bytes = encoded('你好，世界'.repeat(400), 'gbk');
    // Three-byte reads: every other one splits a character.
    const entries: DataEntry[] = [];
    for (let i = 0; i < bytes.length; i += 3) entries.push(entry('in', bytes.subarray(i, i + 3)));
    const ring = ringOf(entries);
    const all = texts(new LogText('gbk', true, null), ring);
    expect(all.join('')).toBe('你好，世界'.repeat(400));
    // A view that starts far down (a flood, a scroll) decodes only what it shows and gets the same rows.
    const late = new LogText('gbk', true, null);
    const at = ring.firstSeq + 700;
    expect([late.text(ring, at), late.text(ring, at + 1), late.text(ring, at + 2)]).toEqual(all.slice(700, 703));
  });

  it('decodes each datagram alone', () => {
    const [a, b] = [encoded('中', 'utf-8'), encoded('文', 'utf-8')];
    const ring = ringOf([entry('in', a.subarray(0, 2)), entry('in', Uint8Array.of(a[2]!, ...b))]);
    expect(texts(new LogText('utf-8', false, null), ring)).toEqual(['\ufffd', '\ufffd文']);
  });

  it('shows controls as escapes, on one line', () => {
    const ring = ringOf([entry('in', encoded('OK\r\n', 'utf-8'))]);
    expect(new LogText('utf-8', true, null).text(ring, 0)).toBe('OK\\r\\n');
  });

  it('marks received frames that end in a valid checksum of the chosen kind', () => {
    const frame = withAppendix(Uint8Array.of(1, 3, 0, 0, 0, 10), 'crc16-modbus');
    const lt = new LogText('utf-8', true, 'crc16-modbus');
    expect(lt.checksumOk(entry('in', frame))).toBe(true);
    expect(lt.checksumOk(entry('in', frame.subarray(0, 7)))).toBe(false);
    expect(lt.checksumOk(entry('out', frame))).toBe(false);
    expect(new LogText('utf-8', true, 'crc32').checksumOk(entry('in', frame))).toBe(false);
  });

  it('keeps one decoder per log until the encoding or checksum changes', () => {
    const ring = ringOf([]);
    const a = logTextFor(ring, 'gbk', true, null);
    expect(logTextFor(ring, 'gbk', true, null)).toBe(a);
    expect(logTextFor(ring, 'big5', true, null)).not.toBe(a);
  });

  it('never hides both the hex and the text column', () => {
    toggleColumn('hex');
    expect({ ...logColumns }).toEqual({ hex: false, text: true });
    toggleColumn('text');
    expect({ ...logColumns }).toEqual({ hex: true, text: false });
    toggleColumn('text');
    expect({ ...logColumns }).toEqual({ hex: true, text: true });
  });
});
