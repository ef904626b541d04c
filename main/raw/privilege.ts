// Can this process open raw sockets, and if not, how to ask the OS to run
// the helper (and only the helper) with that right. The app itself is never
// elevated. The plans are data; only Linux's (pkexec) can be exercised here.
import { spawnSync } from 'node:child_process';
import { accessSync, constants as fsConstants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const CAP_NET_RAW = 13;

export interface Privilege {
  privileged: boolean;
  /** A sentence for a person. */
  reason: string;
}

/** Linux: the effective capability set (root without CAP_NET_RAW, e.g. under capsh --drop, is not enough). */
export function capEffHasNetRaw(status: string): boolean | undefined {
  const m = /^CapEff:\s*([0-9a-fA-F]+)\s*$/m.exec(status);
  return m ? ((BigInt(`0x${m[1]}`) >> BigInt(CAP_NET_RAW)) & 1n) === 1n : undefined;
}

export function rawPrivilege(platform: NodeJS.Platform = process.platform): Privilege {
  const uid = process.getuid?.();
  if (platform === 'linux') {
    let cap: boolean | undefined;
    try {
      cap = capEffHasNetRaw(readFileSync('/proc/self/status', 'utf8'));
    } catch {
      cap = undefined;
    }
    if (cap === undefined) return uid === 0 ? { privileged: true, reason: 'running as root' } : { privileged: false, reason: UNPRIVILEGED };
    return cap ? { privileged: true, reason: 'the process has CAP_NET_RAW' } : { privileged: false, reason: UNPRIVILEGED };
  }
  if (platform === 'win32') return windowsAdmin() ? { privileged: true, reason: 'running as administrator' } : { privileged: false, reason: UNPRIVILEGED };
  return uid === 0 ? { privileged: true, reason: 'running as root' } : { privileged: false, reason: UNPRIVILEGED };
}

export function hasRawPrivilege(): boolean {
  return rawPrivilege().privileged;
}

export const UNPRIVILEGED =
  'ICMP (ping, traceroute) and raw sockets need CAP_NET_RAW, root or administrator rights, and Sockbench runs without them. ' +
  'TCP, UDP and Unix sockets work as usual. You can let Sockbench start its small raw-socket helper with those rights (the app itself stays unprivileged).';

/** `net session` succeeds only for administrators (best effort; one bounded call). */
function windowsAdmin(): boolean {
  try {
    return spawnSync('net', ['session'], { stdio: 'ignore', timeout: 3000, windowsHide: true }).status === 0;
  } catch {
    return false;
  }
}

/** An executable on PATH, as an absolute path (the helper is spawned with an empty environment). */
export function which(name: string, pathEnv = process.env.PATH ?? ''): string | undefined {
  for (const dir of pathEnv.split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, fsConstants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

export type ElevationPlan =
  /**
   * pipes: whether the elevated process keeps our stdin/stdout (pkexec).
   * connectBack: the elevated process cannot inherit them (the macOS admin
   * prompt, UAC), so the helper must connect back to the app (launcher.ts
   * connectBack()): its args then end in `--connect <socket> --token-file <file>`.
   */
  | { ok: true; tool: string; command: string; args: string[]; pipes: boolean; connectBack: boolean; prompt: string }
  | { ok: false; reason: string };

export interface PlanInput {
  /** The Node binary that runs the helper (never the Electron app: runAsNode is off). */
  node: string;
  /** Flags and the helper script, after `node` (with --connect/--token-file where the plan needs connect-back). */
  args: string[];
  platform?: NodeJS.Platform;
  pathEnv?: string;
}

// ---- quoting (each tested by round trips in privilege.test.ts) ----

/** One word for a POSIX shell: single quotes, each ' as '\'' (nothing is special inside single quotes). */
export const shQuote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

/** A command line for sh: every word quoted. */
export const shLine = (argv: readonly string[]): string => argv.map(shQuote).join(' ');

/** An AppleScript string literal: only \ and " are special (AppleScript strings are Unicode). */
export const appleScriptString = (s: string): string => `"${s.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;

/**
 * A PowerShell single-quoted string. PowerShell takes the typographic single
 * quotes (U+2018 to U+201B) for ' too, so each of them is doubled as well;
 * nothing else ($, `, ") is special inside single quotes.
 */
export const psQuote = (s: string): string => `'${s.replace(/['\u2018\u2019\u201a\u201b]/g, (q) => q + q)}'`;

/**
 * One argument for a Windows command line as CommandLineToArgvW and the C
 * runtime (and so node.exe) split it: quoted when it has blanks or quotes,
 * backslashes doubled only where they precede a quote.
 */
export function winArg(s: string): string {
  if (s !== '' && !/[ \t\n\v"]/.test(s)) return s;
  let out = '"';
  let slashes = 0;
  for (const c of s) {
    if (c === '\\') {
      slashes++;
      continue;
    }
    out += c === '"' ? '\\'.repeat(slashes * 2 + 1) + '"' : '\\'.repeat(slashes) + c;
    slashes = 0;
  }
  return `${out}${'\\'.repeat(slashes * 2)}"`;
}

/** Control characters (newlines, NUL, …) have no place in an install path, and the quoting above need not carry them. */
const hasControl = (s: string): boolean => [...s].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);

/** The shell command the macOS prompt runs as root: the helper in the background, detached from osascript's output. */
export const darwinShellCommand = (node: string, args: readonly string[]): string => `${shLine([node, ...args])} > /dev/null 2>&1 &`;

/** Per platform: which tool asks the user, and the command that runs `node args…` through it. */
export const ELEVATION: Record<'linux' | 'darwin' | 'win32', { tool: string; pipes: boolean; connectBack: boolean; build(node: string, args: string[]): string[] }> = {
  // pkexec execs the program in place: same process, same pipes.
  linux: { tool: 'pkexec', pipes: true, connectBack: false, build: (node, args) => [node, ...args] },
  // osascript collects the program's output until it ends (no streaming), so the
  // helper runs in the background and connects back; osascript returns once the
  // prompt is answered and the helper started.
  darwin: {
    tool: 'osascript',
    pipes: false,
    connectBack: true,
    build: (node, args) => ['-e', `do shell script ${appleScriptString(darwinShellCommand(node, args))} with administrator privileges`],
  },
  // UAC starts the program in a new process that cannot inherit our handles: it
  // connects back. Start-Process returns once the prompt is answered; one
  // -ArgumentList string, already quoted for node.exe's command line.
  win32: {
    tool: 'powershell',
    pipes: false,
    connectBack: true,
    build: (node, args) => [
      '-NoProfile', '-NonInteractive', '-Command',
      `Start-Process -Verb RunAs -WindowStyle Hidden -FilePath ${psQuote(node)} -ArgumentList ${psQuote(args.map(winArg).join(' '))}`,
    ],
  },
};

/** Whether elevation on this platform goes through the connect-back channel (the tool cannot pass our pipes). */
export function needsConnectBack(platform: NodeJS.Platform = process.platform): boolean {
  return ELEVATION[platform as keyof typeof ELEVATION]?.connectBack ?? false;
}

export function elevationPlan(input: PlanInput): ElevationPlan {
  const platform = input.platform ?? process.platform;
  const how = ELEVATION[platform as keyof typeof ELEVATION];
  if (!how) return { ok: false, reason: `Sockbench cannot ask ${platform} for raw-socket rights: run it as root or administrator.` };
  const tool = which(platform === 'win32' ? 'powershell.exe' : how.tool, input.pathEnv);
  if (!tool) {
    if (platform === 'linux') {
      return { ok: false, reason: `pkexec is not installed: run Sockbench's helper as root or grant CAP_NET_RAW with \`setcap cap_net_raw+ep ${input.node}\`` };
    }
    return { ok: false, reason: `${how.tool} was not found, so Sockbench cannot ask for administrator rights: run it as root or administrator.` };
  }
  const odd = [input.node, ...input.args].find(hasControl);
  if (odd !== undefined) return { ok: false, reason: `Sockbench cannot ask for administrator rights for a path with control characters in it (${JSON.stringify(odd)}): install it elsewhere, or run it as root or administrator.` };
  const shown = [input.node, ...input.args].join(' ');
  return {
    ok: true, tool: how.tool, command: tool, args: how.build(input.node, input.args), pipes: how.pipes, connectBack: how.connectBack,
    prompt: `Sockbench asks to run its raw-socket helper with administrator rights: ${shown}`,
  };
}

/**
 * Whether an elevation tool that ended before the helper ran said the user
 * declined, and how to say so (undefined: it failed for another reason).
 * pkexec: 126 dismissed, 127 not authorized. osascript: "User canceled. (-128)"
 * (exit 1). PowerShell: Start-Process's "The operation was canceled by the
 * user" (ERROR_CANCELLED, 1223), exit 1.
 */
export function declinedBy(tool: string, exitCode: number | null, stderr: string): string | undefined {
  const last = stderr.split('\n').map((l) => l.trim()).filter(Boolean).at(-1)?.slice(0, 300) ?? '';
  switch (tool) {
    case 'pkexec':
      if (exitCode === 126) return 'The authentication prompt was dismissed';
      if (exitCode === 127) return `Elevation was refused (not authorized${last ? `: ${last}` : ''})`;
      return undefined;
    case 'osascript':
      return exitCode !== 0 && /\(-128\)|User cancell?ed/i.test(stderr) ? 'The administrator prompt was canceled (osascript: User canceled, -128)' : undefined;
    case 'powershell':
      return exitCode !== 0 && (/canceled by the user|cancelled by the user/i.test(stderr) || exitCode === 1223) ? 'The Windows UAC prompt was canceled (the operation was canceled by the user)' : undefined;
    default:
      return undefined;
  }
}
