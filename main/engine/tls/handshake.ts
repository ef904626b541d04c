// The TLS handshake over a connected net.Socket, as a client (connect,
// STARTTLS) or a server (an accepted connection, STARTTLS), with Node's tls.
// It ends with what the session shows (TlsInfo: version, cipher, ALPN,
// resumption, the peer's chain, the check of it) or a TlsFailure naming why,
// in words, carrying the same TlsInfo so the chain that failed is still seen.
//
// A client always lets Node finish the handshake (rejectUnauthorized off)
// and judges the certificate itself: the chain is then known even when it
// does not verify, and "verify off" still says what would have failed.
import type net from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import type { CertSummary, TlsInfo, TlsVersion } from '../../../shared/contract/tls.js';
import { nowUs } from '../../core/clock.js';
import { EngineError } from '../../core/errors.js';
import { certName, explainHandshake, explainVerify, peerChain } from './certs.js';
import type { ClientMaterial, ServerMaterial } from './material.js';

export class TlsFailure extends EngineError {
  constructor(message: string, readonly info: TlsInfo) {
    super('TLS_ERROR', message);
  }
}

export interface Handshake {
  sock: TLSSocket;
  info: TlsInfo;
}

/**
 * Sessions offered for resumption, by peer and name (the newest ticket
 * each), with the chain the full handshake showed: a resumed TLS 1.3
 * handshake sends no certificate. Bounded.
 */
const SESSIONS_MAX = 256;
const sessions = new Map<string, { ticket: Buffer; chain: CertSummary[] }>();
function keep(key: string, ticket: Buffer, chain: CertSummary[]): void {
  sessions.delete(key);
  sessions.set(key, { ticket, chain });
  if (sessions.size > SESSIONS_MAX) sessions.delete(sessions.keys().next().value!);
}

/** What every established handshake shows. */
function established(sock: TLSSocket, base: TlsInfo, t0: number): TlsInfo {
  return {
    ...base,
    state: 'established',
    protocol: sock.getProtocol() ?? undefined,
    cipher: sock.getCipher()?.standardName ?? sock.getCipher()?.name,
    alpn: typeof sock.alpnProtocol === 'string' ? sock.alpnProtocol : null,
    resumed: sock.isSessionReused(),
    handshakeUs: nowUs() - t0,
    peer: peerChain(sock),
  };
}

/** One line for the trace: "TLSv1.3 TLS_AES_256_GCM_SHA384, ALPN h2, new session, verified CN=localhost". */
export function describeTls(i: TlsInfo): string {
  const parts = [`${i.protocol ?? '?'} ${i.cipher ?? ''}`.trim()];
  if (i.alpn) parts.push(`ALPN ${i.alpn}`);
  else if (i.alpnOffered) parts.push('no ALPN agreed');
  parts.push(i.resumed ? 'resumed session' : 'new session');
  const leaf = i.peer?.[0];
  if (i.verify) {
    const who = leaf ? ` ${certName(leaf)}` : '';
    parts.push(i.verify.ok ? `verified${who}` : `${i.verify.on ? 'rejected' : 'not verified (verification off)'}${who}: ${i.verify.message ?? ''}`);
  } else if (leaf) parts.push(`peer ${certName(leaf)}`);
  return parts.join(', ');
}

/**
 * Runs the client side over `raw` (connected; nothing of ours reads it).
 * `timeoutMs` null: no limit, as a blocking socket.
 */
