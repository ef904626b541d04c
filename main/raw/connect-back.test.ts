// The connect-back channel (launcher.ts connectBack, helper.ts --connect),
// as the macOS admin prompt and UAC need it, run here on Linux over a real
// Unix socket: the channel alone (tokens, second connections, timeouts, the
// directory), and the real helper (from sources, as root) elevated through
// stand-ins for osascript and powershell that take the very commands
// elevationPlan() builds for macOS and Windows. The real osascript and UAC
// cannot run here.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { RawHelper, type RawHelperEvents, type RawHelperOptions, type RawPacket } from './raw-helper.js';
import { connectBack, type HelperChannel } from './launcher.js';
import { rawSuite } from '../../test/support/peers.js';
import { darwinShellCommand, elevationPlan } from './privilege.js';
import { echoRequest, helperEntry, sleep, tsxArgv } from './testkit.js';

const root = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const real = rawSuite('the real helper over connect-back');
let dir: string;
let rh: RawHelper | undefined;
const channels: HelperChannel[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sockbench-cb-test-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await rh?.stop();
  rh = undefined;
  for (const c of channels.splice(0)) c.kill('SIGKILL');
});

/** An executable script alone in its own directory (found through PATH by elevationPlan). */
function tool(name: string, body: string, shebang = '/bin/sh'): { pathEnv: string; file: string } {
  const d = mkdtempSync(join(dir, 'tool-'));
  const file = join(d, name);
  writeFileSync(file, `#!${shebang}\n${body}\n`);
  chmodSync(file, 0o755);
  return { pathEnv: d, file };
}

/** A private parent directory for the rendezvous, so a test can see what is left in it. */
function tmpParent(name = 'rv'): string {
  const d = mkdtempSync(join(dir, `${name}-`));
  return d;
}

/** Resolves when `pid` is gone (throws after `ms`). */
async function gone(pid: number, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    if (Date.now() > until) throw new Error(`pid ${pid} still runs after ${ms} ms`);
    await sleep(20);
  }
}

function connected(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(path, () => resolve(s));
    s.once('error', reject);
  });
}

const closed = (s: Socket) => new Promise<void>((r) => (s.destroyed ? r() : s.once('close', () => r())));

// ---------------- the channel alone ----------------

