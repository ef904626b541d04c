// Saving from the composer: a TLS client session is saved as a tls packet
// with the name and protocols it offered (and verification off if it was),
// so sending it again connects the same way; a STARTTLS session stays tcp.
import { describe, expect, it } from 'vitest';
import type { SessionInfo } from '../../../shared/contract/index.js';
import type { Draft } from '../stores/composer.js';
import { fromComposer } from './saved-packet.js';

const draft: Draft = { text: 'hi\\n', mode: 'text', encoding: 'utf-8', append: 'none', clearAfterSend: false, address: '', port: '', history: [] };
const session = (tls?: SessionInfo['tls']): SessionInfo => ({
  id: 1, family: 'AF_INET', type: 'SOCK_STREAM', state: 'connected', readMode: 'auto', timeoutMs: null,
  peer: { family: 'AF_INET', address: '127.0.0.1', port: 8443 },
  counters: { bytesIn: 0, bytesOut: 0, chunksIn: 0, chunksOut: 0 },
  ...(tls ? { tls } : {}),
} as SessionInfo);

describe('a saved packet from a TLS session', () => {
  it('connect with TLS → protocol tls with its SNI, ALPN and verify choice', () => {
    const p = fromComposer(session({ role: 'client', via: 'connect', state: 'established', servername: 'localhost', alpnOffered: ['h2'], caFile: '/etc/ca.pem', verify: { on: false, ok: false } }), draft);
    expect(p).toEqual({ protocol: 'tls', target: '127.0.0.1:8443', data: 'hi\\n', tls: { servername: 'localhost', alpn: ['h2'], ca: '/etc/ca.pem', verify: false } });
  });

  it('mutual TLS → the client certificate and key files, and the versions it allowed, are kept', () => {
    const p = fromComposer(session({ role: 'client', via: 'connect', state: 'established', certFile: '/home/me/me.pem', keyFile: '/home/me/me.key', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' }), draft);
    expect(p.tls).toEqual({ cert: '/home/me/me.pem', key: '/home/me/me.key', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
  });

  it('plain TCP, and a STARTTLS upgrade, stay tcp', () => {
    expect(fromComposer(session(), draft)).toEqual({ protocol: 'tcp', target: '127.0.0.1:8443', data: 'hi\\n' });
    expect(fromComposer(session({ role: 'client', via: 'starttls', state: 'established' }), draft)).toMatchObject({ protocol: 'tcp' });
  });
});
