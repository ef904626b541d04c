// `sockbench packets …`, `sockbench send NAME` and `--pcap` (dist/cli.cjs):
// the same workspace as the app, chosen by --workspace, $SOCKBENCH_WORKSPACE
// or $XDG_DATA_HOME; answers printed as `packetsender -n` would.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { peerSuite } from '../support/peers.js';
import { pyPeer } from '../support/py-peer.js';
import { tsharkRead } from '../support/tshark.js';

const CLI = 'dist/cli.cjs';
const tmp = (): string => mkdtempSync(join(tmpdir(), 'sockbench-cli-ws-'));
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [CLI, ...args], { timeout: 20_000, env: { ...process.env, SOCKBENCH_WORKSPACE: '', ...env } });

describe('sockbench packets and send', () => {
  it('import, list (plain and --json), export in each format, all over --workspace', { timeout: 120_000 }, () => {
    const ws = tmp();
    const file = join(tmp(), 'mine.yaml');
    writeFileSync(file, '- name: Echo me\n  protocol: udp\n  target: 127.0.0.1:7\n  data: "hi\\\\n"\n  tags: [demo]\n- name: Bad\n  protocol: udp\n');
    const imp = cli(['packets', 'import', file, '--workspace', ws]);
    expect(String(imp.stdout)).toBe('took\tEcho me\tpackets/echo-me.yaml\nrefused\tBad\ttarget: a udp packet needs a target (host:port)\n');
    expect(String(imp.stderr)).toContain('yaml: took 1, marked 0 not sendable, refused 1');
    expect(imp.status).toBe(1);
    expect(existsSync(join(ws, 'packets', 'echo-me.yaml'))).toBe(true);

    const list = cli(['packets', 'list', '--workspace', ws]);
    expect(list.status).toBe(0);
    expect(String(list.stdout)).toBe('Echo me\tudp\t127.0.0.1:7  [demo]\n');
    const json = JSON.parse(String(cli(['--workspace', ws, 'packets', 'list', '--json']).stdout)) as { workspace: string; packets: { file: string; sendable: boolean }[] };
    expect(json).toMatchObject({ workspace: ws, packets: [{ file: 'echo-me.yaml', sendable: true }] });

    const out = tmp();
    for (const [format, name] of [['packetsender-ini', 'p.ini'], ['packetsender-json', 'p.json'], ['yaml', 'p.yaml']] as const) {
      const r = cli(['packets', 'export', join(out, name), '--format', format, `--workspace=${ws}`]);
      expect(r.status, String(r.stderr)).toBe(0);
      expect(String(r.stderr)).toContain(`wrote 1 packet to ${join(out, name)} (${format})`);
    }
    expect(readFileSync(join(out, 'p.ini'), 'utf8')).toContain('[Echo%20me]\n');
    expect(readFileSync(join(out, 'p.ini'), 'utf8')).toContain('hexString="68 69 0A "\n');
    // Each export imports back into an empty workspace as the same packet.
    for (const name of ['p.ini', 'p.json', 'p.yaml']) {
      const other = tmp();
      expect(cli(['packets', 'import', join(out, name), '--workspace', other]).status).toBe(0);
      expect(String(cli(['packets', 'list', '--workspace', other]).stdout)).toMatch(/^Echo me\tudp\t127\.0\.0\.1:7/);
    }
  });

  it('the workspace comes from --workspace, else $SOCKBENCH_WORKSPACE, else $XDG_DATA_HOME/sockbench', { timeout: 120_000 }, () => {
    const data = tmp();
    const env = tmp();
    const flag = tmp();
    const where = (args: string[], e: NodeJS.ProcessEnv) => String(cli(['packets', 'list', ...args], e).stderr).split('\n')[0];
    expect(where([], { XDG_DATA_HOME: data })).toBe(`sockbench: workspace ${join(data, 'sockbench')}: 0 saved packets`);
    expect(existsSync(join(data, 'sockbench', 'workspace.yaml'))).toBe(true);
    expect(where([], { XDG_DATA_HOME: data, SOCKBENCH_WORKSPACE: env })).toBe(`sockbench: workspace ${env}: 0 saved packets`);
    expect(where(['--workspace', flag], { XDG_DATA_HOME: data, SOCKBENCH_WORKSPACE: env })).toBe(`sockbench: workspace ${flag}: 0 saved packets`);
    const bad = cli(['packets', 'list', '--workspace', '/proc/version']);
    expect(bad.status).toBe(1);
    expect(String(bad.stderr)).toBe('sockbench: /proc/version is a file, not a folder\n');
    expect(String(cli(['packets', 'export', 'x']).stderr)).toMatch(/^sockbench: packets export needs --format packetsender-ini\|packetsender-json\|yaml\n/);
    expect(String(cli(['packets', 'list', '--workspace']).stderr)).toMatch(/^sockbench: --workspace needs a folder/);
  });

  it('a broken file is named with its line; list exits 1 and still lists the rest', { timeout: 120_000 }, () => {
    const ws = tmp();
    cli(['packets', 'list', '--workspace', ws]);
    writeFileSync(join(ws, 'packets', 'ok.yaml'), 'name: Fine\nprotocol: tcp\ntarget: 127.0.0.1:1\n');
    writeFileSync(join(ws, 'packets', 'broken.yaml'), 'name: Broken\nprotocol: tcp\ntarget: 127.0.0.1:99999\n');
    const r = cli(['packets', 'list', '--workspace', ws]);
    expect(r.status).toBe(1);
    expect(String(r.stdout)).toBe('Fine\ttcp\t127.0.0.1:1\n');
    expect(String(r.stderr)).toContain('sockbench: packets/broken.yaml:3: target: address "127.0.0.1:99999": port must be between 0 and 65535\n');
  });
});