export function clientHandshake(raw: net.Socket, m: ClientMaterial, peer: { address: string; port: number }, via: 'connect' | 'starttls', timeoutMs: number | null): Promise<Handshake> {
  const t0 = nowUs();
  const key = `${peer.address}|${peer.port}|${m.servername ?? ''}`;
  const host = m.servername ?? peer.address;
  const base: TlsInfo = {
    role: 'client', via, state: 'handshaking',
    ...(m.servername ? { servername: m.servername } : {}),
    ...(m.alpn ? { alpnOffered: m.alpn } : {}),
    ...(m.caFile ? { caFile: m.caFile } : {}),
    ...(m.certFile && m.keyFile ? { certFile: m.certFile, keyFile: m.keyFile } : {}),
    ...(m.minVersion ? { minVersion: m.minVersion as TlsVersion } : {}),
    ...(m.maxVersion ? { maxVersion: m.maxVersion as TlsVersion } : {}),
    ...(m.own ? { own: m.own } : {}),
  };
  return new Promise<Handshake>((resolve, reject) => {
    let nameError: Error | undefined;
    raw.allowHalfOpen = false; // see halfOpenAgain
    const sock = tls.connect({
      socket: raw,
      host: peer.address,
      ...(m.servername ? { servername: m.servername } : {}),
      ...(m.alpn ? { ALPNProtocols: m.alpn } : {}),
      rejectUnauthorized: false,
      checkServerIdentity: (name, cert) => (nameError = tls.checkServerIdentity(name, cert)),
      ...(m.ca ? { ca: m.ca } : {}),
      ...(m.cert && m.key ? { cert: m.cert, key: m.key } : {}),
      ...(m.minVersion ? { minVersion: m.minVersion as tls.SecureVersion } : {}),
      ...(m.maxVersion ? { maxVersion: m.maxVersion as tls.SecureVersion } : {}),
      ...(m.resume && sessions.has(key) ? { session: sessions.get(key)!.ticket } : {}),
    });
    let chain: CertSummary[] = [];
    if (m.resume) sock.on('session', (ticket: Buffer) => keep(key, ticket, chain));
    const timer = timeoutMs === null ? undefined : setTimeout(() => fail(new TlsFailure(`tls handshake: no TLS answer from the peer within ${timeoutMs} ms`, { ...base, state: 'failed' })), timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      sock.off('error', onError);
      sock.off('close', onClose);
    };
    const fail = (e: TlsFailure): void => {
      done();
      sock.destroy();
      reject(e);
    };
    const onError = (err: unknown): void => {
      const why = explainHandshake(err);
      fail(new TlsFailure(`tls handshake: ${why.message}`, { ...base, state: 'failed', ...(why.reason ? { verify: { on: m.verify, ok: false, reason: why.reason, code: why.code, message: why.message } } : {}) }));
    };
    const onClose = (): void => fail(new TlsFailure('tls handshake: the peer closed the connection during the handshake', { ...base, state: 'failed' }));
    sock.once('error', onError);
    sock.once('close', onClose);
    sock.once('secureConnect', () => {
      const info = established(sock, base, t0);
      if (info.resumed && info.peer?.length === 0) info.peer = sessions.get(key)?.chain ?? [];
      chain = info.peer ?? [];
      const code = sock.authorized ? undefined : String(sock.authorizationError ?? 'UNABLE_TO_VERIFY');
      if (code === undefined) {
        info.verify = { on: m.verify, ok: true };
      } else {
        const why = explainVerify(code, info.peer ?? [], host, code === 'ERR_TLS_CERT_ALTNAME_INVALID' ? nameError?.message : undefined);
        info.verify = { on: m.verify, ok: false, reason: why.reason, code, message: why.message };
        if (m.verify) {
          info.state = 'failed';
          return fail(new TlsFailure(`tls handshake: the server's certificate is not trusted: ${why.message}`, info));
        }
      }
      done();
      halfOpenAgain(sock);
      resolve({ sock, info });
    });
  });
}

/**
 * During a handshake the socket is not half-open: a peer that closes then
 * must end it (with allowHalfOpen, Node's TLSSocket waits on a FIN that no
 * one reads, for ever). Once established the session is half-open again, so
 * shutdown(SHUT_WR) and a peer's FIN each close one direction only.
 */
function halfOpenAgain(sock: TLSSocket): void {
  sock.allowHalfOpen = true;
}

/**
 * An error on an established TLS socket in words (an alert after the
 * handshake: a TLS 1.3 server refusing our client certificate says so only
 * then), or undefined for the socket's own errors (ECONNRESET …).
 */
export function tlsStreamError(e: unknown): EngineError | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !/^ERR_(SSL|TLS)_/.test(code)) return undefined;
  return new EngineError('TLS_ERROR', `tls: ${explainHandshake(e).message}`);
}

type Settle = (err: unknown, sock: TLSSocket) => void;

/**
 * The server side: one tls.Server per listener (never listening itself) runs
 * every accepted connection's handshake, so session tickets resume across
 * connections and client certificates are judged as Node's own server does.
 */
export class TlsServerSide {
  private readonly server: tls.Server;
  private readonly waiting = new Map<net.Socket, Settle>();
  /** Client chains read just before Node judges them (see below). */
  private readonly chains = new WeakMap<TLSSocket, CertSummary[]>();

