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
  /** pipes: whether the elevated process keeps our stdin/stdout (the helper's only channel). */
  | { ok: true; tool: string; command: string; args: string[]; pipes: boolean; prompt: string }
  | { ok: false; reason: string };

export interface PlanInput {
  /** The Node binary that runs the helper (never the Electron app: runAsNode is off). */
  node: string;
  /** Flags and the helper script, after `node`. */
  args: string[];
  platform?: NodeJS.Platform;
  pathEnv?: string;
}

const sh = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
const applescript = (s: string) => `"${s.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
const ps = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** Per platform: which tool asks the user, and the command that runs `node args…` through it. */
export const ELEVATION: Record<'linux' | 'darwin' | 'win32', { tool: string; pipes: boolean; build(node: string, args: string[]): string[] }> = {
  // pkexec execs the program in place: same process, same pipes.
  linux: { tool: 'pkexec', pipes: true, build: (node, args) => [node, ...args] },
  // osascript collects the program's output until it ends: no streaming.
  darwin: {
    tool: 'osascript',
    pipes: false,
    build: (node, args) => ['-e', `do shell script ${applescript([node, ...args].map(sh).join(' '))} with administrator privileges`],
  },
  // UAC starts the program in a new process that cannot inherit our handles.
  win32: {
    tool: 'powershell',
    pipes: false,
    build: (node, args) => [
      '-NoProfile', '-NonInteractive', '-Command',
      `Start-Process -FilePath ${ps(node)} -ArgumentList @(${args.map((a) => ps(`"${a}"`)).join(',')}) -Verb RunAs -Wait`,
    ],
  },
};

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
  const shown = [input.node, ...input.args].join(' ');
  return { ok: true, tool: how.tool, command: tool, args: how.build(input.node, input.args), pipes: how.pipes, prompt: `Sockbench asks to run its raw-socket helper with administrator rights: ${shown}` };
}
