// The Electron glue with a mocked `electron`: every security setting the
// window, its contents, the session and the app scheme get.
import type { EventEmitter } from 'node:events';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';

const calls = vi.hoisted(() => ({
  windows: [] as { options: Record<string, unknown>; loaded: string[]; contents: unknown }[],
  privileged: [] as unknown[],
  handlers: new Map<string, (req: Request) => Promise<Response>>(),
  ipcHandlers: new Map<string, unknown>(),
  enableSandbox: 0,
  permissionRequest: undefined as undefined | ((wc: unknown, permission: string, cb: (ok: boolean) => void) => void),
  permissionCheck: undefined as undefined | (() => boolean),
  deviceCheck: undefined as undefined | (() => boolean),
  utilityForks: [] as { entry: string; args: string[]; options: Record<string, unknown>; child: unknown }[],
}));

vi.mock('electron', async () => {
  const { EventEmitter } = await import('node:events');
  class FakeContents extends EventEmitter {
    mainFrame = { url: '', parent: null };
    openHandler?: (details: { url: string }) => { action: string };
    setWindowOpenHandler(fn: (details: { url: string }) => { action: string }) {
      this.openHandler = fn;
    }
    send() {}
    isDestroyed() {
      return false;
    }
  }
  class BrowserWindow extends EventEmitter {
    static all: BrowserWindow[] = [];
    static getAllWindows = () => BrowserWindow.all;
    webContents = new FakeContents();
    record: { options: Record<string, unknown>; loaded: string[]; contents: unknown };
    constructor(options: Record<string, unknown>) {
      super();
      this.record = { options, loaded: [], contents: this.webContents };
      calls.windows.push(this.record);
      BrowserWindow.all.push(this);
      app.emit('web-contents-created', {}, this.webContents);
    }
    async loadURL(url: string) {
      this.record.loaded.push(url);
    }
    show() {}
  }
  const app = Object.assign(new EventEmitter(), {
    enableSandbox: () => void calls.enableSandbox++,
    requestSingleInstanceLock: () => true,
    whenReady: () => Promise.resolve(),
    quit: () => undefined,
    getPath: (name: string) => `/tmp/sockbench-fake-electron/${name}`,
  });
  class FakeUtility extends EventEmitter {
    pid = 4242;
    posted: unknown[] = [];
    killed = 0;
    postMessage(m: unknown) {
      this.posted.push(m);
    }
    kill() {
      this.killed++;
      setImmediate(() => this.emit('exit', 0));
      return true;
    }
  }
  const utilityProcess = {
    fork: (entry: string, args: string[], options: Record<string, unknown>) => {
      const child = new FakeUtility();
      calls.utilityForks.push({ entry, args, options, child });
      return child;
    },
  };
  return {
    app,
    utilityProcess,
    BrowserWindow,
    ipcMain: {
      handle: (ch: string, fn: unknown) => calls.ipcHandlers.set(ch, fn),
      removeHandler: (ch: string) => calls.ipcHandlers.delete(ch),
      on: () => undefined,
      removeListener: () => undefined,
    },
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown[]) => calls.privileged.push(...schemes),
      handle: (scheme: string, fn: (req: Request) => Promise<Response>) => calls.handlers.set(scheme, fn),
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (fn: typeof calls.permissionRequest) => (calls.permissionRequest = fn),
        setPermissionCheckHandler: (fn: () => boolean) => (calls.permissionCheck = fn),
        setDevicePermissionHandler: (fn: () => boolean) => (calls.deviceCheck = fn),
      },
    },
  };
});

type Contents = EventEmitter & { openHandler?: (d: { url: string }) => { action: string } };

function navigate(contents: Contents, event: string, url: string): boolean {
  let prevented = false;
  const ev = { url, preventDefault: () => void (prevented = true) };
  contents.emit(event, ev, url);
  return prevented;
}