  constructor(readonly material: ServerMaterial) {
    const m = material;
    this.server = new tls.Server({
      cert: m.cert,
      key: m.key,
      ...(m.ca ? { ca: m.ca } : {}),
      requestCert: m.clientCert !== 'none',
      rejectUnauthorized: m.clientCert === 'require',
      ...(m.alpn ? { ALPNProtocols: m.alpn } : {}),
      ...(m.minVersion ? { minVersion: m.minVersion as tls.SecureVersion } : {}),
      ...(m.maxVersion ? { maxVersion: m.maxVersion as tls.SecureVersion } : {}),
    });
    this.server.on('secureConnection', (sock: TLSSocket) => this.settle(sock, null));
    this.server.on('tlsClientError', (err: Error, sock: TLSSocket) => this.settle(sock, err));
    if (m.clientCert !== 'none') {
      // Node's server destroys a connection whose client certificate does not
      // verify before anyone sees it, so its chain would be lost. The first
      // key-log line (public API) comes earlier in every handshake: from there
      // a listener ahead of Node's reads the chain first. The lines are dropped.
      this.server.on('keylog', (_line: Buffer, sock: TLSSocket) => {
        if (this.chains.has(sock)) return;
        this.chains.set(sock, []);
        sock.prependOnceListener('secure', () => this.chains.set(sock, safeChain(sock) ?? []));
      });
    }
  }

  /** Node's TLSSocket keeps the socket it wraps as _parent: how a handshake's end finds its connection. */
  private settle(sock: TLSSocket, err: unknown): void {
    const raw = (sock as unknown as { _parent?: net.Socket })._parent;
    const fn = raw && this.waiting.get(raw);
    if (!fn || !raw) {
      sock.destroy();
      return;
    }
    this.waiting.delete(raw);
    fn(err, sock);
  }

  /** The base of what an accepted or upgraded connection shows. */
  private base(via: 'accept' | 'starttls'): TlsInfo {
    const m = this.material;
    return { role: 'server', via, state: 'handshaking', own: m.own, clientCert: m.clientCert, ...(m.alpn ? { alpnOffered: m.alpn } : {}) };
  }

  /** Runs the server side over `raw` (connected; nothing of ours reads it). */
  handshake(raw: net.Socket, via: 'accept' | 'starttls', timeoutMs: number | null = null): Promise<Handshake> {
    const t0 = nowUs();
    const base = this.base(via);
    const m = this.material;
    return new Promise<Handshake>((resolve, reject) => {
      const timer = timeoutMs === null ? undefined : setTimeout(() => {
        this.waiting.delete(raw);
        raw.destroy();
        reject(new TlsFailure(`tls handshake: no TLS hello from the client within ${timeoutMs} ms`, { ...base, state: 'failed' }));
      }, timeoutMs);
      this.waiting.set(raw, (err, sock) => {
        clearTimeout(timer);
        const info = err === null ? established(sock, base, t0) : { ...base, state: 'failed' as const, peer: safeChain(sock) };
        if (!info.peer?.length) info.peer = this.chains.get(sock) ?? [];
        if (sock.servername) info.servername = sock.servername;
        if (m.clientCert !== 'none') {
          const sent = (info.peer ?? []).length > 0;
          // (Node says UNABLE_TO_GET_ISSUER_CERT for a client that sent none)
          const code = !sent ? 'NO_CERTIFICATE' : sock.authorized ? undefined : sock.authorizationError ? String(sock.authorizationError) : undefined;
          if (code === undefined && err === null) info.verify = { on: m.clientCert === 'require', ok: true };
          else if (code !== undefined) {
            const why = code === 'NO_CERTIFICATE'
              ? { reason: 'no-certificate' as const, code, message: 'no certificate: the client sent none' }
              : explainVerify(code, info.peer ?? [], '');
            info.verify = { on: m.clientCert === 'require', ok: false, reason: why.reason, code, message: why.message };
          }
        }
        if (err === null) {
          halfOpenAgain(sock);
          return resolve({ sock, info });
        }
        sock.destroy();
        const why = info.verify && !info.verify.ok && m.clientCert === 'require' && info.verify.reason !== 'no-certificate'
          ? `the client's certificate is not trusted: ${info.verify.message}`
          : explainHandshake(err).message;
        reject(new TlsFailure(`tls handshake: ${why}`, info));
      });
      raw.allowHalfOpen = false; // see halfOpenAgain
      this.server.emit('connection', raw);
    });
  }
}

/** The chain of a socket whose handshake failed, if it still has one. */
function safeChain(sock: TLSSocket): TlsInfo['peer'] {
  try {
    return peerChain(sock);
  } catch {
    return [];
  }
}
