// TLS options as the contract gives them (paths, names, versions) → what
// Node's tls takes (PEM text, a trust list), checked here in main: each file
// is read, must be PEM of the right kind, a key must be the certificate's
// pair. Every problem is a BAD_REQUEST naming its field (tls.cert, tls.key,
// tls.ca), so the form shows it next to the right input.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import type { CertSummary, TlsInfo } from '../../../shared/contract/tls.js';
import { EngineError } from '../../core/errors.js';
import { summarize } from './certs.js';

/** Options after the contract's schema (defaults applied). */
export interface ClientOptions {
  servername?: string | undefined;
  alpn?: string[] | undefined;
  verify: boolean;
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  minVersion?: string | undefined;
  maxVersion?: string | undefined;
  resume: boolean;
}

export interface ServerOptions {
  cert?: string | undefined;
  key?: string | undefined;
  clientCert: 'none' | 'request' | 'require';
  ca?: string | undefined;
  alpn?: string[] | undefined;
  minVersion?: string | undefined;
  maxVersion?: string | undefined;
}

/** A certificate and its key as PEM, and where they came from. */
export interface Identity {
  cert: string;
  key: string;
  source: 'files' | 'workspace' | 'memory';
  /** The file shown to the user (the certificate's). */
  file?: string;
  /** How it came to be, when it was just made ("generated", "replaced: …"). */
  note?: string;
}

type Own = NonNullable<TlsInfo['own']>;

export interface ClientMaterial {
  servername?: string | undefined;
  alpn?: string[] | undefined;
  verify: boolean;
  resume: boolean;
  /** The system's roots plus the extra CA file's certificates, when one is given (Node's `ca` replaces the roots). */
  ca?: string[] | undefined;
  /** The extra CA file's path (shown, and kept when the session is saved as a packet). */
  caFile?: string | undefined;
  /** The client certificate's and key's paths (kept when the session is saved as a packet). */
  certFile?: string | undefined;
  keyFile?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  minVersion?: string | undefined;
  maxVersion?: string | undefined;
  own?: Own | undefined;
}

export interface ServerMaterial {
  cert: string;
  key: string;
  ca?: string[] | undefined;
  clientCert: 'none' | 'request' | 'require';
  alpn?: string[] | undefined;
  minVersion?: string | undefined;
  maxVersion?: string | undefined;
  own: Own;
}

const PEM_MAX = 1024 * 1024;
const bad = (field: string, message: string): EngineError => new EngineError('BAD_REQUEST', `${field}: ${message}`, undefined, field);

/** The text of a PEM file, or an error on `field` saying why it cannot be one. */
function readPem(path: string, field: string): string {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw bad(field, `${path} is a folder, not a PEM file`);
    size = st.size;
  } catch (e) {
    if (e instanceof EngineError) throw e;
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    throw bad(field, `cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code} (${code})`);
  }
  if (size > PEM_MAX) throw bad(field, `${path} is larger than 1 MiB: not a PEM file`);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    throw bad(field, `cannot read ${path}: ${code}`);
  }
  const text = bytes.toString('latin1');
  if (!text.includes('-----BEGIN ')) {
    const der = bytes[0] === 0x30 ? ' (it looks like DER: convert it with openssl x509 -inform der -in FILE -out FILE.pem)' : '';
    throw bad(field, `${path} is not PEM: it has no -----BEGIN …----- block${der}`);
  }
  return text;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** Every certificate block of a PEM text, each read by X509Certificate. */
function certificates(text: string, path: string, field: string): { pem: string[]; parsed: X509Certificate[] } {
  const pem: string[] = [];
  const kinds = new Set<string>();
  for (const m of text.matchAll(BLOCK)) {
    kinds.add(m[1]!);
    if (m[1] === 'CERTIFICATE' || m[1] === 'TRUSTED CERTIFICATE') pem.push(m[0]);
  }
  if (pem.length === 0) {
    const has = kinds.size ? `it holds ${[...kinds].join(', ')}` : 'its PEM blocks are not closed';
    throw bad(field, `${path} has no certificate: ${has}, not a -----BEGIN CERTIFICATE----- block`);
  }
  const parsed = pem.map((p, i) => {
    try {
      return new X509Certificate(p);
    } catch (e) {
      throw bad(field, `${path}: certificate ${i + 1} cannot be read (${(e as Error).message})`);
    }
  });
  return { pem, parsed };
}

