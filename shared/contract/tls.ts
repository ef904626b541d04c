// The contract's part for TLS: the options of a TLS client (connect, STARTTLS
// as client), of a TLS server (listen, STARTTLS as server), and what a
// session shows after its handshake. Certificates, keys and CA files are
// given as absolute paths on the machine main runs on: main reads and checks
// them (PEM, key matching the certificate) and the page never reads a file.
// DTLS is not here: Sockbench has no DTLS sessions.
import * as v from 'valibot';
import { ipFamily } from '../net/address.js';

export const TLS_VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
export type TlsVersion = (typeof TLS_VERSIONS)[number];
export const TlsVersion = v.picklist(TLS_VERSIONS, `version must be one of ${TLS_VERSIONS.join(', ')}`);

/** ALPN: each protocol name is 1 to 255 bytes on the wire (RFC 7301); more than this many names is a mistake, not a client. */
export const ALPN_MAX_NAMES = 16;
const ALPN_NAME_MAX_BYTES = 255;
const utf8Length = (s: string): number => new TextEncoder().encode(s).length;

export const AlpnName = v.pipe(
  v.string('an ALPN protocol name must be text'),
  v.minLength(1, 'an ALPN protocol name must not be empty'),
  v.check((s) => utf8Length(s) <= ALPN_NAME_MAX_BYTES, (i) => `an ALPN protocol name is at most ${ALPN_NAME_MAX_BYTES} bytes, got ${utf8Length(String(i.input))}`),
  v.check((s) => !/[,\s]/.test(s), 'an ALPN protocol name has no commas or spaces (e.g. h2, http/1.1)'),
);

export const AlpnList = v.pipe(
  v.array(AlpnName, 'alpn must be a list of protocol names'),
  v.minLength(1, 'alpn needs at least one protocol name (or leave it out)'),
  v.maxLength(ALPN_MAX_NAMES, (i) => `alpn is too long: at most ${ALPN_MAX_NAMES} protocol names, got ${(i.input as unknown[]).length}`),
);

/** "h2, http/1.1" → ["h2", "http/1.1"] (the forms' and the CLI's way of writing the list). */
export function splitAlpn(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

const SERVERNAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

/** SNI: a host name. It cannot carry an IP address (RFC 6066); without it the address is what the certificate must name. */
export const Servername = v.pipe(
  v.string('servername must be text'),
  v.trim(),
  v.check((s) => ipFamily(s) === null, 'servername is a host name: SNI cannot carry an IP address (leave it empty to check the certificate against the address)'),
  v.check((s) => SERVERNAME.test(s), 'servername must be a host name such as example.com (letters, digits, - and _, dot-separated, at most 253 characters)'),
);

/** An absolute path on main's machine (POSIX /…, or C:\… and \\server\… on Windows). */
export const isAbsolutePath = (s: string): boolean => s.startsWith('/') || /^[A-Za-z]:[\\/]/.test(s) || s.startsWith('\\\\');

const PemPath = (name: string) =>
  v.pipe(
    v.string(`${name} must be a file path`),
    v.trim(),
    v.minLength(1, `${name} must not be empty (leave it out instead)`),
    v.maxLength(4096, `${name} is at most 4096 characters`),
    v.check(isAbsolutePath, (i) => `${name} must be an absolute path to a PEM file (e.g. /home/me/${name}.pem), got "${String(i.input)}"`),
  );

type Issue = (key: string, message: string) => void;
/** cert and key come together; the lowest version is not above the highest. */
function checkPairs(p: { cert?: string | undefined; key?: string | undefined; minVersion?: TlsVersion | undefined; maxVersion?: TlsVersion | undefined }, issue: Issue, without: string): void {
  if (p.cert !== undefined && p.key === undefined) issue('key', `key is needed with cert: the private key of that certificate (${without})`);
  if (p.key !== undefined && p.cert === undefined) issue('cert', `cert is needed with key: the certificate of that private key (${without})`);
  if (p.minVersion && p.maxVersion && TLS_VERSIONS.indexOf(p.minVersion) > TLS_VERSIONS.indexOf(p.maxVersion)) {
    issue('minVersion', `minVersion ${p.minVersion} is above maxVersion ${p.maxVersion}`);
  }
}

type Pairs = { cert?: string | undefined; key?: string | undefined; minVersion?: TlsVersion | undefined; maxVersion?: TlsVersion | undefined };
const withPairs = <T extends Pairs>(without: string) =>
  v.rawCheck<T>(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const p = dataset.value;
    checkPairs(p, (key, message) => addIssue({ message, path: [{ type: 'object', origin: 'value', input: p, key, value: (p as Record<string, unknown>)[key] }] }), without);
  });

