// The renderer bundle. It runs under a strict CSP (default-src 'none';
// script-src 'self'; style-src 'self'), so the build must contain no inline
// scripts or styles and nothing that evaluates strings: Vue's runtime-only
// build (templates are compiled here, at build time) and vue-i18n's JIT
// message compiler (messages become an AST that is interpreted, never eval'd).
//
// Dev: `npx vite --config renderer/vite.config.ts` with
// SOCKBENCH_DEV_BRIDGE=http://127.0.0.1:<port> (a running `npm run serve`)
// proxies /bridge to it; open the dev URL with the same #token=….
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

const devBridge = process.env.SOCKBENCH_DEV_BRIDGE;

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  publicDir: 'public',
  plugins: [vue()],
  define: {
    __VUE_OPTIONS_API__: 'false',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
    __VUE_I18N_FULL_INSTALL__: 'true',
    __VUE_I18N_LEGACY_API__: 'false',
    __INTLIFY_PROD_DEVTOOLS__: 'false',
    __INTLIFY_JIT_COMPILATION__: 'true',
    __INTLIFY_DROP_MESSAGE_COMPILER__: 'false',
  },
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    target: 'es2022',
    // Never turn assets into data: URIs or inline anything.
    assetsInlineLimit: 0,
    // Chromium supports modulepreload natively; the polyfill is not needed.
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 1024,
  },
  server: devBridge
    ? { proxy: { '/bridge': { target: devBridge, ws: true, changeOrigin: true, headers: { origin: devBridge } } } }
    : {},
});
