// How the CLI prints TLS: the handshake in one line (the trace's own
// summary), then each certificate of the peer's chain, or what a listener
// presents, on stderr as status lines (--json: with the TlsInfo itself).
import type { CertSummary, TlsInfo } from '../../shared/contract/tls.js';
import type { Output } from './output.js';

const when = (iso: string): string => iso.replace('T', ' ').replace(/Z$/, ' UTC');

/** A certificate in five lines: subject, issuer, names, validity, SHA-256. */
export function certLines(c: CertSummary, title: string): string[] {
  return [
    `${title}: ${c.subject || '(no subject)'}${c.selfSigned ? ' (self-signed)' : ''}`,
    `  issuer  ${c.issuer}`,
    ...(c.san.length ? [`  names   ${c.san.join(', ')}`] : []),
    `  valid   ${when(c.validFrom)} … ${when(c.validTo)}`,
    `  sha256  ${c.fingerprint256}`,
  ];
}

/** After a handshake: its summary (the trace's line) and the peer's chain. */
export function printHandshake(out: Output, prefix: string, summary: string, tls: TlsInfo): void {
  out.status(`${prefix}${summary}`, { tls });
  const chain = tls.peer ?? [];
  chain.forEach((c, i) => {
    for (const line of certLines(c, `${prefix}${tls.role === 'client' ? 'server' : 'client'} certificate ${i + 1} of ${chain.length}`)) out.status(line);
  });
}

/** What a TLS listener presents, and where it comes from. */
export function ownLines(own: NonNullable<TlsInfo['own']>): string[] {
  const from = own.source === 'workspace' ? `the workspace's self-signed certificate${own.note === 'generated' ? ', made now' : ''}; clients trust it with ${own.file}`
    : own.source === 'memory' ? `a self-signed certificate of this run only (${own.note ?? 'the workspace cannot keep one'})`
      : own.file ?? 'files';
  return certLines(own.cert, `presenting ${from}`);
}
