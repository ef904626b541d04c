// UDP extras on real sockets: SO_BROADCAST, IPv4 / IPv6 multicast membership
// on the loopback interface, the multicast send options, and their field
// errors through the router. Nothing here leaves `lo`: every membership names
// lo (127.0.0.1 / lo), every multicast send sets IP_MULTICAST_IF to it, and
// broadcasts go to 127.255.255.255, never 255.255.255.255 (which would leave
// by the default route once SO_BROADCAST is on).
import { existsSync, readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import type { Family, MethodName } from '../../shared/contract/index.js';
import { harness, rejection, text, until } from '../../test/support/engine-harness.js';
import { freePort, peerSuite, run } from '../../test/support/peers.js';

let h: ReturnType<typeof harness>;
afterEach(async () => h?.close());

async function udp(family: Family, address?: string) {
  const s = await h.call('socket.create', { family, type: 'SOCK_DGRAM' });
  return address === undefined ? s : h.call('socket.bind', { id: s.id, address, port: 0 });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Groups the kernel lists for an interface (Linux /proc/net/igmp, igmp6), as addresses; null elsewhere. */
function kernelGroups(dev: string, v6: boolean): string[] | null {
  const file = v6 ? '/proc/net/igmp6' : '/proc/net/igmp';
  if (!existsSync(file)) return null;
  const out: string[] = [];
  if (v6) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const [, name, hex] = line.trim().split(/\s+/);
      if (name === dev && hex) out.push(hex.toLowerCase());
    }
    return out;
  }
  // "1\tlo        :     2      V3" then one indented line per group, the __be32 printed as %08X.
  let inDev = false;
  for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
    if (/^\d/.test(line)) inDev = line.split(/\s+/)[1] === dev;
    else if (inDev && line.trim()) {
      const word = Buffer.alloc(4);
      word.writeUInt32BE(parseInt(line.trim().split(/\s+/)[0]!, 16));
      const bytes = endianness() === 'LE' ? [...word].reverse() : [...word];
      out.push(bytes.join('.'));
    }
  }
  return out;
}

const v6hex = (a: string) => Buffer.from(new URL(`http://[${a}]/`).hostname.slice(1, -1).split(':').flatMap((g, i, all) =>
  g === '' && i > 0 && i < all.length - 1 ? Array(9 - all.length).fill('0000') : [g.padStart(4, '0')]).join(''), 'hex').toString('hex');

describe('SO_BROADCAST', () => {
  it('sendto a broadcast address is EACCES without SO_BROADCAST and accepted with it', async () => {
    h = harness();
    const s = await udp('AF_INET', '127.0.0.1');
    expect(s.fd).toBeGreaterThan(2); // the descriptor the options are set on exists from bind on
    // Refused by the kernel before anything is sent, so 255.255.255.255 is safe to try here.
    for (const address of ['127.255.255.255', '255.255.255.255']) {
      const e = await rejection(h.call('socket.sendto', { id: s.id, data: text('x'), address, port: 9 }));
      expect(e.code).toBe('OS_ERROR');
      expect(e.error.errno?.name).toBe('EACCES');
      expect(e.field).toBe('address');
      expect(e.message).toMatch(/SO_BROADCAST/);
    }
    await h.call('socket.setBroadcast', { id: s.id, on: true });
    // The loopback broadcast address: the send stays on lo (delivery is not asserted).
    expect(await h.call('socket.sendto', { id: s.id, data: text('hello all'), address: '127.255.255.255', port: 9 })).toEqual({ bytes: 9 });
    await h.call('socket.setBroadcast', { id: s.id, on: false });
    expect((await rejection(h.call('socket.sendto', { id: s.id, data: text('x'), address: '127.255.255.255', port: 9 }))).error.errno?.name).toBe('EACCES');

    const calls = h.engine.get(s.id).trace.map((t) => `${t.call}${t.ok ? '' : ` ${t.errno?.name}`}`);
    expect(calls).toEqual([
      'socket', 'bind', 'sendto EACCES', 'sendto EACCES', 'setsockopt(SO_BROADCAST)', 'sendto', 'setsockopt(SO_BROADCAST)', 'sendto EACCES',
    ]);
    expect(h.engine.get(s.id).trace.find((t) => t.call === 'setsockopt(SO_BROADCAST)')?.args).toEqual({ value: 1 });
  });

  it('takes options before bind (the descriptor exists from socket()), refuses them on a closed socket and on stream sockets', async () => {
    h = harness();
    const s = await udp('AF_INET');
    // As in C: the options go to the kernel on the unbound socket and stay after bind.
    await h.call('socket.setBroadcast', { id: s.id, on: true });
    await h.call('socket.setMulticastTTL', { id: s.id, ttl: 3 });
    expect(h.engine.get(s.id).trace.at(-1)).toMatchObject({ call: 'setsockopt(IP_MULTICAST_TTL)', ok: true });
    expect((await h.call('socket.getsockopt', { id: s.id, option: 'IP_MULTICAST_TTL' })).value).toBe(3);
    await h.call('socket.bind', { id: s.id, address: '127.0.0.1', port: 0 });
    await h.call('socket.close', { id: s.id });
    expect((await rejection(h.call('socket.setBroadcast', { id: s.id, on: true }))).error.errno?.name).toBe('EBADF');

    const tcp = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
    expect((await rejection(h.call('socket.joinGroup', { id: tcp.id, group: '239.1.2.3' }))).error.errno?.name).toBe('EOPNOTSUPP');
  });
});