describe('connect-back channel', () => {
  /** A channel whose "elevation tool" waits (a prompt nobody answers yet); the test plays the helper. */
  function channel(body = 'exec sleep 30', opts: Parameters<typeof connectBack>[0] = {}) {
    const parent = tmpParent();
    const cb = connectBack({ tmp: parent, ...opts });
    const t = tool('prompt', body);
    const ch = cb.launch(t.file, []);
    channels.push(ch);
    const warnings: string[] = [];
    const data: Buffer[] = [];
    const exits: unknown[][] = [];
    ch.onWarning!((m) => warnings.push(m));
    ch.onData((d) => data.push(Buffer.from(d)));
    ch.onExit((...a) => exits.push(a));
    const token = readFileSync(cb.tokenFile, 'utf8');
    return { cb, ch, parent, warnings, data, exits, token };
  }

  async function listening(path: string): Promise<void> {
    for (let i = 0; i < 200 && !existsSync(path); i++) await sleep(10);
  }

  const until = async (cond: () => boolean, ms = 5000) => {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error('condition not met in time');
      await sleep(10);
    }
  };

  it('a private directory (0700) with the token file (0600) and the socket; the token is 32 random bytes in hex', async () => {
    const { cb, parent, token } = channel();
    await listening(cb.address);
    expect(dirname(cb.address)).toBe(cb.dir);
    expect(dirname(cb.dir)).toBe(parent);
    expect(statSync(cb.dir).mode & 0o777).toBe(0o700);
    expect(statSync(cb.tokenFile).mode & 0o777).toBe(0o600);
    expect(statSync(cb.address).isSocket()).toBe(true);
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(cb.helperArgs).toEqual(['--connect', cb.address, '--token-file', cb.tokenFile]);
    expect(readFileSync(connectBack({ tmp: parent }).tokenFile, 'utf8')).not.toBe(token); // fresh each time
  });

  it('wrong token → that connection is closed and reported; the right one is then accepted, both ways, and the directory goes', async () => {
    const { cb, ch, warnings, data, token } = channel();
    await listening(cb.address);
    ch.write(Buffer.from('queued before the helper connected|'));
    const bad = await connected(cb.address);
    bad.write('0'.repeat(64));
    await closed(bad);
    await until(() => warnings.length === 1);
    expect(warnings[0]).toMatch(/refused a connection: wrong token/);
    expect(existsSync(cb.dir)).toBe(true); // still waiting for the helper

    const good = await connected(cb.address);
    const got: Buffer[] = [];
    good.on('data', (d: Buffer) => got.push(d));
    good.write(`${token}frames follow the token`);
    await until(() => Buffer.concat(data).toString() === 'frames follow the token');
    ch.write(Buffer.from('and frames go back'));
    await until(() => Buffer.concat(got).toString() === 'queued before the helper connected|and frames go back');
    // Proven: the token file, the socket and the directory are gone; nobody else can connect.
    await until(() => !existsSync(cb.dir));
    await expect(connected(cb.address)).rejects.toMatchObject({ code: expect.stringMatching(/ENOENT|ECONNREFUSED/) });
    good.destroy();
  });

  it('a second connection (one waiting to send its token when the helper proves itself) is closed and reported', async () => {
    const { cb, warnings, token, exits } = channel();
    await listening(cb.address);
    const first = await connected(cb.address);
    const second = await connected(cb.address);
    first.write(token);
    await closed(second);
    await until(() => warnings.length === 1);
    expect(warnings[0]).toMatch(/refused a second connection/);
    expect(first.destroyed).toBe(false);
    expect(exits).toEqual([]);
    first.destroy();
  });

  it('a connection that sends nothing is closed after the token timeout; one that hangs up early is reported too', async () => {
    const { cb, warnings } = channel('exec sleep 30', { tokenTimeoutMs: 150 });
    await listening(cb.address);
    const silent = await connected(cb.address);
    await closed(silent);
    const early = await connected(cb.address);
    early.end('abc');
    await until(() => warnings.length === 2);
    expect(warnings).toEqual([
      expect.stringMatching(/sent no token in time/),
      expect.stringMatching(/closed before sending a token/),
    ]);
  });

  it('with more than 8 connections waiting to send a token, the oldest are dropped: the helper still gets in', async () => {
    const { cb, warnings, token, data } = channel();
    await listening(cb.address);
    const squatters = await Promise.all(Array.from({ length: 10 }, () => connected(cb.address)));
    await until(() => warnings.length === 2);
    expect(warnings).toEqual(Array(2).fill(expect.stringMatching(/too many were waiting to send a token/)));
    const s = await connected(cb.address);
    s.write(`${token}hi`);
    await until(() => Buffer.concat(data).toString() === 'hi');
    await Promise.all(squatters.map(closed)); // the rest go when the helper is in
    // 11 in all: 3 oldest dropped to make room (the helper's own arrival the third), 7 refused once it was in.
    expect(warnings.filter((w) => /too many/.test(w))).toHaveLength(3);
    expect(warnings.filter((w) => /second connection/.test(w))).toHaveLength(7);
    s.destroy();
  });

  it('the helper hangs up → onExit once (no code, no signal); the app ending the channel closes the connection', async () => {
    const a = channel();
    await listening(a.cb.address);
    const s = await connected(a.cb.address);
    s.write(a.token);
    await until(() => !existsSync(a.cb.dir));
    s.end();
    await until(() => a.exits.length === 1);
    expect(a.exits).toEqual([[null, null, undefined]]);

    const b = channel();
    await listening(b.cb.address);
    const t = await connected(b.cb.address);
    t.write(b.token);
    await until(() => !existsSync(b.cb.dir));
    b.ch.end();
    await closed(t);
    await until(() => b.exits.length === 1);
  });

  it('the tool fails before anyone connects → its exit code and stderr; the directory goes', async () => {
    const { cb, exits, ch } = channel('echo "0:100: execution error: User canceled. (-128)" >&2; exit 1');
    await until(() => exits.length === 1);
    expect(exits[0]).toEqual([1, null, undefined]);
    expect(ch.stderrTail()).toMatch(/User canceled\. \(-128\)/);
    expect(existsSync(cb.dir)).toBe(false);
  });

  it('the tool ends well but nobody connects → gives up after the connect timeout, saying so', async () => {
    const { cb, exits } = channel('exit 0', { connectTimeoutMs: 200 });
    await until(() => exits.length === 1);
    expect(exits[0]![2]).toBeInstanceOf(Error);
    expect((exits[0]![2] as Error).message).toMatch(/did not connect back within 0 s after .*prompt ended/);
    expect(existsSync(cb.dir)).toBe(false);
  });

  it('given up while the prompt is up (kill) → the tool is stopped, the directory goes', async () => {
    const { cb, ch, exits } = channel();
    await until(() => ch.pid !== undefined);
    const pid = ch.pid!;
    ch.kill('SIGTERM');
    expect(exits).toHaveLength(1);
    await gone(pid);
    expect(existsSync(cb.dir)).toBe(false);
  });

  it('a rendezvous that is never launched is removed by dispose()', () => {
    const cb = connectBack({ tmp: tmpParent() });
    expect(existsSync(cb.tokenFile)).toBe(true);
    cb.dispose();
    expect(existsSync(cb.dir)).toBe(false);
  });

  it('Windows: a random named pipe (the token file still in a private directory)', () => {
    const cb = connectBack({ platform: 'win32', tmp: tmpParent() });
    expect(cb.address).toMatch(/^\\\\\.\\pipe\\sockbench-raw-[0-9a-f]{32}$/);
    expect(dirname(cb.tokenFile)).toBe(cb.dir);
    cb.dispose();
  });
});

