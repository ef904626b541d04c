export * from './craft/index.js';
