// How the main process reaches the worker process: a forked Node child
// (plain Node: tests, browser mode, CLI) or, in the desktop app, whatever the
// Electron glue supplies (utilityProcess: with the runAsNode fuse off, fork()
// would start the app itself). The engine never imports Electron.
import { fork } from 'node:child_process';

export interface WorkerChannel {
  readonly pid: number | undefined;
  send(msg: object): void;
  onMessage(fn: (msg: unknown) => void): void;
  /** Exactly once; spawnError when the process never started. */
  onExit(fn: (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error) => void): void;
  kill(signal: NodeJS.Signals): void;
  /** Whether the channel keeps the main process alive. */
  setRef(on: boolean): void;
}

export type WorkerLauncher = (entry: string, args: string[], execArgv: string[]) => WorkerChannel;

export const forkLauncher: WorkerLauncher = (entry, args, execArgv) => {
  const child = fork(entry, args, { serialization: 'advanced', execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let exited = false;
  const exitFns: Parameters<WorkerChannel['onExit']>[0][] = [];
  const exit = (code: number | null, signal: NodeJS.Signals | null, err?: Error): void => {
    if (exited) return;
    exited = true;
    for (const fn of exitFns) fn(code, signal, err);
  };
  child.on('exit', (code, signal) => exit(code, signal));
  // A failed spawn may never emit 'exit'.
  child.on('error', (e) => {
    if (child.pid === undefined) exit(null, null, e);
  });
  return {
    get pid() {
      return child.pid;
    },
    send: (msg) => {
      // A failed send means the worker is going; its exit rejects the call.
      if (child.connected) child.send(msg, () => {});
    },
    onMessage: (fn) => void child.on('message', fn),
    onExit: (fn) => void exitFns.push(fn),
    kill: (signal) => void child.kill(signal),
    setRef: (on) => {
      if (on) child.ref();
      else child.unref();
      const ch = child.channel;
      if (ch) (on ? ch.ref : ch.unref).call(ch);
    },
  };
};