describe('Electron app (mocked electron)', () => {
  let dist: string;
  beforeAll(async () => {
    dist = mkdtempSync(join(tmpdir(), 'sockbench-dist-'));
    mkdirSync(join(dist, 'renderer', 'assets'), { recursive: true });
    writeFileSync(join(dist, 'renderer', 'index.html'), '<!doctype html><title>Sockbench</title>');
    writeFileSync(join(dist, 'renderer', 'assets', 'app.js'), 'export {}');
    writeFileSync(join(dist, 'secret.txt'), 'outside the renderer');
    const { startApp } = await import('./index.js');
    startApp(dist);
    await vi.waitFor(() => expect(calls.windows).toHaveLength(1));
  });

  it('enables the sandbox for every renderer and registers app:// as a secure standard scheme before ready', () => {
    expect(calls.enableSandbox).toBe(1);
    expect(calls.privileged).toEqual([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
  });

  it('opens the window isolated, sandboxed, without Node, with the preload from dist/', () => {
    const prefs = calls.windows[0]!.options.webPreferences as Record<string, unknown>;
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      preload: join(dist, 'preload.cjs'),
    });
  });

  it('loads the page from app://sockbench, never file://', () => {
    expect(calls.windows[0]!.loaded).toEqual(['app://sockbench/index.html']);
  });

  it('denies window.open and blocks navigation, redirects and webviews that leave the app', () => {
    const contents = calls.windows[0]!.contents as Contents;
    expect(contents.openHandler!({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    expect(contents.openHandler!({ url: 'app://sockbench/index.html' })).toEqual({ action: 'deny' });
    expect(navigate(contents, 'will-navigate', 'https://evil.example/')).toBe(true);
    expect(navigate(contents, 'will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(navigate(contents, 'will-redirect', 'http://127.0.0.1:8080/')).toBe(true);
    expect(navigate(contents, 'will-frame-navigate', 'https://evil.example/')).toBe(true);
    expect(navigate(contents, 'will-navigate', 'app://sockbench/index.html')).toBe(false);
    expect(navigate(contents, 'will-attach-webview', 'app://sockbench/index.html')).toBe(true);
  });

  it('denies every permission request and check', () => {
    const answers: boolean[] = [];
    for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read']) calls.permissionRequest!({}, p, (ok) => answers.push(ok));
    expect(answers).toEqual([false, false, false, false]);
    expect(calls.permissionCheck!()).toBe(false);
    expect(calls.deviceCheck!()).toBe(false);
  });

  it('answers the renderer over the one IPC channel', () => {
    expect([...calls.ipcHandlers.keys()]).toEqual(['sockbench:call']);
  });

  it('serves app:// from dist/renderer with the CSP and nosniff, and nothing outside it', async () => {
    const serve = calls.handlers.get('app')!;
    const page = await serve(new Request('app://sockbench/index.html'));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect((await serve(new Request('app://sockbench/assets/app.js'))).headers.get('content-type')).toMatch(/javascript/);
    for (const url of [
      'app://sockbench/../secret.txt',
      'app://sockbench/%2e%2e/secret.txt',
      'app://sockbench/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
      'app://sockbench/..%5csecret.txt',
      'app://other/index.html',
      'app://sockbench/missing.js',
    ]) {
      expect((await serve(new Request(url))).status, url).toBe(404);
    }
  });
});

describe('the socket worker in the desktop app (mocked electron)', () => {
  it('is started with utilityProcess (the runAsNode fuse is off), and messages, exit and kill pass through', async () => {
    const { utilityLauncher } = await import('./worker-launcher.js');
    const ch = utilityLauncher('/app/dist/socket-worker.cjs', ['--generation=1'], []);
    const fork = calls.utilityForks.at(-1)!;
    expect(fork.entry).toBe('/app/dist/socket-worker.cjs');
    expect(fork.args).toEqual(['--generation=1']);
    const child = fork.child as EventEmitter & { posted: unknown[]; killed: number };
    expect(ch.pid).toBe(4242);
    ch.send({ rid: 1, op: 'socket', args: ['AF_UNIX', 'SOCK_DGRAM'] });
    expect(child.posted).toEqual([{ rid: 1, op: 'socket', args: ['AF_UNIX', 'SOCK_DGRAM'] }]);
    const got: unknown[] = [];
    ch.onMessage((m) => got.push(m));
    child.emit('message', { event: 'ready', pid: 4242 });
    expect(got).toEqual([{ event: 'ready', pid: 4242 }]);
    const exit = new Promise<[number | null, string | null]>((r) => ch.onExit((code, signal) => r([code, signal])));
    ch.kill('SIGKILL');
    expect(await exit).toEqual([null, 'SIGKILL']);
    expect(child.killed).toBe(1);
    ch.send({ ack: 1 }); // after exit: dropped, not thrown
    expect(child.posted).toHaveLength(1);
  });

  it('a SocketWorker under Electron without a launcher refuses plainly instead of forking the app', async () => {
    const { SocketWorker } = await import('../engine/worker/socket-worker.js');
    const versions = process.versions as Record<string, string | undefined>;
    versions.electron = '45.0.0';
    try {
      const sw = new SocketWorker({ entry: '/nonexistent/socket-worker.cjs' });
      await expect(sw.socket('AF_UNIX', 'SOCK_DGRAM')).rejects.toThrow(/needs a launcher under Electron/);
    } finally {
      delete versions.electron;
    }
  });
});