describe('IPv4 multicast on lo', () => {
  it('a member receives what a sender with TTL / loop / interface set sends to the group, and stops after leaving', async () => {
    h = harness();
    // Bound to the group itself: the socket receives that group's datagrams only.
    const rx = await udp('AF_INET', '239.1.2.3');
    const port = rx.local!.port;
    const joined = await h.call('socket.joinGroup', { id: rx.id, group: '239.1.2.3', iface: '127.0.0.1' });
    expect(joined.groups).toEqual([{ group: '239.1.2.3', iface: '127.0.0.1' }]);
    const kernel = kernelGroups('lo', false);
    if (kernel) expect(kernel).toContain('239.1.2.3');

    const tx = await udp('AF_INET', '127.0.0.1');
    await h.call('socket.setMulticastInterface', { id: tx.id, iface: '127.0.0.1' });
    await h.call('socket.setMulticastTTL', { id: tx.id, ttl: 1 });
    await h.call('socket.setMulticastLoopback', { id: tx.id, on: true });
    await h.call('socket.sendto', { id: tx.id, data: text('to the group'), address: '239.1.2.3', port });

    const got = await until(() => h.engine.get(rx.id).data.toArray().find((d) => d.dir === 'in'), 'the multicast datagram');
    expect(Buffer.from(got.bytes).toString()).toBe('to the group');
    expect(got.addr).toEqual({ family: 'AF_INET', address: '127.0.0.1', port: tx.local!.port });

    // Joining twice on the same interface: the kernel says EADDRINUSE.
    const twice = await rejection(h.call('socket.joinGroup', { id: rx.id, group: '239.1.2.3', iface: '127.0.0.1' }));
    expect(twice.error.errno?.name).toBe('EADDRINUSE');
    expect(twice.field).toBe('group');

    const left = await h.call('socket.leaveGroup', { id: rx.id, group: '239.1.2.3', iface: '127.0.0.1' });
    expect(left.groups).toBeUndefined();
    if (kernel) expect(kernelGroups('lo', false)).not.toContain('239.1.2.3');
    await h.call('socket.sendto', { id: tx.id, data: text('after leaving'), address: '239.1.2.3', port });
    await sleep(300);
    expect(h.received(rx.id).toString()).toBe('to the group');

    const again = await rejection(h.call('socket.leaveGroup', { id: rx.id, group: '239.1.2.3', iface: '127.0.0.1' }));
    expect(again.error.errno?.name).toBe('EADDRNOTAVAIL');
    expect(again.field).toBe('group');

    const trace = h.engine.get(rx.id).trace.map((t) => `${t.call}${t.ok ? '' : ` ${t.errno?.name}`}`);
    expect(trace).toEqual([
      'socket', 'bind', 'setsockopt(IP_ADD_MEMBERSHIP)', 'setsockopt(IP_ADD_MEMBERSHIP) EADDRINUSE',
      'setsockopt(IP_DROP_MEMBERSHIP)', 'setsockopt(IP_DROP_MEMBERSHIP) EADDRNOTAVAIL',
    ]);
    expect(h.engine.get(tx.id).trace.map((t) => t.call)).toEqual([
      'socket', 'bind', 'setsockopt(IP_MULTICAST_IF)', 'setsockopt(IP_MULTICAST_TTL)', 'setsockopt(IP_MULTICAST_LOOP)', 'sendto', 'sendto',
    ]);
  });

  it('names lo by name too, and gives the kernel errno for an address that is not local', async () => {
    h = harness();
    const rx = await udp('AF_INET', '239.1.2.4');
    const joined = await h.call('socket.joinGroup', { id: rx.id, group: '239.1.2.4', iface: 'lo' });
    expect(joined.groups).toEqual([{ group: '239.1.2.4', iface: '127.0.0.1' }]);
    // 192.0.2.0/24 is TEST-NET-1: no interface has it here (the kernel finds no device: ENODEV).
    const e = await rejection(h.call('socket.joinGroup', { id: rx.id, group: '239.1.2.5', iface: '192.0.2.77' }));
    expect(e.error.errno?.name).toBe('ENODEV');
    expect(e.field).toBe('iface');
    const mif = await rejection(h.call('socket.setMulticastInterface', { id: rx.id, iface: '192.0.2.77' }));
    expect(mif.error.errno?.name).toBe('EADDRNOTAVAIL');
    expect(mif.field).toBe('iface');
    const noSuch = await rejection(h.call('socket.joinGroup', { id: rx.id, group: '239.1.2.5', iface: 'nosuch0' }));
    expect(noSuch.error.errno?.name).toBe('ENODEV');
    expect(noSuch.field).toBe('iface');
    // Closing drops every membership (the kernel's and the list).
    expect((await h.call('socket.close', { id: rx.id })).groups).toBeUndefined();
  });
});

