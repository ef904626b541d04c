// Certificates for the TLS tests, made by openssl itself (req, ca) in a temp
// folder: a CA, a server certificate it signed (localhost, 127.0.0.1, ::1),
// one for another host, one that expired and one not valid yet (openssl ca's
// -startdate/-enddate, dates around now), a client certificate, and
// self-signed ones. Every key is an EC P-256 key without a passphrase.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CONFIG = `[ ca ]
default_ca = test_ca
[ test_ca ]
dir = .
database = ./index.txt
new_certs_dir = .
serial = ./serial
default_md = sha256
policy = any
copy_extensions = none
unique_subject = no
[ any ]
commonName = supplied
[ server ]
basicConstraints = CA:FALSE
keyUsage = digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
[ other ]
basicConstraints = CA:FALSE
extendedKeyUsage = serverAuth
subjectAltName = DNS:example.com
[ client ]
basicConstraints = CA:FALSE
extendedKeyUsage = clientAuth
`;

export interface Pair {
  cert: string;
  key: string;
}

export interface TestCerts {
  dir: string;
  /** The test CA (trusted by passing it as the CA file). */
  ca: Pair;
  /** Signed by the CA for localhost, 127.0.0.1 and ::1, valid now. */
  server: Pair;
  /** Signed by the CA for example.com only. */
  other: Pair;
  /** Signed by the CA, valid from 60 to 30 days ago. */
  expired: Pair;
  /** Signed by the CA, valid from 30 days on. */
  future: Pair;
  /** A client certificate signed by the CA (CN=Sockbench Test Client). */
  client: Pair;
  /** Self-signed for localhost and 127.0.0.1. */
  self: Pair;
  /** A self-signed client certificate the CA never saw. */
  stranger: Pair;
  remove(): void;
}

/** openssl's date form for -startdate/-enddate: YYYYMMDDHHMMSSZ. */
const stamp = (daysFromNow: number): string => new Date(Date.now() + daysFromNow * 86_400_000).toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');

export function makeCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'sockbench-certs-'));
  const ssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  writeFileSync(join(dir, 'ca.cnf'), CONFIG);
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const pair = (name: string): Pair => ({ cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) });
  ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30', '-subj', '/CN=Sockbench Test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=keyCertSign,cRLSign');
  const signed = (name: string, ext: string, cn: string, from: number, to: number): Pair => {
    ssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    ssl('ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-in', `${name}.csr`, '-out', `${name}.pem`,
      '-extensions', ext, '-startdate', stamp(from), '-enddate', stamp(to), '-notext');
    return pair(name);
  };
  const selfSigned = (name: string, cn: string, san?: string): Pair => {
    ssl('req', '-x509', ...ec, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '30', '-subj', `/CN=${cn}`, ...(san ? ['-addext', `subjectAltName=${san}`] : []));
    return pair(name);
  };
  return {
    dir,
    ca: pair('ca'),
    server: signed('server', 'server', 'localhost', -1, 30),
    other: signed('other', 'other', 'example.com', -1, 30),
    expired: signed('expired', 'server', 'localhost', -60, -30),
    future: signed('future', 'server', 'localhost', 30, 60),
    client: signed('client', 'client', 'Sockbench Test Client', -1, 30),
    self: selfSigned('self', 'localhost', 'DNS:localhost,IP:127.0.0.1'),
    stranger: selfSigned('stranger', 'Stranger'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
