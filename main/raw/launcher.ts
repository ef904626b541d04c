// How the main process starts the raw helper: a child process with stdio
// pipes, either directly (`node [flags] helper`) or through an elevation
// tool (`pkexec node helper`), which passes our pipes through unchanged.
// Tests and the app may pass their own launcher.
import { spawn } from 'node:child_process';

export interface HelperChannel {
  readonly pid: number | undefined;
  write(frame: Uint8Array): void;
  /** Closes the helper's stdin: it exits on its own (the only way to stop one running as root). */
  end(): void;
  onData(fn: (chunk: Uint8Array) => void): void;
  /** Exactly once; spawnError when the process never started. */
  onExit(fn: (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error) => void): void;
  /** The last lines the helper (or the elevation tool) wrote to stderr. */
  stderrTail(): string;
  kill(signal: NodeJS.Signals): void;
  /** Whether the channel keeps the main process alive. */
  setRef(on: boolean): void;
}

export type HelperLauncher = (command: string, args: string[]) => HelperChannel;

const STDERR_KEEP = 4096;

export const spawnLauncher: HelperLauncher = (command, args) => {
  // No inherited environment: NODE_OPTIONS and friends must not reach a privileged process.
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: {}, windowsHide: true });
  let exited = false;
  let stderr = '';
  const exitFns: Parameters<HelperChannel['onExit']>[0][] = [];
  const exit = (code: number | null, signal: NodeJS.Signals | null, err?: Error): void => {
    if (exited) return;
    exited = true;
    for (const fn of exitFns) fn(code, signal, err);
  };
  // 'close' (not 'exit'): by then stdout has been read to the end.
  child.on('close', (code, signal) => exit(code, signal));
  child.on('error', (e) => {
    if (child.pid === undefined) exit(null, null, e);
  });
  child.stdin.on('error', () => {}); // EPIPE: the exit says why
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-STDERR_KEEP);
  });
  return {
    get pid() {
      return child.pid;
    },
    write: (frame) => {
      if (child.stdin.writable) child.stdin.write(frame);
    },
    end: () => void child.stdin.end(),
    onData: (fn) => void child.stdout.on('data', fn),
    onExit: (fn) => void exitFns.push(fn),
    stderrTail: () => stderr,
    kill: (signal) => {
      try {
        child.kill(signal);
      } catch {
        // EPERM: a helper elevated to root cannot be signalled by us.
      }
    },
    setRef: (on) => {
      for (const h of [child, child.stdin, child.stdout, child.stderr] as { ref(): void; unref(): void }[]) {
        if (on) h.ref();
        else h.unref();
      }
    },
  };
};