const strict = (what: string) => (issue: v.BaseIssue<unknown>) =>
  issue.expected === 'never' ? `unknown TLS option "${String(issue.path?.at(-1)?.key)}"` : `${what} must be an object of TLS options`;

/** A TLS client: connect, or STARTTLS on a connected session as the client. */
const ClientObject = v.strictObject({
    /** SNI and the name the certificate must carry (default: none sent; the address is checked). */
    servername: v.optional(Servername),
    /** ALPN protocols offered, most wanted first. */
    alpn: v.optional(AlpnList),
    /** Check the peer's certificate (chain, dates, name). Off: the handshake goes on, and what would have failed is still shown. */
    verify: v.optional(v.boolean('verify must be true or false'), true),
    /** A CA certificate file trusted besides the system's roots. */
    ca: v.optional(PemPath('ca')),
    /** A client certificate and its key (mutual TLS). */
    cert: v.optional(PemPath('cert')),
    key: v.optional(PemPath('key')),
    minVersion: v.optional(TlsVersion),
    maxVersion: v.optional(TlsVersion),
    /** Offer the session kept from an earlier handshake with the same peer and name (default), so the server may resume it. */
    resume: v.optional(v.boolean('resume must be true or false'), true),
  }, strict('tls'));
export const TlsClientOptions = v.pipe(ClientObject, withPairs<v.InferOutput<typeof ClientObject>>('mutual TLS needs both'));
export type TlsClientOptions = v.InferInput<typeof TlsClientOptions>;

/** A saved packet's TLS options: the same keys, without filling in defaults, so a file keeps only what its author wrote (connect applies the defaults). */
const SavedClientObject = v.strictObject({
  ...ClientObject.entries,
  verify: v.optional(v.boolean('verify must be true or false')),
  resume: v.optional(v.boolean('resume must be true or false')),
}, strict('tls'));
export const SavedTlsOptions = v.pipe(SavedClientObject, withPairs<v.InferOutput<typeof SavedClientObject>>('mutual TLS needs both'));

export const CLIENT_CERT_MODES = ['none', 'request', 'require'] as const;

/** A TLS server: listen (each accepted connection handshakes), or STARTTLS on a connected session as the server. */
const ServerObject = v.strictObject({
    /** The server's certificate (a chain: leaf first) and key; without them, the workspace's self-signed certificate for localhost. */
    cert: v.optional(PemPath('cert')),
    key: v.optional(PemPath('key')),
    /** Client certificates: not asked (none), asked but not required (request), or required and verified (require). */
    clientCert: v.optional(v.picklist(CLIENT_CERT_MODES, `clientCert must be one of ${CLIENT_CERT_MODES.join(', ')}`), 'none'),
    /** The CA that issues client certificates (besides the system's roots). */
    ca: v.optional(PemPath('ca')),
    /** ALPN protocols this server speaks, preferred first. */
    alpn: v.optional(AlpnList),
    minVersion: v.optional(TlsVersion),
    maxVersion: v.optional(TlsVersion),
  }, strict('tls'));
