// AF_UNIX stream throughput through one session: a client session connected
// to a server session bound to a path in a temp dir, both in the engine,
// driven through the router as the renderer drives it; 1 MiB socket.sendall
// calls with up to 8 in flight, timed until the accepted session's byte
// counter equals what was sent (as tcp-throughput.ts does over TCP).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRouter } from '../../main/bridge/router.js';
import { Workbench } from '../../main/workbench.js';
import { connectedSessions, pumpNodeNet, pumpSessions, routerCall, type ThroughputResult } from './session-pump.js';

export async function unixSessionThroughput(opts: { maxBytes: number; maxMs: number }): Promise<ThroughputResult> {
  const dir = mkdtempSync(join(tmpdir(), 'sockbench-unix-'));
  const path = join(dir, 'server.sock');
  const workbench = new Workbench();
  const { engine } = workbench;
  const router = createRouter(workbench);
  const call = routerCall(router);
  try {
    return await pumpSessions(engine, call, await connectedSessions(call, { path }), opts);
  } finally {
    await workbench.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Plain Node `net` over a Unix socket path in one process, same chunk size: the floor under any session. */
export async function nodeNetUnixThroughput(opts: { maxBytes: number; maxMs: number }): Promise<ThroughputResult> {
  const dir = mkdtempSync(join(tmpdir(), 'sockbench-unix-'));
  try {
    return await pumpNodeNet('node net (unix)', { path: join(dir, 'node.sock') }, opts);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
