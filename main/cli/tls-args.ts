// The TLS options of `sockbench connect tls` and `sockbench listen tls`,
// turned into the contract's TLS options (paths made absolute here; the
// files themselves are read and checked by main, as for the app).
import { resolve } from 'node:path';
import * as v from 'valibot';
import { AlpnList, CLIENT_CERT_MODES, TLS_VERSIONS, splitAlpn, type TlsClientOptions, type TlsServerOptions, type TlsVersion } from '../../shared/contract/tls.js';
import { UsageError } from './usage-error.js';

export const TLS_CONNECT_OPTIONS = {
  servername: { type: 'string' },
  alpn: { type: 'string' },
  insecure: { type: 'boolean' },
  ca: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  'min-version': { type: 'string' },
  'max-version': { type: 'string' },
} as const;

export const TLS_LISTEN_OPTIONS = {
  cert: { type: 'string' },
  key: { type: 'string' },
  alpn: { type: 'string' },
  ca: { type: 'string' },
  'client-cert': { type: 'string' },
  'min-version': { type: 'string' },
  'max-version': { type: 'string' },
} as const;

export const TLS_USAGE = `  sockbench connect tls <host:port> [--servername NAME] [--alpn h2,http/1.1] [--insecure] [--ca FILE] [--cert FILE --key FILE]
                        [--min-version V] [--max-version V] …
  sockbench listen  tls <addr> [--cert FILE --key FILE] [--client-cert request|require] [--ca FILE] [--alpn LIST]
                        [--min-version V] [--max-version V] …`;

export const TLS_HELP = `tls: TCP under TLS. connect verifies the server's certificate against the system's roots plus --ca FILE
      (--insecure: no verification, what would have failed is still printed) and checks that it names
      the host (--servername NAME: the name sent as SNI and checked; a host name in <host:port> is both);
      a failed verification exits 1 with one line naming why. listen without --cert/--key presents the
      workspace's self-signed certificate for localhost (its file, tls/localhost-cert.pem, is what a
      client trusts); --client-cert asks clients for a certificate (require: refuse those without a good one).
      --min-version/--max-version limit the protocol either side offers: ${TLS_VERSIONS.join(', ')}
      (Node's default: TLSv1.2 to TLSv1.3). FILEs are PEM. DTLS is not supported.`;

type Values = Record<string, string | boolean | undefined>;

const path = (values: Values, name: string): string | undefined => {
  const p = values[name];
  if (p === undefined) return undefined;
  if (p === '') throw new UsageError(`--${name} needs a file`);
  return resolve(p as string);
};

function alpn(values: Values): string[] | undefined {
  if (values.alpn === undefined) return undefined;
  const list = splitAlpn(values.alpn as string);
  const r = v.safeParse(AlpnList, list);
  if (!r.success) throw new UsageError(`--alpn: ${r.issues[0].message}`);
  return r.output;
}

function pair(values: Values): { cert?: string; key?: string } {
  const cert = path(values, 'cert');
  const key = path(values, 'key');
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('--cert and --key go together: the certificate and its private key');
  return cert && key ? { cert, key } : {};
}

/** --min-version / --max-version: one of TLS_VERSIONS, the lower not above the higher. */
function versions(values: Values): { minVersion?: TlsVersion; maxVersion?: TlsVersion } {
  const one = (flag: 'min-version' | 'max-version'): TlsVersion | undefined => {
    const given = values[flag] as string | undefined;
    if (given === undefined) return undefined;
    if (!(TLS_VERSIONS as readonly string[]).includes(given)) throw new UsageError(`--${flag} must be one of ${TLS_VERSIONS.join(', ')}, got "${given}"`);
    return given as TlsVersion;
  };
  const minVersion = one('min-version');
  const maxVersion = one('max-version');
  if (minVersion && maxVersion && TLS_VERSIONS.indexOf(minVersion) > TLS_VERSIONS.indexOf(maxVersion)) {
    throw new UsageError(`--min-version ${minVersion} is above --max-version ${maxVersion}`);
  }
  return { ...(minVersion ? { minVersion } : {}), ...(maxVersion ? { maxVersion } : {}) };
}

/** Refuses TLS options on a protocol that is not tls. */
export function refuseTlsOptions(values: Values, protocol: string): void {
  const given = [...new Set([...Object.keys(TLS_CONNECT_OPTIONS), ...Object.keys(TLS_LISTEN_OPTIONS)])].find((k) => values[k] !== undefined);
  if (given) throw new UsageError(`--${given} is a TLS option: use the protocol tls, not ${protocol}`);
}

/** connect tls: `host` is the host name of <host:port>, when it was one (the default server name). */
export function tlsConnectOptions(values: Values, host?: string): TlsClientOptions {
  const servername = (values.servername as string | undefined) ?? host;
  const list = alpn(values);
  const ca = path(values, 'ca');
  return {
    ...(servername !== undefined ? { servername } : {}),
    ...(list ? { alpn: list } : {}),
    ...(values.insecure ? { verify: false } : {}),
    ...(ca ? { ca } : {}),
    ...pair(values),
    ...versions(values),
  };
}

export function tlsListenOptions(values: Values): TlsServerOptions {
  const mode = values['client-cert'] as string | undefined;
  if (mode !== undefined && !(CLIENT_CERT_MODES as readonly string[]).includes(mode)) throw new UsageError(`--client-cert must be one of ${CLIENT_CERT_MODES.join(', ')}, got "${mode}"`);
  const list = alpn(values);
  const ca = path(values, 'ca');
  return {
    ...pair(values),
    ...(mode ? { clientCert: mode as TlsServerOptions['clientCert'] } : {}),
    ...(ca ? { ca } : {}),
    ...(list ? { alpn: list } : {}),
    ...versions(values),
  };
}
