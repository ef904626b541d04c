// The import rules of DESIGN.md, enforced by `npm run lint` (dependency-cruiser
// resolves every import, type-only ones included, so it also sees cycles).
// Dependencies point one way:
//   app, serve, cli → bridge → workbench → (engine, raw, craft, workspace, automation) → core → shared
// Tests are outside the rules (they may reach anything they test).
const SRC = '^(main|renderer|shared)/';
const NOT_TEST = '\\.(test|spec)\\.ts$|\\.fixture\\.ts$|/testkit\\.ts$|/fake-transport\\.ts$';

/** `from` may import nothing of ours in main/ but what `allowed` lists (shared/ is always allowed). */
function onlyMain(name, from, allowed, comment) {
  return {
    name,
    severity: 'error',
    comment,
    from: { path: from, pathNot: NOT_TEST },
    to: { path: '^main/', pathNot: `^main/(${allowed.join('|')})/` },
  };
}

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'Dependencies point one way: a cycle (type-only imports included) means two modules are one, or one is in the wrong layer.',
      from: { path: SRC, pathNot: NOT_TEST },
      to: { circular: true },
    },
    onlyMain('core-is-a-leaf', '^main/core/', ['core'], 'main/core (clock, errors, child processes, addon loader) imports nothing of ours but shared/.'),
    onlyMain('engine-is-sessions-only', '^main/engine/', ['engine', 'core'], 'main/engine is sessions only: never the bridge, the raw helper, the crafter, the workspace or the app.'),
    onlyMain('raw-stands-alone', '^main/raw/', ['raw', 'core'], 'main/raw (the raw helper and the probes over it) needs only main/core.'),
    onlyMain('craft-over-sessions-and-raw', '^main/craft/', ['craft', 'raw', 'engine', 'core'], 'the crafter sends through the raw helper or a session, nothing else.'),
    onlyMain('workspace-stands-alone', '^main/workspace/', ['workspace', 'core'], 'main/workspace (the user\'s files) needs only main/core.'),
    onlyMain('automation-below-workbench', '^main/automation/', ['automation', 'workspace', 'engine', 'core'], 'rules and scenarios drive sessions and read the workspace; they never know the bridge.'),
    {
      name: 'workbench-below-bridge',
      severity: 'error',
      comment: 'The composition root builds the parts; only the bridge and the entry points above it may import it.',
      from: { path: '^main/(core|engine|raw|craft|workspace|automation)/', pathNot: NOT_TEST },
      to: { path: '^main/workbench\\.ts$' },
    },
    {
      name: 'bridge-over-workbench',
      severity: 'error',
      comment: 'The bridge routes to the workbench\'s handler table, never to a part directly.',
      from: { path: '^main/bridge/', pathNot: NOT_TEST },
      to: { path: '^main/(engine|raw|craft|workspace|automation|app|cli)/' },
    },
    {
      name: 'nothing-imports-entry-points',
      severity: 'error',
      comment: 'The app, browser mode and the CLI are the top: nothing below imports them.',
      from: { path: '^main/(core|engine|raw|craft|workspace|automation|bridge)/|^main/workbench\\.ts$', pathNot: NOT_TEST },
      to: { path: '^main/(app|cli)/|^main/(serve|cli|preload)\\.ts$' },
    },
    {
      name: 'electron-only-in-glue',
      severity: 'error',
      comment: 'Only main/app and main/preload.ts import electron: everything else runs under plain Node or in a browser.',
      from: { pathNot: `^main/app/|^main/preload\\.ts$|${NOT_TEST}` },
      to: { path: '^electron$|node_modules/electron/' },
    },
    {
      name: 'browser-code-has-no-node',
      severity: 'error',
      comment: 'renderer/ and shared/ run in a plain browser: no Node built-ins.',
      from: { path: '^(renderer|shared)/', pathNot: NOT_TEST },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'shared-is-shared',
      severity: 'error',
      comment: 'shared/ is plain TypeScript used by both sides: never main/, renderer/, Vue, Pinia or Electron.',
      from: { path: '^shared/', pathNot: NOT_TEST },
      to: { path: '^(main|renderer)/|^(vue|pinia|electron)$|node_modules/(vue|pinia|electron|@vue)/' },
    },
    {
      name: 'renderer-only-through-the-bridge',
      severity: 'error',
      comment: 'The renderer reaches main only through the bridge (shared/contract).',
      from: { path: '^renderer/', pathNot: NOT_TEST },
      to: { path: '^main/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist|release|test-results)/|\\.d\\.m?ts$|^main/native/build/' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.vue', '.js', '.mjs', '.cjs'], exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
