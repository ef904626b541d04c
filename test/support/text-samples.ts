// Per encoding, a sample with what it holds of CJK, kana, hangul, accents
// and emoji, where Python's codec of that name and the WHATWG tables agree
// (they differ on a handful of characters, e.g. Python's 'gbk' has no € while
// Windows' GBK (cp936) and ours put it at 0x80). Used by the codec's unit
// tests and by the peer tests that compare with Python's str.encode.
import type { TextEncodingName } from '../../shared/codec/index.js';

export const SAMPLES: Record<TextEncodingName, string> = {
  'utf-8': 'Hi 你好，世界 こんにちは カタカナ 한국어 café naïve 😀',
  gbk: 'Hi 你好，世界 こんにちは カタカナ café',
  gb18030: 'Hi 你好，世界 こんにちは カタカナ 한국어 café naïve 😀',
  big5: 'Hi 中文測試，繁體字',
  shift_jis: 'Hi 日本語 こんにちは カタカナ',
  'euc-jp': 'Hi 日本語 こんにちは カタカナ',
  'euc-kr': 'Hi 한국어 漢字 こんにちは',
  'utf-16le': 'Hi 你好，世界 こんにちは カタカナ 한국어 café naïve 😀',
  'utf-16be': 'Hi 你好，世界 こんにちは カタカナ 한국어 café naïve 😀',
  'windows-1252': 'Hi café naïve € “quotes” ½',
  latin1: 'Hi café naïve ½ ÿ',
};

/** Python's name for each. */
export const PYTHON_CODECS: Record<TextEncodingName, string> = {
  'utf-8': 'utf-8', gbk: 'gbk', gb18030: 'gb18030', big5: 'big5', shift_jis: 'shift_jis', 'euc-jp': 'euc_jp', 'euc-kr': 'euc_kr',
  'utf-16le': 'utf-16-le', 'utf-16be': 'utf-16-be', 'windows-1252': 'cp1252', latin1: 'latin-1',
};
