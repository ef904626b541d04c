// English and Simplified Chinese from the start. Socket call names, constants
// (bind, listen, AF_INET, SOCK_STREAM, SHUT_WR…), state names and errno names
// stay untranslated: they are the vocabulary of the socket API itself.
//
// vue-i18n runs with its JIT message compiler: messages are compiled to an
// AST and interpreted, never turned into code with eval/new Function, so the
// app works under a CSP without 'unsafe-eval'.
import { createI18n } from 'vue-i18n';
import en from './en.js';
import zhCN from './zh-CN.js';

export type MessageSchema = typeof en;
export type Locale = 'en' | 'zh-CN';
export const LOCALES: readonly { code: Locale; name: string }[] = [
  { code: 'en', name: 'English' },
  { code: 'zh-CN', name: '简体中文' },
];

export function pickLocale(saved: string | null, preferred: readonly string[]): Locale {
  if (saved === 'en' || saved === 'zh-CN') return saved;
  for (const l of preferred) {
    const lower = l.toLowerCase();
    if (lower.startsWith('zh')) return 'zh-CN';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

export const i18n = createI18n<[MessageSchema], Locale, false>({
  legacy: false,
  locale: 'en',
  fallbackLocale: 'en',
  messages: { en, 'zh-CN': zhCN },
  missingWarn: false,
  fallbackWarn: false,
});
