// How the main process starts the raw helper: a child process with stdio
// pipes, either directly (`node [flags] helper`) or through an elevation
// tool (`pkexec node helper`), which passes our pipes through unchanged.
// Where the elevated helper cannot inherit our pipes (the macOS admin prompt,
// UAC), connectBack(): the helper connects to a socket of ours and proves
// with a one-time token that it is the process we had started.
// Tests and the app may pass their own launcher.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
  /** Something refused on the way (connect-back: a connection with a wrong token, a second connection). */
  onWarning?(fn: (message: string) => void): void;
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
  const { stdin, stdout, stderr: errPipe } = child;
  if (!stdin || !stdout || !errPipe) {
    // No pipes: spawn failed at once (EMFILE at the open-files limit); its 'error' event, next, says why.
    return deadChannel((fn) => void exitFns.push(fn));
  }
  stdin.on('error', () => {}); // EPIPE: the exit says why
  errPipe.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-STDERR_KEEP);
  });
  return {
    get pid() {
      return child.pid;
    },
    write: (frame) => {
      if (stdin.writable) stdin.write(frame);
    },
    end: () => void stdin.end(),
    onData: (fn) => void stdout.on('data', fn),
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
      for (const h of [child, stdin, stdout, errPipe] as { ref(): void; unref(): void }[]) {
        if (on) h.ref();
        else h.unref();
      }
    },
  };
};

/** A helper that never started: nothing to write to; `onExit` learns the spawn error. */
function deadChannel(onExit: HelperChannel['onExit']): HelperChannel {
  return {
    pid: undefined,
    write: () => undefined,
    end: () => undefined,
    onData: () => undefined,
    onExit,
    stderrTail: () => '',
    kill: () => undefined,
    setRef: () => undefined,
  };
}

// ---------------- connect-back ----------------

/** The token: 32 random bytes, sent by the helper as 64 lowercase hex digits. */
const TOKEN_BYTES = 32;
const TOKEN_CHARS = TOKEN_BYTES * 2;
/** Unix socket paths are limited (104 bytes on macOS, 108 on Linux, with the NUL). */
const MAX_SOCKET_PATH = 103;
/** Connections that have not yet sent a token; beyond this, the oldest is dropped. */
const MAX_UNPROVEN = 8;

export interface ConnectBackOptions {
  /** Whose socket: a Unix socket (default) or a Windows named pipe ('win32'). */
  platform?: NodeJS.Platform;
  /** Where the private directory is made (default os.tmpdir(), then /tmp when the socket path would be too long). */
  tmp?: string;
  /** After the elevation tool ended well (the prompt was answered), how long the helper has to connect (default 20 s). */
  connectTimeoutMs?: number;
  /** How long a connection may take to send its token (default 5 s). */
  tokenTimeoutMs?: number;
}

/**
 * One rendezvous for one elevated helper: a fresh private directory (mode
 * 0700) holding the token file (0600) and, except on Windows, the socket.
 * `helperArgs` go after the helper script; `launch` starts the elevation tool
 * and returns the channel; `dispose` removes the directory when it is not
 * launched after all. The directory goes as soon as the helper has proven
 * itself, and in every other ending.
 */
export interface ConnectBack {
  readonly dir: string;
  /** A Unix socket path, or \\.\pipe\… on Windows. */
  readonly address: string;
  readonly tokenFile: string;
  /** `--connect <address> --token-file <file>`, for the helper. */
  readonly helperArgs: string[];
  /** Once. */
  launch: HelperLauncher;
  dispose(): void;
}

