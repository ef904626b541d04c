// Socket options by name: the catalogue, its rules and its codecs (pure TypeScript).
export * from './types.js';
export * from './catalogue.js';
export * from './rules.js';
export * from './codec.js';
