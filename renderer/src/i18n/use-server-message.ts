// A message from main or shared/ (a field error, an errno explanation, a
// trace entry's message) in the page's current language: see server-messages.ts.
import { useI18n } from 'vue-i18n';
import type { Locale } from './index.js';
import { translateMessage } from './server-messages.js';

export function useServerMessage(): (text: string) => string {
  const { locale } = useI18n();
  return (text) => translateMessage(text, locale.value as Locale);
}