export function connectBack(opts: ConnectBackOptions = {}): ConnectBack {
  const platform = opts.platform ?? process.platform;
  const token = randomBytes(TOKEN_BYTES).toString('hex');
  const makeDir = (base: string) => {
    // realpath: the helper's sandbox grants reads by real path (macOS's tmpdir is behind /var → /private/var).
    const d = realpathSync(mkdtempSync(join(base, 'sockbench-raw-')));
    chmodSync(d, 0o700); // mkdtemp already makes it 0700; said once more, whatever the umask
    return d;
  };
  let dir = makeDir(opts.tmp ?? tmpdir());
  const sockIn = (d: string) => join(d, 'helper.sock');
  if (platform !== 'win32' && Buffer.byteLength(sockIn(dir)) > MAX_SOCKET_PATH && opts.tmp === undefined) {
    rmSync(dir, { recursive: true, force: true });
    dir = makeDir('/tmp');
  }
  const address = platform === 'win32' ? `\\\\.\\pipe\\sockbench-raw-${randomBytes(16).toString('hex')}` : sockIn(dir);
  const tokenFile = join(dir, 'token');
  let removed = false;
  const removeDir = (): void => {
    if (removed) return;
    removed = true;
    process.off('exit', removeDir);
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // gone already, or not ours to remove any more
    }
  };
  process.on('exit', removeDir); // even when the app ends mid-prompt
  try {
    if (platform !== 'win32' && Buffer.byteLength(address) > MAX_SOCKET_PATH) throw new Error(`the socket path ${address} is too long for a Unix socket`);
    writeFileSync(tokenFile, token, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    removeDir();
    throw e;
  }
  let launched = false;
  return {
    dir,
    address,
    tokenFile,
    helperArgs: ['--connect', address, '--token-file', tokenFile],
    dispose: () => {
      if (!launched) removeDir();
    },
    launch: (command, args) => {
      if (launched) throw new Error('a connect-back rendezvous is used once');
      launched = true;
      return connectBackChannel(command, args, { address, token: Buffer.from(token, 'ascii'), removeDir, connectTimeoutMs: opts.connectTimeoutMs ?? 20_000, tokenTimeoutMs: opts.tokenTimeoutMs ?? 5000 });
    },
  };
}

interface ChannelSetup {
  address: string;
  token: Buffer;
  removeDir(): void;
  connectTimeoutMs: number;
  tokenTimeoutMs: number;
}

/**
 * Listens, starts the elevation tool, and takes the first connection that
 * sends the right token as the helper; everything else is refused. Before
 * that, writes wait in memory. The channel exits when the helper's
 * connection closes, or, before it, when the tool fails, it is given up on
 * (end/kill), or the helper does not connect in time after the tool ended
 * well.
 */
