// node --require hook.cjs: resolves `electron` to the stand-in beside it.
const Module = require('node:module');
const { join } = require('node:path');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === 'electron' ? join(__dirname, 'electron.cjs') : resolve.call(this, request, ...rest);
};
