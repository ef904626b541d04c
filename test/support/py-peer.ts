// A Python peer that records exactly the bytes it receives: TCP (one
// connection, read until the sender closes or falls quiet, optionally answer
// first) or UDP (datagrams, each with its sender). It binds a free port and
// says which before anything is sent.
import { spawn } from 'node:child_process';

const SCRIPT = String.raw`
import socket, sys, binascii, json
kind, family, reply, count = sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3]), int(sys.argv[4])
af = socket.AF_INET6 if family == '6' else socket.AF_INET
host = '::1' if family == '6' else '127.0.0.1'
if kind == 'tcp':
    s = socket.socket(af, socket.SOCK_STREAM)
    s.bind((host, 0)); s.listen(4)
    print(json.dumps({'port': s.getsockname()[1]}), flush=True)
    s.settimeout(30)
    c, a = s.accept()
    c.settimeout(2)
    got = b''
    answered = False
    try:
        while True:
            d = c.recv(65536)
            if not d: break
            got += d
            if reply and not answered:
                c.sendall(reply); answered = True
    except socket.timeout:
        pass
    print(json.dumps({'from': a[1], 'hex': got.hex()}), flush=True)
else:
    s = socket.socket(af, socket.SOCK_DGRAM)
    s.bind((host, 0))
    print(json.dumps({'port': s.getsockname()[1]}), flush=True)
    s.settimeout(30)
    for _ in range(count):
        d, a = s.recvfrom(65536)
        if reply: s.sendto(reply, a)
        print(json.dumps({'from': a[1], 'hex': d.hex()}), flush=True)
`;

export interface PyPeer {
  port: number;
  /** What arrived: for TCP one record (the whole stream), for UDP one per datagram. */
  received(): Promise<{ from: number; bytes: Buffer }[]>;
  stop(): void;
}

export async function pyPeer(kind: 'tcp' | 'udp', opts: { family?: 4 | 6; reply?: Uint8Array; datagrams?: number } = {}): Promise<PyPeer> {
  const proc = spawn('python3', ['-c', SCRIPT, kind, String(opts.family ?? 4), Buffer.from(opts.reply ?? []).toString('hex'), String(opts.datagrams ?? 1)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const lines: Record<string, unknown>[] = [];
  let wake: () => void = () => undefined;
  proc.stdout!.on('data', (d: Buffer) => {
    out += String(d);
    let nl;
    while ((nl = out.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(out.slice(0, nl)) as Record<string, unknown>);
      out = out.slice(nl + 1);
      wake();
    }
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const next = async (): Promise<void> => {
    await Promise.race([new Promise<void>((r) => (wake = r)), exited]);
  };
  while (lines.length === 0) {
    await next();
    if (proc.exitCode !== null && lines.length === 0) throw new Error('the python peer exited before binding');
  }
  const port = (lines.shift() as { port: number }).port;
  return {
    port,
    async received() {
      await exited;
      return lines.map((l) => ({ from: l.from as number, bytes: Buffer.from(l.hex as string, 'hex') }));
    },
    stop: () => proc.kill('SIGKILL'),
  };
}
