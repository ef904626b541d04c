// TLS peers the tests start themselves: openssl s_server and s_client, and
// small Python ssl scripts (a STARTTLS server in the manner of SMTP, a
// server that requires a client certificate, a client with one).
import { spawn, type ChildProcess } from 'node:child_process';
import { until } from './engine-harness.js';
import { freePort } from './peers.js';

export interface Proc {
  proc: ChildProcess;
  out: () => string;
  err: () => string;
  write: (s: string) => void;
  exited: Promise<number | null>;
  stop: () => void;
}

export function start(cmd: string, args: string[]): Proc {
  const proc = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString('latin1')));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString('latin1')));
  proc.stdin!.on('error', () => undefined);
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return { proc, out: () => out, err: () => err, write: (s) => proc.stdin!.write(s), exited, stop: () => proc.kill('SIGKILL') };
}

/** `openssl s_server` on a free loopback port, once it says ACCEPT. What clients send shows on its stdout; its stdin goes to the client. */
export async function sServer(args: string[]): Promise<Proc & { port: number }> {
  const port = await freePort();
  const p = start('openssl', ['s_server', '-accept', `127.0.0.1:${port}`, '-naccept', '4', ...args]);
  await until(() => p.out().includes('ACCEPT') || p.proc.exitCode !== null, 'openssl s_server to listen', 15_000);
  if (p.proc.exitCode !== null) throw new Error(`openssl s_server exited: ${p.err()}`);
  return { ...p, port };
}

/** Python ssl: prints {"port": n} once listening, then one JSON line per event. */
export async function python(script: string, args: string[]): Promise<Proc & { port: number; lines: () => Record<string, unknown>[] }> {
  const p = start('python3', ['-c', script, ...args]);
  const lines = (): Record<string, unknown>[] => p.out().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  await until(() => lines().length > 0 || p.proc.exitCode !== null, 'the python peer to listen', 15_000);
  if (p.proc.exitCode !== null && lines().length === 0) throw new Error(`python exited: ${p.err()}`);
  return { ...p, port: lines()[0]!.port as number, lines: () => lines().slice(1) };
}

/**
 * A STARTTLS server in the manner of SMTP: greets in the clear, answers
 * STARTTLS with 220, upgrades, then answers each line inside TLS with
 * "250 secure <line>". argv: cert key.
 */
export const STARTTLS_SERVER = String.raw`
import socket, ssl, sys, json
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1)
print(json.dumps({'port': s.getsockname()[1]}), flush=True)
s.settimeout(30)
c, _ = s.accept(); c.settimeout(20)
c.sendall(b'220 mail.test ESMTP ready\r\n')
f = c.makefile('rb')
line = f.readline()
print(json.dumps({'plain': line.decode()}), flush=True)
c.sendall(b'220 2.0.0 Ready to start TLS\r\n')
t = ctx.wrap_socket(c, server_side=True)
print(json.dumps({'tls': t.version()}), flush=True)
g = t.makefile('rb')
line = g.readline()
print(json.dumps({'secure': line.decode()}), flush=True)
t.sendall(b'250 secure ' + line)
t.close()
`;

/**
 * A TLS server that requires a client certificate issued by the CA, and
 * reports the peer's subject and what it sent. argv: cert key ca.
 */
export const MTLS_SERVER = String.raw`
import socket, ssl, sys, json
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
ctx.load_verify_locations(sys.argv[3])
ctx.verify_mode = ssl.CERT_REQUIRED
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1)
print(json.dumps({'port': s.getsockname()[1]}), flush=True)
s.settimeout(30)
c, _ = s.accept()
try:
    t = ctx.wrap_socket(c, server_side=True)
    t.settimeout(20)
    subject = dict(x[0] for x in t.getpeercert()['subject'])
    print(json.dumps({'peer': subject.get('commonName')}), flush=True)
    data = t.recv(100)
    print(json.dumps({'got': data.decode()}), flush=True)
    t.sendall(b'hello ' + subject.get('commonName').encode())
    t.close()
except ssl.SSLError as e:
    print(json.dumps({'error': e.reason}), flush=True)
`;

/**
 * A TLS client (Python ssl) that trusts the CA, may present a client
 * certificate, sends a line and prints what comes back. argv: port ca [cert key].
 */
export const TLS_CLIENT = String.raw`
import socket, ssl, sys, json
ctx = ssl.create_default_context(cafile=sys.argv[2])
if len(sys.argv) > 4: ctx.load_cert_chain(sys.argv[3], sys.argv[4])
print(json.dumps({'port': 0}), flush=True)
try:
    with socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=20) as raw:
        with ctx.wrap_socket(raw, server_hostname='localhost') as t:
            print(json.dumps({'tls': t.version(), 'peer': dict(x[0] for x in t.getpeercert()['subject']).get('commonName')}), flush=True)
            t.sendall(b'ping over tls\n')
            print(json.dumps({'got': t.recv(100).decode()}), flush=True)
except Exception as e:
    print(json.dumps({'error': str(e)}), flush=True)
`;

/** A client that speaks SMTP-like STARTTLS to us: reads a greeting, sends STARTTLS, upgrades on 220, says EHLO inside. argv: port ca. */
export const STARTTLS_CLIENT = String.raw`
import socket, ssl, sys, json
ctx = ssl.create_default_context(cafile=sys.argv[2])
print(json.dumps({'port': 0}), flush=True)
try:
    c = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=20)
    f = c.makefile('rb')
    print(json.dumps({'greeting': f.readline().decode()}), flush=True)
    c.sendall(b'STARTTLS\r\n')
    print(json.dumps({'answer': f.readline().decode()}), flush=True)
    t = ctx.wrap_socket(c, server_hostname='localhost')
    print(json.dumps({'tls': t.version()}), flush=True)
    t.sendall(b'EHLO inside\r\n')
    print(json.dumps({'got': t.recv(100).decode()}), flush=True)
    t.close()
except Exception as e:
    print(json.dumps({'error': str(e)}), flush=True)
`;
