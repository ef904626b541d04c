// Certificates as a person reads them (crypto.X509Certificate), and the
// reasons a TLS handshake or a certificate check failed, in words: which
// certificate, which date, which name, beside OpenSSL's own code.
import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { CertSummary, VerifyReason } from '../../../shared/contract/tls.js';

/** "Dec  7 00:16:48 2026 GMT" → "2026-12-07T00:16:48Z" (the form the contract carries). */
function isoDate(text: string): string {
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? text : d.toISOString().replace('.000Z', 'Z');
}

/** 2026-12-07T00:16:48Z → "2026-12-07 00:16:48 UTC" for messages. */
export const showDate = (iso: string): string => iso.replace('T', ' ').replace(/Z$/, ' UTC');

/** "CN=localhost\nO=Acme" → "CN=localhost, O=Acme". */
const oneLine = (name: string): string => name.split('\n').filter((s) => s !== '').join(', ');

export function summarize(x: X509Certificate): CertSummary {
  return {
    subject: oneLine(x.subject),
    issuer: oneLine(x.issuer),
    san: x.subjectAltName ? x.subjectAltName.split(', ') : [],
    validFrom: isoDate(x.validFrom),
    validTo: isoDate(x.validTo),
    fingerprint256: x.fingerprint256,
    serialNumber: x.serialNumber,
    // (checkIssued would also want keyCertSign in a key usage: a self-signed server certificate need not have it)
    selfSigned: x.subject === x.issuer && x.verify(x.publicKey),
    ca: x.ca,
  };
}

/** A certificate's name for messages: its subject, else its SAN. */
export const certName = (c: CertSummary): string => c.subject || c.san.join(', ') || `serial ${c.serialNumber}`;

/**
 * The peer's chain, leaf first: what it sent, completed with the issuers this
 * side trusts (OpenSSL builds it so). Empty when it sent no certificate.
 */
export function peerChain(sock: TLSSocket): CertSummary[] {
  const out: CertSummary[] = [];
  const seen = new Set<string>();
  type Detailed = { raw?: Buffer; fingerprint256?: string; issuerCertificate?: Detailed };
  let c = sock.getPeerCertificate(true) as Detailed | null | undefined;
  while (c?.raw && c.fingerprint256 && !seen.has(c.fingerprint256)) {
    seen.add(c.fingerprint256);
    out.push(summarize(new X509Certificate(c.raw)));
    c = c.issuerCertificate;
  }
  return out;
}

/** OpenSSL's verification codes (and Node's for the name check) → the reason a person knows. */
const REASONS: Record<string, VerifyReason> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'unknown-issuer',
  UNABLE_TO_GET_ISSUER_CERT: 'unknown-issuer',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unknown-issuer',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unknown-issuer',
  CERT_UNTRUSTED: 'unknown-issuer',
  INVALID_CA: 'unknown-issuer',
  ERR_TLS_CERT_ALTNAME_INVALID: 'hostname-mismatch',
  CERT_HAS_EXPIRED: 'expired',
  CERT_NOT_YET_VALID: 'not-yet-valid',
};

export const REASON_WORDS: Record<VerifyReason, string> = {
  'self-signed': 'self-signed',
  'unknown-issuer': 'unknown issuer',
  'hostname-mismatch': 'hostname mismatch',
  expired: 'expired',
  'not-yet-valid': 'not yet valid',
  'no-certificate': 'no certificate',
  other: 'not trusted',
};

export interface VerifyFailure {
  reason: VerifyReason;
  code: string;
  /** "expired: CN=localhost expired on 2020-01-02 00:00:00 UTC" */
  message: string;
}

/**
 * Why the chain did not verify, naming the certificate at fault. `code` is
 * OpenSSL's (authorizationError); `host` the name the certificate had to
 * carry; `nameError` Node's own message for a name that did not match.
 */
