// The TLS forms send only what was filled in (main's defaults apply to the
// rest), with the ALPN text split as the CLI splits it, and the contract's
// schema names the field of each mistake (where the form shows it).
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { TlsClientOptions, TlsServerOptions } from '../../../shared/contract/tls.js';
import { clientOptions, emptyClientForm, emptyServerForm, serverOptions, TLS_CLIENT_FIELDS } from './tls-form.js';

const issues = (schema: v.GenericSchema, value: unknown) => {
  const r = v.safeParse(schema, value);
  return r.success ? [] : r.issues.map((i) => `tls.${i.path!.map((p) => String(p.key)).join('.')}: ${i.message}`);
};

describe('TLS form → contract options', () => {
  it('an untouched client form verifies and sends nothing else; filled fields are trimmed and kept', () => {
    expect(clientOptions(emptyClientForm())).toEqual({ verify: true });
    const f = { ...emptyClientForm(), servername: ' example.com ', alpn: 'h2, http/1.1,', verify: false, ca: '/etc/ca.pem', maxVersion: 'TLSv1.2' as const };
    expect(clientOptions(f)).toEqual({ servername: 'example.com', alpn: ['h2', 'http/1.1'], verify: false, ca: '/etc/ca.pem', maxVersion: 'TLSv1.2' });
    expect(serverOptions(emptyServerForm())).toEqual({ clientCert: 'none' });
  });

  it("each mistake lands on a field the form shows", () => {
    const f = { ...emptyClientForm(), servername: '10.0.0.1', cert: '/c.pem', minVersion: 'TLSv1.3' as const, maxVersion: 'TLSv1.2' as const };
    const found = issues(TlsClientOptions, clientOptions(f));
    expect(found).toEqual([
      expect.stringMatching(/^tls\.servername: servername is a host name/),
      'tls.key: key is needed with cert: the private key of that certificate (mutual TLS needs both)',
      'tls.minVersion: minVersion TLSv1.3 is above maxVersion TLSv1.2',
    ]);
    for (const line of found) expect(TLS_CLIENT_FIELDS).toContain(line.slice(0, line.indexOf(':')));
    expect(issues(TlsServerOptions, serverOptions({ ...emptyServerForm(), key: '/k.pem' }))).toEqual([
      'tls.cert: cert is needed with key: the certificate of that private key (without both, the workspace’s self-signed certificate is used)',
    ]);
  });
});