const py = peerSuite('python3');
describe.skipIf(py.skip)(`${py.title}: sockbench send NAME`, () => {
  it('sends once and prints the answer, like packetsender -n; UDP and TCP', { timeout: 120_000 }, async () => {
    const ws = tmp();
    const udp = await pyPeer('udp', { reply: Buffer.from('udp answer\n') });
    const tcp = await pyPeer('tcp', { reply: Buffer.from('tcp answer\n') });
    try {
      const file = join(tmp(), 'p.yaml');
      writeFileSync(file, `- {name: U, protocol: udp, target: "127.0.0.1:${udp.port}", data: "hex:00 ff 0a"}\n- {name: T, protocol: tcp, target: "127.0.0.1:${tcp.port}", data: "GET /\\\\r\\\\n"}\n`);
      expect(cli(['packets', 'import', file, '--workspace', ws]).status).toBe(0);
      const u = await new Promise<{ out: Buffer; err: string; code: number | null }>((resolve) => {
        const p = spawn(process.execPath, [CLI, 'send', 'U', '--wait', '1500', '--workspace', ws]);
        const out: Buffer[] = [];
        let err = '';
        p.stdout.on('data', (d: Buffer) => out.push(d));
        p.stderr.on('data', (d: Buffer) => (err += String(d)));
        p.once('exit', (code) => resolve({ out: Buffer.concat(out), err, code }));
      });
      expect(u.code, u.err).toBe(0);
      expect(String(u.out)).toBe('udp answer\n');
      expect(u.err).toContain(`sent "U": 3 bytes over udp to 127.0.0.1:${udp.port}`);
      expect((await udp.received()).map((g) => g.bytes.toString('hex'))).toEqual(['00ff0a']);
      const t = cli(['send', 'T', '--wait', '1500', '--workspace', ws]);
      expect(t.status, String(t.stderr)).toBe(0);
      expect(String(t.stdout)).toBe('tcp answer\n');
      expect((await tcp.received()).map((g) => g.bytes.toString())).toEqual(['GET /\r\n']);
      const missing = cli(['send', 'Nope', '--workspace', ws]);
      expect(missing.status).toBe(1);
      expect(String(missing.stderr)).toBe('sockbench: no saved packet named "Nope"\n');
    } finally {
      udp.stop();
      tcp.stop();
    }
  });
});

const ts = peerSuite('tshark');
describe.skipIf(ts.skip)(`${ts.title}: --pcap on listen and connect`, () => {
  it('both ends write what they saw; tshark follows the same stream from each file', { timeout: 120_000 }, async () => {
    const dir = tmp();
    const srv = spawn(process.execPath, [CLI, 'listen', 'tcp', '127.0.0.1:0', '--echo', '--count', '1', '--timeout', '10', '--json', '--pcap', join(dir, 'server.pcapng')]);
    let out = '';
    srv.stdout.on('data', (d: Buffer) => (out += String(d)));
    const exited = new Promise<number | null>((r) => srv.once('exit', (code) => r(code)));
    const listening = () => /"message":"listening on [^"]*","address":"127\.0\.0\.1","port":(\d+)/.exec(out)?.[1];
    await expect.poll(listening, { timeout: 10_000 }).toBeTruthy();
    const port = listening()!;
    const c = cli(['connect', 'tcp', `127.0.0.1:${port}`, '--send', 'hello\\r\\n', '--pcap', join(dir, 'client.pcapng')]);
    expect(c.status, String(c.stderr)).toBe(0);
    expect(String(c.stderr)).toMatch(/wrote 5 packets to .*client\.pcapng/);
    expect(await exited).toBe(0);
    for (const [file, first] of [['client.pcapng', 0], ['server.pcapng', 0]] as const) {
      const follow = (await tsharkRead(readFileSync(join(dir, file)), ['-qz', 'follow,tcp,hex,0'])).toString('utf8');
      const rows = follow.split('\n').filter((l) => /^\t?0{8} {2}/.test(l)).map((l) => `${l.startsWith('\t') ? 1 : 0}:${l.slice(l.indexOf('  ') + 2, l.indexOf('  ') + 2 + 21).trim()}`);
      expect(rows, `${file}\n${follow}`).toEqual([`${first}:68 65 6c 6c 6f 0d 0a`, `${1 - first}:68 65 6c 6c 6f 0d 0a`]);
      expect(follow).toContain(`Node 1: 127.0.0.1:${port}`);
    }
  });
});
