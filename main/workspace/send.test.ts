// Sending a saved packet into an existing session (the Saved panel's "Send
// to #N") and as new, against real sockets of this process.
import { createSocket } from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { harness, until } from '../../test/support/engine-harness.js';

describe('sending saved packets', () => {
  it('into a session: sendto on an unbound datagram socket, send when connected to the target, refused (EISCONN) when connected elsewhere; repeat counts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sockbench-send-'));
    const h = harness({ workspace: { dir, source: 'flag', defaultDir: dir } });
    const got: string[] = [];
    const peer = createSocket('udp4');
    peer.on('message', (m) => got.push(m.toString()));
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', r));
    const port = peer.address().port;
    try {
      const saved = await h.call('packets.save', { packet: { name: 'U', protocol: 'udp', target: `127.0.0.1:${port}`, data: 'u', repeat: { count: 3 } } });
      if (!saved.ok) throw new Error('save');
      const loose = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_DGRAM' });
      expect((await h.call('packets.send', { file: saved.file, session: loose.id })).bytes).toBe(3);
      await until(() => got.length >= 3, 'three datagrams by sendto');
      const tied = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_DGRAM' });
      await h.call('socket.connect', { id: tied.id, address: '127.0.0.1', port });
      await h.call('packets.send', { file: saved.file, session: tied.id });
      await until(() => got.length >= 6, 'three more by send');
      const other = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_DGRAM' });
      await h.call('socket.connect', { id: other.id, address: '127.0.0.1', port: port === 65535 ? 1 : port + 1 });
      await expect(h.call('packets.send', { file: saved.file, session: other.id })).rejects.toThrow(`sendto: EISCONN (106): "U" goes to 127.0.0.1:${port} but session #${other.id} is connected to 127.0.0.1:${port === 65535 ? 1 : port + 1}: send it as new`);
      expect(got).toEqual(['u', 'u', 'u', 'u', 'u', 'u']);
      // A packet that is not sendable says why, and sends nothing.
      const dtls = await h.call('packets.save', { packet: { name: 'S', protocol: 'dtls', target: `127.0.0.1:${port}`, data: 'x' } });
      if (!dtls.ok) throw new Error('save');
      await expect(h.call('packets.send', { file: dtls.file })).rejects.toThrow('"S" cannot be sent: DTLS is not supported');
    } finally {
      peer.close();
      await h.close();
    }
  });
});
