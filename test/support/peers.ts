// Real peers (socat, ncat, packetsender…). A suite whose tool is missing is
// skipped with the tool's name; with SOCKBENCH_REQUIRE_PEERS=1 (CI) a
// missing tool is a failure instead.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { it } from 'vitest';
import { rawPrivilege } from '../../main/raw/privilege.js';

export function hasTool(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const peersRequired = process.env.SOCKBENCH_REQUIRE_PEERS === '1';

/** A title for describe(): says when and why it is skipped. */
export function peerSuite(tool: string): { title: string; skip: boolean } {
  const present = hasTool(tool);
  if (!present && peersRequired) {
    it(`${tool} is installed (SOCKBENCH_REQUIRE_PEERS=1)`, () => {
      throw new Error(`${tool} is required but not installed; install it (see .ci/run)`);
    });
  }
  return { title: present ? `real peer: ${tool}` : `real peer: ${tool} (skipped: ${tool} not installed)`, skip: !present };
}

/**
 * A title for describe() of tests that need raw sockets (root or CAP_NET_RAW):
 * skipped with the reason without them; with SOCKBENCH_REQUIRE_PEERS=1 that
 * is a failure instead.
 */
export function rawSuite(what: string): { title: string; skip: boolean } {
  const { privileged } = rawPrivilege();
  if (!privileged && peersRequired) {
    it('raw sockets are available (SOCKBENCH_REQUIRE_PEERS=1)', () => {
      throw new Error('this process cannot open raw sockets (needs root or CAP_NET_RAW)');
    });
  }
  return { title: privileged ? what : `${what} (skipped: no CAP_NET_RAW / root)`, skip: !privileged };
}

/** Starts a tool; collects its stdout; killed by the returned stop(). */
export function run(cmd: string, args: string[], input?: Buffer | string): { proc: ChildProcess; stdout: () => Buffer; exited: Promise<number | null>; stop: () => void } {
  const proc = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  proc.stdout!.on('data', (d: Buffer) => chunks.push(d));
  proc.stderr!.resume();
  if (input !== undefined) proc.stdin!.end(input);
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return { proc, stdout: () => Buffer.concat(chunks), exited, stop: () => proc.kill('SIGKILL') };
}

/** A free TCP port on loopback (bound then released). */
export async function freePort(): Promise<number> {
  const net = await import('node:net');
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}
