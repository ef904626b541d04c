// The CLI as a user runs it: dist/cli.cjs in its own process, to its end
// (bounded), with what it printed.
import { spawn } from 'node:child_process';

export const CLI = 'dist/cli.cjs';

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `sockbench ARGS…`; killed after timeoutMs (then status is null). */
export function runCli(args: string[], timeoutMs = 30_000): Promise<CliRun> {
  const p = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d: Buffer) => (stdout += String(d)));
  p.stderr.on('data', (d: Buffer) => (stderr += String(d)));
  return new Promise((r) => p.once('close', (status) => r({ status, stdout, stderr })));
}
