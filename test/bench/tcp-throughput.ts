// TCP throughput through one session: a client session sends to a server
// session, both in the engine, driven through the router exactly as the
// renderer drives it. With `subscriber`, a bridge subscriber encodes every
// event batch into a wire frame as the WebSocket transport does for a
// connected window (the realistic app path).
import { createRouter } from '../../main/bridge/router.js';
import { Workbench } from '../../main/workbench.js';
import { encodeFrame } from '../../shared/contract/wire.js';
import { connectedSessions, pumpNodeNet, pumpSessions, routerCall, type ThroughputResult } from './session-pump.js';

export type { ThroughputResult };

export async function sessionThroughput(opts: { maxBytes: number; maxMs: number; subscriber: boolean }): Promise<ThroughputResult> {
  const workbench = new Workbench();
  const { engine } = workbench;
  const router = createRouter(workbench);
  let framedBytes = 0;
  const events = opts.subscriber ? router.subscribe((batch, seq) => (framedBytes += encodeFrame({ events: batch, seq }).byteLength)) : undefined;
  const call = routerCall(router);
  try {
    return { ...(await pumpSessions(engine, call, await connectedSessions(call, { host: '127.0.0.1' }), opts)), framedBytes };
  } finally {
    events?.close();
    await workbench.close();
  }
}

/** Plain Node `net` on loopback, same chunk size: the floor under any session. */
export async function nodeNetThroughput(opts: { maxBytes: number; maxMs: number }): Promise<ThroughputResult> {
  return pumpNodeNet('node net', { host: '127.0.0.1' }, opts);
}
