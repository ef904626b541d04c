// Entry of dist/app.cjs (package.json "main"). Bundled as CommonJS, so
// __dirname is dist/, beside preload.cjs and renderer/.
import { startApp } from './index.js';

startApp(__dirname);
