// The workspace's own TLS identity: a self-signed certificate for localhost,
// 127.0.0.1 and ::1 that a TLS listener presents when it is given none.
// Generated once (with selfsigned, over @peculiar/x509 and WebCrypto) and
// kept in the workspace's tls/ folder, so every listener, the app's and the
// CLI's, shows the same fingerprint and a client can pin or trust it:
//   tls/localhost.pem       the key and the certificate (0600: it holds the key)
//   tls/localhost-cert.pem  the certificate alone, for clients (--ca, pinning)
// Both are written atomically; an expired or unreadable pair is replaced.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { writeFileAtomic } from './atomic.js';

export const TLS_FOLDER = 'tls';
export const IDENTITY_FILE = 'localhost.pem';
export const CERT_FILE = 'localhost-cert.pem';
/** 825 days: the longest validity Apple's clients accept for a TLS server certificate. */
const VALID_DAYS = 825;

export interface WorkspaceIdentity {
  cert: string;
  key: string;
  /** workspace: kept in tls/; memory: the workspace cannot be written (read-only), so this run made one of its own. */
  source: 'workspace' | 'memory';
  /** The certificate file a client trusts (absent for memory). */
  file?: string;
  /** Why it was (re)made, when it was: "generated", "replaced: it expired on …". */
  note?: string;
}

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/;
const KEY_BLOCK = /-----BEGIN (?:EC |RSA )?PRIVATE KEY-----[\s\S]*?-----END (?:EC |RSA )?PRIVATE KEY-----\n?/;

/** The kept pair if it reads, matches and is still valid; else why not. */
function readKept(path: string, now: Date): { cert: string; key: string } | { why: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { why: 'generated' };
  }
  const cert = CERT_BLOCK.exec(text)?.[0];
  const key = KEY_BLOCK.exec(text)?.[0];
  if (!cert || !key) return { why: `replaced: ${path} did not hold a certificate and a key` };
  try {
    const x = new X509Certificate(cert);
    if (!x.checkPrivateKey(createPrivateKey(key))) return { why: `replaced: the key in ${path} did not match its certificate` };
    if (new Date(x.validTo) <= now) return { why: `replaced: the old one expired on ${new Date(x.validTo).toISOString()}` };
  } catch (e) {
    return { why: `replaced: ${path} could not be read (${(e as Error).message})` };
  }
  return { cert, key };
}

async function makeCertificate(now: Date): Promise<{ cert: string; key: string }> {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }, { name: 'organizationName', value: 'Sockbench (self-signed for this workspace)' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 60_000), // a minute of slack for a peer whose clock is behind
    notAfterDate: new Date(now.getTime() + VALID_DAYS * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }] },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** One generation at a time per folder: two listeners started together present the same certificate. */
const inFlight = new Map<string, Promise<WorkspaceIdentity>>();

/**
 * The identity kept in `dir`/tls, made when missing, unreadable or expired.
 * `readOnly` (a workspace of a newer format): nothing is written, and this
 * run uses a certificate of its own, said so in `source`.
 */
export function workspaceIdentity(dir: string, readOnly?: string, now = new Date()): Promise<WorkspaceIdentity> {
  const folder = join(dir, TLS_FOLDER);
  const running = inFlight.get(folder);
  if (running) return running;
  const job = (async (): Promise<WorkspaceIdentity> => {
    const path = join(folder, IDENTITY_FILE);
    const kept = readKept(path, now);
    if ('cert' in kept) return { ...kept, source: 'workspace', file: join(folder, CERT_FILE) };
    const pems = await makeCertificate(now);
    const made = { cert: `${pems.cert.trim()}\n`, key: `${pems.key.trim()}\n` };
    if (readOnly) return { ...made, source: 'memory', note: `not kept: ${readOnly}` };
    try {
      mkdirSync(folder, { recursive: true, mode: 0o700 });
      writeFileAtomic(path, `${made.key}${made.cert}`, 0o600);
      chmodSync(path, 0o600); // (the umask may have taken bits away, never added any)
      writeFileAtomic(join(folder, CERT_FILE), made.cert, 0o644);
    } catch (e) {
      return { ...made, source: 'memory', note: `not kept: cannot write ${folder} (${(e as NodeJS.ErrnoException).code ?? String(e)})` };
    }
    return { ...made, source: 'workspace', file: join(folder, CERT_FILE), note: kept.why };
  })();
  inFlight.set(folder, job);
  return job.finally(() => inFlight.delete(folder));
}