describe('IPv6 multicast on lo', () => {
  it('joins and leaves ff05::1:3 on lo (by name or index); sending there is ENETUNREACH on Linux', async () => {
    h = harness();
    const rx = await udp('AF_INET6', 'ff05::1:3');
    const port = rx.local!.port;
    const joined = await h.call('socket.joinGroup', { id: rx.id, group: 'ff05:0::1:3', iface: 'lo' });
    expect(joined.groups).toEqual([{ group: 'ff05::1:3', iface: 'lo' }]);
    const kernel = kernelGroups('lo', true);
    if (kernel) expect(kernel).toContain(v6hex('ff05::1:3'));
    expect((await rejection(h.call('socket.joinGroup', { id: rx.id, group: 'ff05::1:3', iface: 'lo' }))).error.errno?.name).toBe('EADDRINUSE');

    const tx = await udp('AF_INET6', '::1');
    await h.call('socket.setMulticastInterface', { id: tx.id, iface: 'lo' });
    await h.call('socket.setMulticastTTL', { id: tx.id, ttl: 1 });
    await h.call('socket.setMulticastLoopback', { id: tx.id, on: true });
    expect(h.engine.get(tx.id).trace.map((t) => t.call).slice(2)).toEqual([
      'setsockopt(IPV6_MULTICAST_IF)', 'setsockopt(IPV6_MULTICAST_HOPS)', 'setsockopt(IPV6_MULTICAST_LOOP)',
    ]);
    const sent = await h.router.handle('socket.sendto', { id: tx.id, data: text('six'), address: 'ff05::1:3', port });
    if (sent.ok) {
      // A kernel that routes IPv6 multicast out of lo must then deliver it.
      await until(() => h.received(rx.id).toString() === 'six', 'the IPv6 multicast datagram');
    } else {
      // Linux never installs the ff00::/8 multicast route on loopback (addrconf skips
      // IFF_LOOPBACK devices, and a route added by hand via lo is turned into a reject
      // route), so with IPV6_MULTICAST_IF = lo the route lookup fails: ENETUNREACH. The
      // membership itself is real (see /proc/net/igmp6 above); only delivery over lo is
      // outside our control.
      expect(sent.error.errno?.name).toBe('ENETUNREACH');
      expect(sent.error.message).toMatch(/multicast/);
    }

    const left = await h.call('socket.leaveGroup', { id: rx.id, group: 'ff05::1:3', iface: '1' });
    expect(left.groups).toBeUndefined();
    if (kernel) expect(kernelGroups('lo', true)).not.toContain(v6hex('ff05::1:3'));
    expect((await rejection(h.call('socket.leaveGroup', { id: rx.id, group: 'ff05::1:3', iface: 'lo' }))).error.errno?.name).toBe('EADDRNOTAVAIL');
    expect(h.engine.get(rx.id).trace.map((t) => t.call).slice(2)).toEqual([
      'setsockopt(IPV6_JOIN_GROUP)', 'setsockopt(IPV6_JOIN_GROUP)', 'setsockopt(IPV6_LEAVE_GROUP)', 'setsockopt(IPV6_LEAVE_GROUP)',
    ]);
    expect(h.engine.get(rx.id).trace.find((t) => t.call === 'setsockopt(IPV6_LEAVE_GROUP)')?.result).toBe('ff05::1:3 on lo');

    // An unknown name or index would silently mean "any interface" to Node: it is ENODEV here.
    for (const iface of ['nosuch0', '9999']) {
      const e = await rejection(h.call('socket.joinGroup', { id: rx.id, group: 'ff05::1:3', iface }));
      expect(e.error.errno?.name).toBe('ENODEV');
      expect(e.field).toBe('iface');
    }
  });
});

