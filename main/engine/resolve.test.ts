// Host names in bind, connect and sendto: resolved in main with getaddrinfo
// (as the system resolves them: /etc/hosts here), the lookup in the trace.
import { lookup } from 'node:dns/promises';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { harness, rejection, text, until } from '../../test/support/engine-harness.js';

let h: ReturnType<typeof harness> | undefined;
let server: Server | undefined;
afterEach(async () => {
  await h?.close();
  server?.close();
  h = undefined;
  server = undefined;
});

/** What the system's resolver says for a name, in its order. */
const system = async (name: string) => (await lookup(name, { all: true, order: 'verbatim' })).map((a) => a.address);

describe('host names', () => {
  it('connect to localhost resolves it as the system does and the trace shows the lookup and the address used', async () => {
    const offered = await system('localhost');
    const v4 = offered.find((a) => !a.includes(':'));
    expect(v4, 'localhost has an IPv4 address here').toBeDefined();
    server = createServer((c) => c.end('hi'));
    await new Promise<void>((r) => server!.listen(0, v4, r));
    const port = (server.address() as { port: number }).port;
    h = harness();
    const s = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
    const after = await h.call('socket.connect', { id: s.id, address: 'localhost', port, timeoutMs: 5000 });
    expect(after.peer).toEqual({ family: 'AF_INET', address: v4, port });
    const trace = h.engine.get(s.id).trace;
    const gai = trace.find((e) => e.call === 'getaddrinfo')!;
    expect(gai).toMatchObject({ ok: true, args: { host: 'localhost', port } });
    for (const a of offered) expect(gai.result).toContain(a);
    expect(gai.result).toMatch(new RegExp(`using ${v4!.replace(/\./g, '\\.')}$`));
    expect(typeof gai.durUs).toBe('number');
    // The lookup comes before the connect it served.
    expect(trace.findIndex((e) => e.call === 'getaddrinfo')).toBeLessThan(trace.findIndex((e) => e.call === 'connect'));
    await until(() => h!.received(s.id).toString() === 'hi', 'the answer');
  });

  it('an AF_INET6 socket takes the name’s IPv6 address, or says the name has none (EAI_ADDRFAMILY)', async () => {
    const v6 = (await system('localhost')).find((a) => a.includes(':'));
    h = harness();
    const s = await h.call('socket.create', { family: 'AF_INET6', type: 'SOCK_DGRAM' });
    if (v6) {
      const r = await h.call('socket.bind', { id: s.id, address: 'localhost', port: 0 });
      expect(r.local?.address).toBe(v6);
    } else {
      const e = await rejection(h.call('socket.bind', { id: s.id, address: 'localhost', port: 0 }));
      expect(e.error).toMatchObject({ code: 'OS_ERROR', field: 'address', errno: { name: 'EAI_ADDRFAMILY', number: -9 } });
      expect(e.message).toMatch(/"localhost" has no AF_INET6 address \(it resolves to AF_INET 127\.0\.0\.1\): create an AF_INET socket/);
    }
  });

  it('sendto a name: the datagram goes to the resolved address', async () => {
    h = harness();
    const rx = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_DGRAM' });
    const bound = await h.call('socket.bind', { id: rx.id, address: '127.0.0.1', port: 0 });
    const tx = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_DGRAM' });
    expect((await h.call('socket.sendto', { id: tx.id, data: text('x'), address: 'localhost', port: bound.local!.port })).bytes).toBe(1);
    await until(() => h!.received(rx.id).toString() === 'x', 'the datagram');
  });

  it('an unknown name is EAI_NONAME on the address field, explained, and in the trace', async () => {
    h = harness();
    const s = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
    const e = await rejection(h.call('socket.connect', { id: s.id, address: 'nosuch.invalid', port: 80 }));
    expect(e.error).toMatchObject({ code: 'OS_ERROR', field: 'address', errno: { name: 'EAI_NONAME', number: -2 } });
    expect(e.message).toMatch(/^getaddrinfo: EAI_NONAME \(-2\): Name or service not known: no address is known for "nosuch\.invalid"/);
    const last = h.engine.get(s.id).trace.at(-1)!;
    expect(last).toMatchObject({ call: 'getaddrinfo', ok: false, errno: { name: 'EAI_NONAME' } });
    expect(h.engine.get(s.id).info().state).toBe('created');
  });

  it.each([
    ['a space', 'local host'],
    ['an underscore', 'my_host'],
    ['a label over 63 characters', `${'a'.repeat(64)}.example`],
    ['a leading hyphen', '-host'],
    ['digits and dots that are no IPv4 address', '127.0.0.256'],
  ])('the contract refuses a name with %s before any lookup', async (_why, address) => {
    h = harness();
    const e = await h.error('socket.connect', { id: 1, address, port: 80 });
    expect(e).toMatchObject({ code: 'BAD_REQUEST', field: 'address' });
    expect(e.message).toMatch(/not an IP address, host name or Unix socket path/);
  });

  it('a host name on an AF_UNIX socket is refused, not taken for a relative path', async () => {
    h = harness();
    const s = await h.call('socket.create', { family: 'AF_UNIX', type: 'SOCK_STREAM' });
    const e = await rejection(h.call('socket.connect', { id: s.id, address: 'localhost', port: 0 }));
    expect(e.error).toMatchObject({ field: 'address', errno: { name: 'EAFNOSUPPORT' } });
  });
});
