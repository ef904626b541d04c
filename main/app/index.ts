// The Electron main process: one workbench owns every socket; one window
// shows it. The security rules live in security.ts; main.ts is the bundle entry.
import { app, BrowserWindow, session } from 'electron';
import { join } from 'node:path';
import { createRouter } from '../bridge/router.js';
import { Workbench, workspaceConfig } from '../workbench.js';
import { takeWorkspaceFlag } from '../workspace/paths.js';
import { handleAppScheme, registerAppScheme } from './app-protocol.js';
import { denyPermissions, hardenContents } from './security.js';
import { createMainWindow } from './window.js';
import { utilityLauncher } from './worker-launcher.js';

export function startApp(distDir: string): void {
  app.enableSandbox();
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  registerAppScheme();
  app.on('web-contents-created', (_event, contents) => hardenContents(contents));

  // --workspace DIR (npm start passes it through), else $SOCKBENCH_WORKSPACE, else the folder last chosen in the app, else userData/workspace.
  const flag = takeWorkspaceFlag(process.argv.slice(1));
  const workspace = workspaceConfig('workspace' in flag ? flag.workspace : undefined, join(app.getPath('userData'), 'workspace'), { remember: true });
  const workbench = new Workbench({ worker: { launch: utilityLauncher }, workspace });
  const router = createRouter(workbench);
  const preload = join(distDir, 'preload.cjs');
  const openWindow = (): BrowserWindow => createMainWindow({ preload, router });

  app.on('second-instance', () => {
    const [win] = BrowserWindow.getAllWindows();
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) openWindow();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('will-quit', () => {
    void workbench.close();
  });

  void app.whenReady().then(() => {
    denyPermissions(session.defaultSession);
    handleAppScheme(join(distDir, 'renderer'));
    openWindow();
  });
}