describe('field errors through the router', () => {
  it('names the field: group not multicast, group of the other family, ttl out of range, bad interface', async () => {
    h = harness();
    const v4 = await udp('AF_INET', '127.0.0.1');
    const v6 = await udp('AF_INET6', '::1');
    const cases: [MethodName, Record<string, unknown>, string, RegExp][] = [
      ['socket.joinGroup', { id: v4.id, group: '10.1.2.3', iface: '127.0.0.1' }, 'group', /not a multicast address/],
      ['socket.joinGroup', { id: v4.id, group: 'not-an-ip' }, 'group', /not an IP address/],
      ['socket.joinGroup', { id: v6.id, group: 'ff::1', iface: 'lo' }, 'group', /not a multicast address/],
      ['socket.joinGroup', { id: v6.id, group: 'ff05::1%lo' }, 'group', /own field/],
      ['socket.joinGroup', { id: v4.id, group: 'ff05::1:3', iface: '127.0.0.1' }, 'group', /AF_INET: give a 224\.0\.0\.0\/4 group/],
      ['socket.leaveGroup', { id: v6.id, group: '239.1.2.3', iface: 'lo' }, 'group', /AF_INET6: give an ff00::\/8 group/],
      ['socket.joinGroup', { id: v6.id, group: 'ff05::1:3', iface: '::1' }, 'iface', /name or index/],
      ['socket.joinGroup', { id: v4.id, group: '239.1.2.3', iface: '::1' }, 'iface', /IPv6 address/],
      ['socket.joinGroup', { id: v4.id, group: '239.1.2.3', iface: 'lo/../x' }, 'iface', /not an interface/],
      ['socket.setMulticastTTL', { id: v4.id, ttl: 300 }, 'ttl', /between 0 and 255/],
      ['socket.setMulticastTTL', { id: v4.id, ttl: 1.5 }, 'ttl', /whole number/],
      ['socket.setMulticastLoopback', { id: v4.id, on: 'yes' }, 'on', /true or false/],
      ['socket.setMulticastInterface', { id: v4.id }, 'iface', /iface is required/],
      ['socket.joinGroup', { id: v4.id }, 'group', /group is required/],
    ];
    for (const [method, params, field, message] of cases) {
      const e = await h.error(method, params);
      expect(e.code, `${method} ${JSON.stringify(params)}`).toBe('BAD_REQUEST');
      expect(e.field, `${method} ${JSON.stringify(params)}`).toBe(field);
      expect(e.message.startsWith(`${field}: `)).toBe(true);
      expect(e.message).toMatch(message);
    }
    // None of them reached the kernel, so none is in a trace.
    expect(h.engine.get(v4.id).trace.map((t) => t.call)).toEqual(['socket', 'bind']);
    expect(h.engine.get(v6.id).trace.map((t) => t.call)).toEqual(['socket', 'bind']);
  });
});

const socat = peerSuite('socat');
describe.skipIf(socat.skip)(socat.title, () => {
  it('socat, a member of 239.1.2.3 on lo, receives what a session sends to the group', async () => {
    h = harness();
    const port = await freePort();
    const peer = run('socat', ['-u', `UDP4-RECVFROM:${port},bind=239.1.2.3,ip-add-membership=239.1.2.3:127.0.0.1`, 'STDOUT']);
    try {
      const tx = await udp('AF_INET', '127.0.0.1');
      await h.call('socket.setMulticastInterface', { id: tx.id, iface: 'lo' });
      await h.call('socket.setMulticastTTL', { id: tx.id, ttl: 0 });
      // socat joins once it has started: send every 100 ms until it has the datagram (it exits after one).
      for (let i = 0; peer.stdout().length === 0; i++) {
        if (i === 50) throw new Error('socat did not receive the datagram within 5 s');
        await h.call('socket.sendto', { id: tx.id, data: text('hello socat\n'), address: '239.1.2.3', port });
        await sleep(100);
      }
      expect(peer.stdout().toString()).toBe('hello socat\n');
    } finally {
      peer.stop();
    }
  });
});
