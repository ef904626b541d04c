// The kernel stamps received packets only while some socket asks for it, and
// the first such request takes effect later, from a work queue (Linux
// net_enable_timestamp): until then SO_TIMESTAMPNS gives the time of the
// read. Tests about arrival times first make sure stamping is on, holding a
// socket that asks for it, so their own sockets' requests take effect at once.
import { native } from '../../main/engine/native.js';

export async function kernelStampsOn(): Promise<{ release(): void }> {
  const n = native();
  const fd = n.socket('AF_INET', 'SOCK_DGRAM', 0, true);
  n.bind(fd, { family: 'AF_INET', address: '127.0.0.1', port: 0 });
  n.setsockopt(fd, n.constants.SOL_SOCKET, (n.constants as Record<string, number>).SO_TIMESTAMPNS!, new Uint8Array(new Int32Array([1]).buffer));
  const self = n.getsockname(fd);
  for (let tries = 0; tries < 200; tries++) {
    n.sendto(fd, new Uint8Array(1), self);
    await new Promise((r) => setTimeout(r, 5));
    const got = n.recvMany(fd, 64);
    if (got && got.ageUs[got.ageUs.length - 1]! >= 1000) return { release: () => n.close(fd) };
  }
  n.close(fd);
  throw new Error('the kernel did not start stamping received datagrams within 1 s');
}