// ---------------- the real helper, elevated through stand-ins ----------------

/**
 * A stand-in for macOS's osascript: takes `-e 'do shell script "…" with
 * administrator privileges'`, decodes the AppleScript string literal (\\ and
 * \" only, as AppleScript does; any other escape is refused), and runs the
 * result with /bin/sh, as osascript does once the password is given. `before`:
 * what to do first, given the helper's argv (sh itself splits the command).
 */
function standInOsascript(mode: 'run' | 'cancel' | 'attack-first' | 'corrupt-token'): { pathEnv: string; file: string } {
  const js = String.raw`
const { spawnSync } = require('node:child_process');
const { writeFileSync } = require('node:fs');
const net = require('node:net');
const mode = ${JSON.stringify(mode)};
const [flag, script] = process.argv.slice(2);
const m = /^do shell script "((?:[^"\\]|\\[\s\S])*)" with administrator privileges$/.exec(script ?? '');
if (flag !== '-e' || !m || process.argv.length !== 4) {
  process.stderr.write('stand-in osascript: unexpected arguments ' + JSON.stringify(process.argv.slice(2)) + '\n');
  process.exit(2);
}
const cmd = m[1].replace(/\\([\s\S])/g, (_, c) => {
  if (c === '\\' || c === '"') return c;
  process.stderr.write('stand-in osascript: escape \\' + c + ' is not one we produce\n');
  process.exit(2);
});
if (mode === 'cancel') {
  process.stderr.write('0:187: execution error: User canceled. (-128)\n');
  process.exit(1);
}
const suffix = ' > /dev/null 2>&1 &';
if (!cmd.endsWith(suffix)) process.exit(3);
// The helper's argv exactly as sh reads the command.
const argv = spawnSync('/bin/sh', ['-c', "printf '%s\\0' " + cmd.slice(0, -suffix.length)]).stdout.toString().split('\0').slice(0, -1);
const at = (f) => argv[argv.indexOf(f) + 1];
const go = () => {
  const r = spawnSync('/bin/sh', ['-c', cmd], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
};
if (mode === 'corrupt-token') {
  writeFileSync(at('--token-file'), 'f'.repeat(64));
  go();
} else if (mode === 'attack-first') {
  // Another process of ours guesses: a wrong token, refused, before the helper comes.
  const s = net.connect(at('--connect'), () => s.write('a'.repeat(64)));
  s.on('error', () => {});
  s.on('close', go);
} else go();
`;
  return tool('osascript', js, process.execPath);
}