export const TlsServerOptions = v.pipe(ServerObject, withPairs<v.InferOutput<typeof ServerObject>>('without both, the workspace’s self-signed certificate is used'));
export type TlsServerOptions = v.InferInput<typeof TlsServerOptions>;

/** One certificate as read by crypto.X509Certificate. Dates are ISO 8601 (UTC). */
export const CertSummary = v.object({
  subject: v.string(),
  issuer: v.string(),
  /** subjectAltName entries as OpenSSL prints them: DNS:localhost, IP Address:127.0.0.1 … */
  san: v.array(v.string()),
  validFrom: v.string(),
  validTo: v.string(),
  /** SHA-256 of the DER, AB:CD:… (what a client pins). */
  fingerprint256: v.string(),
  serialNumber: v.string(),
  selfSigned: v.boolean(),
  ca: v.boolean(),
});
export type CertSummary = v.InferOutput<typeof CertSummary>;

/** Why a certificate did not verify, in words a person knows. */
export const VERIFY_REASONS = ['self-signed', 'unknown-issuer', 'hostname-mismatch', 'expired', 'not-yet-valid', 'no-certificate', 'other'] as const;
export type VerifyReason = (typeof VERIFY_REASONS)[number];

/** What a TLS server presents when given no files: the workspace's self-signed certificate (its fingerprint is what a client pins). */
export const OwnIdentity = v.object({ cert: CertSummary, source: v.picklist(['files', 'workspace', 'memory']), file: v.optional(v.string()), note: v.optional(v.string()) });

export const TlsInfo = v.object({
  role: v.picklist(['client', 'server']),
  /** How TLS began: connect, an accepted connection, STARTTLS on a plain session, or a TLS listener. */
  via: v.picklist(['connect', 'accept', 'starttls', 'listen']),
  state: v.picklist(['handshaking', 'established', 'failed', 'listening']),
  /** Client: the SNI sent; server: the name the client asked for. */
  servername: v.optional(v.string()),
  alpnOffered: v.optional(v.array(v.string())),
  /** Client: the extra CA file trusted besides the system's roots. */
  caFile: v.optional(v.string()),
  /** Client: the certificate and key files it answered with (mutual TLS), and the versions it allowed: kept when the session is saved as a packet. */
  certFile: v.optional(v.string()),
  keyFile: v.optional(v.string()),
  minVersion: v.optional(TlsVersion),
  maxVersion: v.optional(TlsVersion),
  /** After the handshake. */
  protocol: v.optional(v.string()),
  cipher: v.optional(v.string()),
  /** The protocol ALPN chose; null: none was agreed. */
  alpn: v.optional(v.nullable(v.string())),
  resumed: v.optional(v.boolean()),
  handshakeUs: v.optional(v.number()),
  /** The peer's certificate check: on (verify), whether it passed, and if not why (shown even when verification is off). */
  verify: v.optional(v.object({
    on: v.boolean(),
    ok: v.boolean(),
    reason: v.optional(v.picklist(VERIFY_REASONS)),
    /** OpenSSL's or Node's code, e.g. DEPTH_ZERO_SELF_SIGNED_CERT. */
    code: v.optional(v.string()),
    message: v.optional(v.string()),
  })),
  /** The peer's chain as it sent it, leaf first (empty: it sent none). */
  peer: v.optional(v.array(CertSummary)),
  /** The certificate this side presents; `source` workspace: the self-signed one generated and kept in the workspace. */
  own: v.optional(OwnIdentity),
  /** Servers: whether client certificates are asked for. */
  clientCert: v.optional(v.picklist(CLIENT_CERT_MODES)),
});
export type TlsInfo = v.InferOutput<typeof TlsInfo>;

export const tlsMethods = {
  /** The workspace's self-signed certificate for localhost (made on first use, kept in tls/). */
  'tls.identity': { params: v.object({}), result: OwnIdentity },
} as const;
