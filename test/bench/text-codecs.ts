// Throughput of the text codecs where it matters: encoding what the composer
// sends (it re-parses the whole text on every keystroke), decoding received
// streams (the CLI's --encoding prints every chunk; the log decodes the rows
// it draws), and the log's worst case, a whole ring of small reads decoded
// at once. Figures only, never pass/fail.
// Alone: node --import tsx test/bench/text-codecs.ts
import { encodeText, parseEscapedText, streamDecoder, type TextEncodingName } from '../../shared/codec/index.js';
import type { DataEntry } from '../../shared/contract/index.js';
import { Ring } from '../../shared/ring.js';
import { LogText } from '../../renderer/src/lib/log-text.js';
import { median } from './stats.js';

export interface TextCodecFigure {
  name: string;
  /** MB/s for throughputs, ms for the one-off cases. */
  value: number;
  unit: 'MB/s' | 'ms';
}

const SAMPLE: Record<string, string> = {
  'utf-8': 'Hello, 世界! こんにちは 한국어 café 😀 ',
  gbk: 'Hello, 你好，世界！中文 GBK 测试 ',
  shift_jis: 'Hello, 日本語 こんにちは カタカナ ',
  'utf-16le': 'Hello, 世界! こんにちは 한국어 café 😀 ',
};

/** Median over `runs` of the time fn takes, in ms. */
function timeMs(fn: () => void, runs: number): number {
  // Warm up the JIT (and the decoders' tables): a few calls, at least 100 ms.
  const warm = performance.now();
  for (let i = 0; i < 10 || performance.now() - warm < 100; i++) fn();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  return median(t);
}

export function textCodecThroughput(runs = 5): TextCodecFigure[] {
  const out: TextCodecFigure[] = [];
  for (const [enc, unit] of Object.entries(SAMPLE) as [TextEncodingName, string][]) {
    const text = unit.repeat(Math.ceil(65_536 / unit.length));
    const r = encodeText(text, enc);
    if (!r.ok) throw new Error(r.error.message);
    const bytes = r.bytes;
    const ms = timeMs(() => void encodeText(text, enc), runs * 4);
    out.push({ name: `encode ${enc}, 64 KiB of text`, value: bytes.length / 1e3 / ms, unit: 'MB/s' });
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += 1460) chunks.push(bytes.subarray(i, i + 1460));
    if (enc === 'utf-8') {
      // The anchor: the platform's decoder alone on the same reads.
      const nms = timeMs(() => {
        const d = new TextDecoder('utf-8');
        for (const c of chunks) d.decode(c, { stream: true });
        d.decode();
      }, runs * 4);
      out.push({ name: 'anchor: the platform TextDecoder on the same utf-8 reads', value: bytes.length / 1e3 / nms, unit: 'MB/s' });
    }
    const dms = timeMs(() => {
      const d = streamDecoder(enc);
      for (const c of chunks) d.write(c);
      d.end();
    }, runs * 4);
    out.push({ name: `stream-decode ${enc}, 1460-byte reads`, value: bytes.length / 1e3 / dms, unit: 'MB/s' });
  }

  // The composer: 1 MB of text with an escape every ~40 characters, parsed whole (as on each keystroke).
  const composed = 'GET /中文/index.html HTTP/1.1 Host: é\\r\\n'.repeat(25_000);
  out.push({ name: 'composer: parse 1 MB of text with escapes (utf-8)', value: timeMs(() => void parseEscapedText(composed, 'utf-8'), runs), unit: 'ms' });
  out.push({ name: 'composer: parse 1 MB of text with escapes (gbk)', value: timeMs(() => void parseEscapedText(composed, 'gbk'), runs), unit: 'ms' });

  // The log's worst case: a full ring (5,000 reads of 64 B of GBK) decoded at once.
  const gbk = (encodeText(SAMPLE.gbk!.repeat(10_000), 'gbk') as { bytes: Uint8Array }).bytes;
  const ring = new Ring<DataEntry>(5000);
  for (let i = 0; i < 5000; i++) ring.push({ id: 1, dir: 'in', tUs: i, bytes: gbk.subarray(i * 64, i * 64 + 64) });
  out.push({
    name: 'data log: text of 5,000 rows of 64 B (gbk), decoded in order',
    value: timeMs(() => {
      const lt = new LogText('gbk', true, null);
      for (let s = 0; s < 5000; s++) lt.text(ring, s);
    }, runs),
    unit: 'ms',
  });
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const f of textCodecThroughput()) console.log(`${f.name}: ${f.value.toFixed(f.unit === 'ms' ? 1 : 0)} ${f.unit}`);
}