describe.skipIf(real.skip)(real.title, () => {
  const unprivileged = () => ({ privileged: false, reason: 'test: no CAP_NET_RAW' });

  function helper(opts: RawHelperOptions): RawHelper {
    rh = new RawHelper({ entry: helperEntry, execArgv: tsxArgv, sandbox: false, privilege: unprivileged, connectBack: true, ...opts });
    return rh;
  }

  /** RawHelper elevating through the macOS plan (the real command built by elevationPlan) run by a stand-in osascript. */
  function viaMac(mode: Parameters<typeof standInOsascript>[0], opts: RawHelperOptions = {}) {
    const t = standInOsascript(mode);
    const asked: string[][] = [];
    const r = helper({
      elevation: (node, args) => {
        asked.push([node, ...args]);
        return elevationPlan({ node, args, platform: 'darwin', pathEnv: t.pathEnv });
      },
      ...opts,
    });
    const warnings: string[] = [];
    r.on('warning', (e) => warnings.push(e.message));
    return { r, asked, warnings };
  }

  const echoOf = (p: RawPacket) => {
    const at = p.ipHeader ? (p.bytes[0]! & 0x0f) * 4 : 0;
    return { type: p.bytes[at], id: (p.bytes[at + 4]! << 8) | p.bytes[at + 5]! };
  };

  async function pingOnce(r: RawHelper, id: number) {
    const { handle } = await r.open({ protocol: 'icmp', family: 4 });
    const reply = new Promise<RawPacket>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no echo reply within 5 s')), 5000);
      const on = (...[p]: RawHelperEvents['packet']) => {
        if (p.handle !== handle || echoOf(p).type !== 0 || echoOf(p).id !== id) return;
        clearTimeout(timer);
        r.off('packet', on);
        resolve(p);
      };
      r.on('packet', on);
    });
    const sent = await r.send(handle, echoRequest(4, id, 1), '127.0.0.1');
    const packet = await reply;
    await r.close(handle);
    return { sent, packet };
  }

  it('macOS plan through a stand-in osascript, over a real Unix socket: ready, pings 127.0.0.1, directory gone; stop() closes the connection and the helper exits', async () => {
    // A hostile parent directory: spaces, quotes, $, backticks and unicode reach AppleScript and sh.
    const parent = join(tmpParent('hostile'), `it's "$HOME" \`id\` ü`);
    mkdirSync(parent);
    const { r, asked } = viaMac('run', { connectBackTmp: parent });
    expect(await r.elevate()).toBe('ready');
    expect(r.reason).toMatch(/running \(pid \d+, elevated\)/);
    const argv = asked[0]!;
    expect(argv.slice(-4, -2)).toEqual(['--connect', expect.stringContaining(parent)]);
    expect(argv.at(-2)).toBe('--token-file');
    // The helper is not osascript's child any more (backgrounded): its pid came from `ready`.
    const pid = r.pid!;
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toEqual(expect.arrayContaining(argv.slice(-4)));
    expect(readdirSync(parent)).toEqual([]); // token, socket and directory removed once the helper proved itself
    const { sent, packet } = await pingOnce(r, 0x4500 + (process.pid & 0xff));
    expect(packet.from).toBe('127.0.0.1');
    expect(packet.tUs).toBeGreaterThan(sent.tUs);
    await r.stop();
    expect(r.status()).toBe('stopped');
    await gone(pid);
  });

  it('the helper dies → no new prompt: unprivileged until elevated again, saying its connection closed', async () => {
    const { r } = viaMac('run');
    expect(await r.elevate()).toBe('ready');
    const pid = r.pid!;
    const died = new Promise<RawHelperEvents['died'][0]>((resolve) => r.once('died', resolve));
    process.kill(pid, 'SIGKILL');
    const info = await died;
    expect(info.message).toMatch(/died \(its connection closed\)/);
    expect(r.status()).toBe('unprivileged');
    expect(r.reason).toMatch(/Elevate again/);
  });

  it('another process connecting first with a wrong token is refused and reported; the helper still gets in', async () => {
    const { r, warnings } = viaMac('attack-first');
    expect(await r.elevate()).toBe('ready');
    expect(warnings).toEqual([expect.stringMatching(/refused a connection: wrong token/)]);
    await pingOnce(r, 0x4600 + (process.pid & 0xff));
  });

  it('a helper with the wrong token is refused (it exits); elevate() fails after the connect timeout, saying so', async () => {
    const parent = tmpParent();
    // A timeout long enough for a busy machine to start the helper, so it does connect and is refused.
    const { r, warnings, asked } = viaMac('corrupt-token', { connectTimeoutMs: 6000, connectBackTmp: parent });
    expect(await r.elevate()).toBe('failed');
    // The refused helper goes (no process runs with that token file in its arguments). On a busy
    // machine it may still be starting when the timeout fires: it is refused when it connects, then exits.
    const tokenFile = asked[0]!.at(-1)!;
    const running = () => readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').includes(tokenFile);
      } catch {
        return false;
      }
    });
    await expect.poll(running, { timeout: 10_000 }).toEqual([]);
    expect(warnings).toEqual([expect.stringMatching(/wrong token/)]);
    expect(r.reason).toMatch(/did not start \(could not start: the elevated helper did not connect back within 6 s/);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('osascript declined (User canceled, -128) → declined with a clear reason; the directory is removed', async () => {
    const parent = tmpParent();
    const { r } = viaMac('cancel', { connectBackTmp: parent });
    const elevated = r.elevate();
    const queued = r.open({ protocol: 'icmp', family: 4 }).catch((e: unknown) => e); // asked while the prompt is up
    expect(await elevated).toBe('declined');
    expect(r.reason).toBe('The administrator prompt was canceled (osascript: User canceled, -128), so ICMP (ping, traceroute) stays off. TCP, UDP and Unix sockets work as usual.');
    expect(await queued).toMatchObject({ name: 'RawHelperUnavailableError', status: 'declined' });
    expect(readdirSync(parent)).toEqual([]);
  });

  it('UAC declined (a stand-in powershell failing like Start-Process) → declined; the directory is removed', async () => {
    const parent = tmpParent();
    const ps = tool('powershell.exe', [
      'echo "Start-Process : This command cannot be run due to the error: The operation was canceled by the user." >&2',
      'exit 1',
    ].join('\n'));
    const r = helper({ connectBackTmp: parent, elevation: (node, args) => elevationPlan({ node, args, platform: 'win32', pathEnv: ps.pathEnv }) });
    expect(await r.elevate()).toBe('declined');
    expect(r.reason).toMatch(/^The Windows UAC prompt was canceled .*, so ICMP \(ping, traceroute\) stays off/);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('nobody answers the prompt → declined after elevateTimeoutMs; the prompt is taken away and the directory removed', async () => {
    const parent = tmpParent();
    const t = tool('osascript', 'exec sleep 30');
    const r = helper({ connectBackTmp: parent, elevateTimeoutMs: 300, elevation: (node, args) => elevationPlan({ node, args, platform: 'darwin', pathEnv: t.pathEnv }) });
    expect(await r.elevate()).toBe('declined');
    expect(r.reason).toMatch(/No answer to the authentication prompt/);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('the bundled helper, sandboxed, reads the token file (and only it besides its app directory) and connects back', async () => {
    const out = join(root, 'node_modules', '.cache', `sockbench-cb-test-${process.pid}`);
    await build({ entryPoints: [helperEntry], outfile: join(out, 'raw-helper.cjs'), bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['raw-socket', '*.node'], logLevel: 'error' });
    try {
      const { r } = viaMac('run', { entry: join(out, 'raw-helper.cjs'), execArgv: [], sandbox: true });
      const ready = new Promise<RawHelperEvents['ready'][0]>((resolve) => r.once('ready', resolve));
      expect(await r.elevate()).toBe('ready');
      const info = await ready;
      expect(info.sandboxed).toBe(true);
      const argv = readFileSync(`/proc/${info.pid}/cmdline`, 'utf8').split('\0');
      const tokenFile = argv[argv.indexOf('--token-file') + 1]!;
      expect(argv).toContain(`--allow-fs-read=${root}/*`);
      expect(argv).toContain(`--allow-fs-read=${tokenFile}`);
      expect(argv.filter((a) => a.startsWith('--allow-fs-read='))).toHaveLength(2);
      await pingOnce(r, 0x4700 + (process.pid & 0xff));
    } finally {
      await rh?.stop();
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('the helper refuses bad connect-back arguments with one line', () => {
  const run = (args: string[]) => {
    try {
      execFileSync(process.execPath, [...tsxArgv, helperEntry, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
      return { code: 0, stderr: '' };
    } catch (e) {
      const err = e as { status: number; stderr: Buffer };
      return { code: err.status, stderr: String(err.stderr) };
    }
  };

  it('unknown flags, a missing token file, a file without a token, nobody listening', () => {
    const bad = join(tmpParent(), 'not-a-token');
    writeFileSync(bad, 'hello');
    const good = join(tmpParent(), 'token');
    writeFileSync(good, 'ab'.repeat(32));
    const cases: [string[], number, RegExp][] = [
      [['--listen', '/x'], 64, /^raw helper: usage: raw-helper \[--connect <socket> --token-file <file>\]/],
      [['--connect', '/x'], 64, /--connect and --token-file go together/],
      [['--connect', '/x', '--token-file', join(dir, 'missing')], 64, /cannot read the token file .*missing: ENOENT/],
      [['--connect', '/x', '--token-file', bad], 64, /does not hold a token/],
      [['--connect', join(dir, 'nobody.sock'), '--token-file', good], 69, /cannot connect to .*nobody\.sock: connect ENOENT/],
    ];
    for (const [args, code, msg] of cases) {
      const r = run(args);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

// Guard: the AppleScript the stand-in decodes is the one the plan builds.
it('the stand-in osascript gets exactly darwinShellCommand() inside the AppleScript', () => {
  const plan = elevationPlan({ node: '/opt/node', args: ['/a b/helper.cjs', '--connect', '/t/s'], platform: 'darwin', pathEnv: standInOsascript('run').pathEnv });
  expect(plan.ok && plan.args[1]).toBe(`do shell script "${darwinShellCommand('/opt/node', ['/a b/helper.cjs', '--connect', '/t/s'])}" with administrator privileges`);
});
