// The TLS forms' state (text as typed) turned into the contract's TLS
// options: empty fields are left out, so main's defaults apply. Checking
// is the contract's schema's (in useCall) and main's (the files).
import { splitAlpn, type TlsClientOptions, type TlsServerOptions, type TlsVersion } from '../../../shared/contract/tls.js';

export interface TlsClientForm {
  servername: string;
  alpn: string;
  verify: boolean;
  ca: string;
  cert: string;
  key: string;
  minVersion: TlsVersion | '';
  maxVersion: TlsVersion | '';
}

export interface TlsServerForm {
  cert: string;
  key: string;
  clientCert: 'none' | 'request' | 'require';
  ca: string;
  alpn: string;
}

export const emptyClientForm = (): TlsClientForm => ({ servername: '', alpn: '', verify: true, ca: '', cert: '', key: '', minVersion: '', maxVersion: '' });
export const emptyServerForm = (): TlsServerForm => ({ cert: '', key: '', clientCert: 'none', ca: '', alpn: '' });

/** The form fields an error may name (the contract's paths under `tls`). */
export const TLS_CLIENT_FIELDS = ['tls.servername', 'tls.alpn', 'tls.verify', 'tls.ca', 'tls.cert', 'tls.key', 'tls.minVersion', 'tls.maxVersion'] as const;
export const TLS_SERVER_FIELDS = ['tls.cert', 'tls.key', 'tls.clientCert', 'tls.ca', 'tls.alpn'] as const;

const text = (s: string): string | undefined => (s.trim() === '' ? undefined : s.trim());

export function clientOptions(f: TlsClientForm): TlsClientOptions {
  const o: TlsClientOptions = { verify: f.verify };
  const servername = text(f.servername);
  if (servername) o.servername = servername;
  if (text(f.alpn)) o.alpn = splitAlpn(f.alpn);
  for (const k of ['ca', 'cert', 'key'] as const) {
    const p = text(f[k]);
    if (p) o[k] = p;
  }
  if (f.minVersion) o.minVersion = f.minVersion;
  if (f.maxVersion) o.maxVersion = f.maxVersion;
  return o;
}

export function serverOptions(f: TlsServerForm): TlsServerOptions {
  const o: TlsServerOptions = { clientCert: f.clientCert };
  for (const k of ['cert', 'key', 'ca'] as const) {
    const p = text(f[k]);
    if (p) o[k] = p;
  }
  if (text(f.alpn)) o.alpn = splitAlpn(f.alpn);
  return o;
}
