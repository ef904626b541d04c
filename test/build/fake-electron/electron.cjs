// A stand-in for the `electron` module, so dist/app.cjs (the real bundle) can
// boot under plain Node: records what the app asks of Electron and serves one
// app:// request through the registered handler, printing JSON lines.
const { EventEmitter } = require('node:events');
const report = (what, data) => process.stdout.write(JSON.stringify({ what, ...data }) + '\n');
const handlers = new Map();

class WebContents extends EventEmitter {
  mainFrame = { url: 'app://sockbench/index.html', parent: null };
  setWindowOpenHandler() {}
  send() {}
  isDestroyed() { return false; }
}
class BrowserWindow extends EventEmitter {
  static getAllWindows() { return []; }
  constructor(options) {
    super();
    this.webContents = new WebContents();
    report('window', { webPreferences: options.webPreferences });
  }
  async loadURL(url) {
    report('loadURL', { url });
    const res = await handlers.get('app')(new Request(url));
    report('served', { status: res.status, csp: res.headers.get('content-security-policy'), body: (await res.text()).slice(0, 2000) });
    process.exit(0);
  }
  show() {}
}
const app = Object.assign(new EventEmitter(), {
  enableSandbox: () => report('enableSandbox', {}),
  requestSingleInstanceLock: () => true,
  whenReady: () => Promise.resolve(),
  quit: () => process.exit(0),
  getPath: (name) => require('node:path').join(require('node:os').tmpdir(), 'sockbench-fake-electron', name),
});
module.exports = {
  app,
  BrowserWindow,
  ipcMain: { handle: (ch) => report('ipcHandle', { channel: ch }), removeHandler() {}, on() {}, removeListener() {} },
  protocol: {
    registerSchemesAsPrivileged: (s) => report('privileged', { schemes: s }),
    handle: (scheme, fn) => handlers.set(scheme, fn),
  },
  session: { defaultSession: { setPermissionRequestHandler() {}, setPermissionCheckHandler() {}, setDevicePermissionHandler() {} } },
};
