// The socket worker in the desktop app: Electron's utilityProcess, a Node
// child that Electron starts itself. child_process.fork() cannot be used,
// since the runAsNode fuse is off (docs/SECURITY.md) and fork() would start
// the app again. Messages are structured-cloned, so bytes stay binary.
import { utilityProcess } from 'electron';
import type { WorkerChannel, WorkerLauncher } from '../engine/worker/channel.js';

export const utilityLauncher: WorkerLauncher = (entry, args): WorkerChannel => {
  const child = utilityProcess.fork(entry, args, { serviceName: 'Sockbench socket worker', stdio: 'inherit' });
  let exited = false;
  let killedWith: NodeJS.Signals | null = null;
  const exitFns: Parameters<WorkerChannel['onExit']>[0][] = [];
  child.on('exit', (code: number) => {
    if (exited) return;
    exited = true;
    // utilityProcess reports only a code; a kill we sent is named as its signal.
    for (const fn of exitFns) fn(killedWith ? null : code, killedWith);
  });
  return {
    get pid() {
      return child.pid;
    },
    send: (msg) => {
      if (!exited) child.postMessage(msg);
    },
    onMessage: (fn) => void child.on('message', fn),
    onExit: (fn) => void exitFns.push(fn),
    kill: (signal) => {
      killedWith = signal;
      child.kill();
    },
    // A utility process does not keep the app alive on its own: nothing to do.
    setRef: () => undefined,
  };
};