function connectBackChannel(command: string, args: string[], setup: ChannelSetup): HelperChannel {
  const { address, token } = setup;
  let tool: ChildProcess | undefined;
  let toolDone = false;
  let stderr = '';
  let helper: Socket | undefined;
  let finished = false;
  let ref = true;
  let waitTimer: NodeJS.Timeout | undefined;
  const queued: Uint8Array[] = [];
  const unproven = new Set<Socket>();
  const dataFns: ((chunk: Uint8Array) => void)[] = [];
  const exitFns: Parameters<HelperChannel['onExit']>[0][] = [];
  const warnFns: ((message: string) => void)[] = [];
  const warn = (m: string) => {
    for (const fn of warnFns) fn(m);
  };

  const server: Server = createServer({ allowHalfOpen: false, pauseOnConnect: false });

  const closeListener = () => {
    clearTimeout(waitTimer);
    server.close(() => {});
    for (const s of unproven) s.destroy();
    unproven.clear();
    setup.removeDir();
  };
  const exit = (code: number | null, signal: NodeJS.Signals | null, err?: Error): void => {
    if (finished) return;
    finished = true;
    closeListener();
    helper?.destroy();
    for (const fn of exitFns) fn(code, signal, err);
  };
  const killTool = (signal: NodeJS.Signals) => {
    if (!tool || toolDone) return;
    try {
      tool.kill(signal);
    } catch {
      // EPERM: a tool that already became root (pkexec) cannot be signalled by us.
    }
  };

  server.on('connection', (sock) => {
    sock.on('error', () => {}); // the close says it
    if (finished || helper) {
      sock.destroy();
      return warn('the raw-socket helper\'s connect-back channel refused a second connection (the helper is already connected)');
    }
    if (unproven.size >= MAX_UNPROVEN) {
      // Make room by dropping the oldest: the helper sends its token the moment it connects, so it is never the one that waited.
      const oldest = unproven.values().next().value!;
      unproven.delete(oldest);
      oldest.destroy();
      warn('the raw-socket helper\'s connect-back channel refused a connection: too many were waiting to send a token');
    }
    unproven.add(sock);
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => refuse('it sent no token in time'), setup.tokenTimeoutMs);
    const refuse = (why: string) => {
      clearTimeout(timer);
      if (!unproven.delete(sock)) return;
      sock.destroy();
      warn(`the raw-socket helper's connect-back channel refused a connection: ${why}`);
    };
    const onData = (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length < TOKEN_CHARS) return;
      const offered = got.subarray(0, TOKEN_CHARS);
      if (!timingSafeEqual(offered, token)) return refuse('wrong token');
      clearTimeout(timer);
      sock.off('data', onData);
      sock.off('close', onEarlyClose);
      unproven.delete(sock);
      accept(sock, got.subarray(TOKEN_CHARS));
    };
    const onEarlyClose = () => refuse('it closed before sending a token');
    sock.on('data', onData);
    sock.on('close', onEarlyClose);
  });

  const accept = (sock: Socket, rest: Uint8Array) => {
    helper = sock;
    // Proven: nothing more to accept, and the token and socket file have served their purpose.
    for (const s of unproven) {
      s.destroy();
      warn('the raw-socket helper\'s connect-back channel refused a second connection (the helper is already connected)');
    }
    unproven.clear();
    closeListener();
    if (!ref) sock.unref();
    sock.on('close', () => exit(null, null));
    for (const fn of dataFns) sock.on('data', fn);
    if (rest.length) for (const fn of dataFns) fn(rest);
    for (const f of queued.splice(0)) sock.write(f);
  };

  server.on('error', (e) => exit(null, null, e));
  // Windows: the pipe's default DACL lets only us (the creator), administrators and SYSTEM open it for writing.
  server.listen(address, () => {
    if (finished) return;
    let child: ChildProcess;
    try {
      // No inherited environment (as for the helper itself); the tool's stdout is not the helper's.
      child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env: {}, windowsHide: true });
    } catch (e) {
      return exit(null, null, e as Error);
    }
    tool = child;
    if (!ref) child.unref();
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString('utf8')).slice(-STDERR_KEEP);
    });
    if (!ref) (child.stderr as unknown as { unref(): void }).unref();
    child.on('error', (e) => {
      if (child.pid === undefined) {
        toolDone = true;
        exit(null, null, e);
      }
    });
    child.on('close', (code, signal) => {
      toolDone = true;
      if (helper || finished) return; // the helper lives on its own (or the tool was the helper: pkexec)
      if (code !== 0 || signal) return exit(code, signal);
      // The prompt was answered yes and the helper started in the background: it should connect soon.
      waitTimer = setTimeout(() => exit(null, null, new Error(`the elevated helper did not connect back within ${Math.round(setup.connectTimeoutMs / 1000)} s after ${command} ended`)), setup.connectTimeoutMs);
      if (!ref) waitTimer.unref();
    });
  });

  const giveUp = () => {
    // Before the helper connected: take the prompt away and stop listening.
    killTool('SIGTERM');
    exit(null, null);
  };

  return {
    get pid() {
      return tool?.pid;
    },
    write: (frame) => {
      if (finished) return;
      if (helper) helper.write(frame);
      else queued.push(frame);
    },
    // The helper exits when its connection closes: the only way to stop one running as root.
    end: () => (helper ? void helper.end() : giveUp()),
    onData: (fn) => {
      dataFns.push(fn);
      helper?.on('data', fn);
    },
    onExit: (fn) => void exitFns.push(fn),
    onWarning: (fn) => void warnFns.push(fn),
    stderrTail: () => stderr,
    kill: (signal) => {
      // We cannot signal root; closing the connection makes the helper exit.
      killTool(signal);
      if (helper) helper.destroy();
      else giveUp();
    },
    setRef: (on) => {
      ref = on;
      const hs = [server, helper, tool, tool?.stderr, waitTimer].filter(Boolean) as { ref(): void; unref(): void }[];
      for (const h of hs) {
        if (on) h.ref();
        else h.unref();
      }
    },
  };
}
