// The workbench window. Its page comes from app://, its only link to main is
// the preload's bridge object, checked on every call by the IPC transport.
import { BrowserWindow, ipcMain } from 'electron';
import { attachIpcTransport } from '../bridge/ipc-transport.js';
import type { Router } from '../bridge/router.js';
import { APP_ENTRY, isTrustedUrl, webPreferences } from './security.js';

// Matches --bg in renderer/src/styles/main.css, so no white flash on open.
const BACKGROUND = '#16181c';

export function createMainWindow(opts: { preload: string; router: Router }): BrowserWindow {
  const win = new BrowserWindow({
    title: 'Sockbench',
    width: 1280,
    height: 800,
    minWidth: 960,
    minHeight: 600,
    show: false,
    backgroundColor: BACKGROUND,
    webPreferences: webPreferences(opts.preload),
  });
  attachIpcTransport({ ipcMain, webContents: win.webContents, router: opts.router, isTrustedUrl });
  win.once('ready-to-show', () => win.show());
  void win.loadURL(APP_ENTRY);
  return win;
}