export function explainVerify(code: string, chain: readonly CertSummary[], host: string, nameError?: string, now = new Date()): VerifyFailure {
  const reason = REASONS[code] ?? 'other';
  const leaf = chain[0];
  const root = chain.at(-1);
  const at = now.toISOString();
  let detail: string;
  switch (reason) {
    case 'self-signed':
      detail = leaf ? `${certName(leaf)} is signed by itself, and nothing you trust vouches for it (trust it with a CA file, or turn verification off)` : 'the certificate is signed by itself';
      break;
    case 'unknown-issuer':
      detail = code === 'SELF_SIGNED_CERT_IN_CHAIN' && root
        ? `the chain ends in the root ${certName(root)}, which is not a CA you trust (give its certificate as the CA file)`
        : leaf ? `${certName(leaf)} was issued by ${leaf.issuer}, which is not a CA you trust (give that CA's certificate as the CA file)` : 'the issuer is not a CA you trust';
      break;
    case 'hostname-mismatch': {
      const names = leaf ? (leaf.san.length ? leaf.san.join(', ') : leaf.subject) : '?';
      detail = `the certificate is for ${names}, not for ${host}${nameError ? ` (${nameError})` : ''}`;
      break;
    }
    case 'expired': {
      const c = chain.find((x) => x.validTo < at) ?? leaf;
      detail = c ? `${certName(c)} expired on ${showDate(c.validTo)}` : 'a certificate of the chain has expired';
      break;
    }
    case 'not-yet-valid': {
      const c = chain.find((x) => x.validFrom > at) ?? leaf;
      detail = c ? `${certName(c)} is not valid before ${showDate(c.validFrom)}` : 'a certificate of the chain is not valid yet';
      break;
    }
    default:
      detail = `OpenSSL says ${code}`;
  }
  return { reason, code, message: `${REASON_WORDS[reason]}: ${detail} (${code})` };
}

/** Handshake errors (err.code as Node gives it) in words: what the peer or OpenSSL objected to. */
const HANDSHAKE_WORDS: Record<string, string> = {
  ERR_SSL_WRONG_VERSION_NUMBER: 'the peer did not answer in TLS (a plain-text service, or the wrong port?)',
  ERR_SSL_HTTP_REQUEST: 'the peer sent a plain HTTP request, not a TLS hello',
  ERR_SSL_PACKET_LENGTH_TOO_LONG: 'the peer did not speak TLS (it sent plain data?)',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'the peer does not trust our certificate: unknown CA (alert 48)',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'the peer rejected our certificate: bad certificate (alert 42)',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: 'the peer rejected our certificate as expired (alert 45)',
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'the peer requires a client certificate and we sent none (alert 116)',
  ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE: 'the client sent no certificate, and this server requires one',
  ERR_SSL_NO_SHARED_CIPHER: 'no cipher both sides accept',
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE: 'the peer ended the handshake: handshake failure (alert 40: no common cipher, version or a certificate it wanted)',
  ERR_SSL_UNSUPPORTED_PROTOCOL: 'no TLS version both sides accept',
  ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION: 'the peer accepts none of the TLS versions offered (alert 70)',
  ERR_SSL_NO_PROTOCOLS_AVAILABLE: 'no TLS version is left between the minimum and maximum given',
  ERR_SSL_UNSUPPORTED_PROTOCOL_VERSION: 'no TLS version both sides accept',
  ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL: 'the peer speaks none of the ALPN protocols offered (alert 120)',
  ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR: 'the peer could not check a signature (alert 51)',
  ERR_SSL_TLSV1_ALERT_INTERNAL_ERROR: 'the peer had an internal error (alert 80)',
  ERR_TLS_HANDSHAKE_TIMEOUT: 'the handshake did not finish in time',
  ECONNRESET: 'the peer reset the connection during the handshake',
  EPIPE: 'the peer closed the connection during the handshake',
};

/** One line for an error that ended a handshake (not a certificate check of ours). */
export function explainHandshake(err: unknown): { code: string; message: string; reason?: VerifyReason } {
  const e = err as { code?: unknown; reason?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : 'ERR_TLS';
  const words = HANDSHAKE_WORDS[code];
  const openssl = typeof e?.reason === 'string' ? e.reason : typeof e?.message === 'string' ? e.message.split('\n')[0]!.replace(/^[0-9A-F]+:error:[0-9A-F]+:SSL routines:[^:]*:/, '') : String(err);
  const reason = code === 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE' ? 'no-certificate' : undefined;
  // Node reports a peer that closed mid-handshake as ECONNRESET "socket hang up"; nothing was reset.
  if (code === 'ECONNRESET' && e?.message === 'socket hang up') return { code, message: 'the peer closed the connection before the handshake was done (ECONNRESET: socket hang up)' };
  return { code, message: words ? `${words} (${code})` : `${openssl} (${code})`, ...(reason ? { reason } : {}) };
}
