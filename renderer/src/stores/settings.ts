// Person-level preferences, kept in localStorage.
import { defineStore } from 'pinia';
import { ref, watch } from 'vue';
import { i18n, pickLocale, type Locale } from '../i18n/index.js';
import { storageGet, storageSet } from '../lib/storage.js';

const LOCALE_KEY = 'sockbench.locale';

export const useSettings = defineStore('settings', () => {
  const locale = ref<Locale>(pickLocale(storageGet('local', LOCALE_KEY), navigator.languages));
  watch(
    locale,
    (l) => {
      i18n.global.locale.value = l;
      document.documentElement.lang = l;
      storageSet('local', LOCALE_KEY, l);
    },
    { immediate: true },
  );
  return { locale };
});
