// What receiving a UDP flood costs the receiver: CPU time per datagram while
// 64-byte datagrams come at 50,000/s from another process
// (test/support/udp-flood.ts), for one session auto-reading (the engine in
// this process, no page attached: the page's share is in page-flood.ts), and
// for socat (`UDP-RECV` to /dev/null) in the same run.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRouter } from '../../main/bridge/router.js';
import { Workbench } from '../../main/workbench.js';
import { freePort, hasTool } from '../support/peers.js';
import { procUdpDrops, procUdpRow, startUdpFlood } from '../support/udp-flood.js';
import { routerCall } from './session-pump.js';
import { sleep } from './stats.js';

export interface ReceiveCost {
  /** CPU (user + system) per datagram received, µs. */
  usPerDatagram: number;
  received: number;
  /** What the kernel dropped for a full receive buffer. */
  dropped: number;
}

const SIZE = 64;

/** One session bound on 127.0.0.1, auto-reading (the default), through the router as the app calls it. */
export async function sessionUdpReceive(count: number, rate: number): Promise<ReceiveCost> {
  const workbench = new Workbench();
  const call = routerCall(createRouter(workbench));
  try {
    const { id } = await call('socket.create', { family: 'AF_INET', type: 'SOCK_DGRAM' });
    const { local } = await call('socket.bind', { id, address: '127.0.0.1', port: 0 });
    const port = local!.port;
    const chunksIn = () => workbench.engine.get(id).counters.chunksIn;
    const drops = () => procUdpDrops(port) ?? 0;
    const cpu0 = process.cpuUsage();
    const { sent } = await startUdpFlood({ port, rate, count, size: SIZE }).done;
    const until = Date.now() + 10_000;
    while (chunksIn() + drops() < sent && Date.now() < until) await sleep(20);
    const cpu = process.cpuUsage(cpu0);
    return { usPerDatagram: (cpu.user + cpu.system) / Math.max(1, chunksIn()), received: chunksIn(), dropped: drops() };
  } finally {
    await workbench.close();
  }
}

/** The CPU time a process has used, ns (/proc/PID/schedstat). */
function cpuNs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
}

/** socat -u UDP-RECV:PORT,bind=127.0.0.1 /dev/null (with the session's receive buffer); null when socat is missing. */
export async function socatUdpReceive(count: number, rate: number): Promise<ReceiveCost | null> {
  if (!hasTool('socat')) return null;
  const port = await freePort();
  const socat = spawn('socat', ['-u', `UDP-RECV:${port},bind=127.0.0.1,rcvbuf=33554432`, 'OPEN:/dev/null'], { stdio: 'ignore' });
  try {
    const bound = Date.now() + 5_000;
    while (procUdpRow(port) === null && Date.now() < bound) await sleep(20);
    if (procUdpRow(port) === null) throw new Error('socat did not bind its UDP port within 5 s');
    const cpu0 = cpuNs(socat.pid!);
    const { sent } = await startUdpFlood({ port, rate, count, size: SIZE }).done;
    // socat counts nothing: what the kernel did not drop, socat read once its queue is empty.
    const until = Date.now() + 10_000;
    while ((procUdpRow(port)?.queuedBytes ?? 0) > 0 && Date.now() < until) await sleep(20);
    const dropped = procUdpDrops(port) ?? 0;
    const received = sent - dropped;
    return { usPerDatagram: (cpuNs(socat.pid!) - cpu0) / 1000 / Math.max(1, received), received, dropped };
  } finally {
    socat.kill('SIGKILL');
  }
}

// Standalone: node --import tsx test/bench/udp-receive.ts
if (process.argv[1]?.endsWith('udp-receive.ts')) {
  for (let i = 0; i < 2; i++) {
    console.log('session', await sessionUdpReceive(150_000, 50_000));
    console.log('socat', await socatUdpReceive(150_000, 50_000));
  }
  process.exit(0);
}