function privateKey(text: string, path: string, field: string): KeyObject {
  const kinds = [...text.matchAll(BLOCK)].map((m) => m[1]!);
  if (!kinds.some((k) => k.endsWith('PRIVATE KEY'))) {
    throw bad(field, `${path} holds no private key: ${kinds.length ? `it holds ${kinds.join(', ')}` : 'its PEM blocks are not closed'}, not a -----BEGIN PRIVATE KEY----- block`);
  }
  try {
    return createPrivateKey(text);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_MISSING_PASSPHRASE' || kinds.includes('ENCRYPTED PRIVATE KEY')) {
      throw bad(field, `${path} is encrypted with a passphrase: give an unencrypted key (openssl pkey -in FILE -out plain.pem)`);
    }
    throw bad(field, `${path} cannot be read as a private key (${(e as Error).message})`);
  }
}

/** A certificate file and its key file, checked to be a pair. */
export function identityFromFiles(certPath: string, keyPath: string): Identity {
  const certText = readPem(certPath, 'tls.cert');
  const { parsed } = certificates(certText, certPath, 'tls.cert');
  const keyText = readPem(keyPath, 'tls.key');
  const key = privateKey(keyText, keyPath, 'tls.key');
  if (!parsed[0]!.checkPrivateKey(key)) {
    throw bad('tls.key', `${keyPath} does not match the certificate in ${certPath} (${summarize(parsed[0]!).subject || 'its first certificate'}): they are not a pair`);
  }
  return { cert: certText, key: keyText, source: 'files', file: certPath };
}

/** Checks a certificate and key given as PEM (the workspace's own): they read and are a pair. */
export function checkIdentity(id: Identity): X509Certificate {
  const cert = new X509Certificate(id.cert);
  if (!cert.checkPrivateKey(createPrivateKey(id.key))) throw new Error('the key does not match the certificate');
  return cert;
}

/** What an identity shows: its certificate read, where it comes from. */
export function ownIdentity(id: Identity): Own {
  const cert: CertSummary = summarize(new X509Certificate(id.cert));
  return { cert, source: id.source, ...(id.file ? { file: id.file } : {}), ...(id.note ? { note: id.note } : {}) };
}

/** The extra CA file's certificates added to the system's roots. */
function trust(caPath: string | undefined): string[] | undefined {
  if (caPath === undefined) return undefined;
  return [...rootCertificates, ...certificates(readPem(caPath, 'tls.ca'), caPath, 'tls.ca').pem];
}

export function clientMaterial(o: ClientOptions): ClientMaterial {
  const id = o.cert !== undefined && o.key !== undefined ? identityFromFiles(o.cert, o.key) : undefined;
  return {
    servername: o.servername,
    alpn: o.alpn,
    verify: o.verify,
    resume: o.resume,
    ca: trust(o.ca),
    caFile: o.ca,
    certFile: id ? o.cert : undefined,
    keyFile: id ? o.key : undefined,
    cert: id?.cert,
    key: id?.key,
    minVersion: o.minVersion,
    maxVersion: o.maxVersion,
    own: id ? ownIdentity(id) : undefined,
  };
}

/** Server material; without cert and key, `fallback` gives the workspace's self-signed identity. */
export async function serverMaterial(o: ServerOptions, fallback: () => Promise<Identity>): Promise<ServerMaterial> {
  const id = o.cert !== undefined && o.key !== undefined ? identityFromFiles(o.cert, o.key) : await fallback();
  return {
    cert: id.cert,
    key: id.key,
    ca: trust(o.ca),
    clientCert: o.clientCert,
    alpn: o.alpn,
    minVersion: o.minVersion,
    maxVersion: o.maxVersion,
    own: ownIdentity(id),
  };
}
