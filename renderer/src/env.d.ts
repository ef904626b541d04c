// For plain `tsc -b`, which cannot read .vue files: components are typed
// loosely there. `vue-tsc -p renderer/tsconfig.json` resolves the real .vue
// files (their exact props and emits) before this fallback applies.
declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}
