// Privilege: the CapEff check, the elevation plans (data), and the real
// unprivileged path with CAP_NET_RAW dropped by capsh or setpriv.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { hasTool, peersRequired } from '../../test/support/peers.js';
import { capEffHasNetRaw, ELEVATION, elevationPlan, rawPrivilege, UNPRIVILEGED } from './privilege.js';
import { HelperPipe, helperEntry, tsxArgv } from './testkit.js';

const fixture = fileURLToPath(new URL('./unprivileged.fixture.ts', import.meta.url));
const node = process.execPath;

describe('privilege checks and plans', () => {
  it('reads CAP_NET_RAW (bit 13) from CapEff', () => {
    expect(capEffHasNetRaw('Name:\tnode\nCapEff:\t000001fffeffffff\n')).toBe(true);
    expect(capEffHasNetRaw('CapEff:\t000001fffeffdfff\n')).toBe(false); // capsh --drop=cap_net_raw, even as root
    expect(capEffHasNetRaw('CapEff:\t0000000000002000\n')).toBe(true);
    expect(capEffHasNetRaw('no such line')).toBeUndefined();
  });

  it('this test process (root with CAP_NET_RAW) is privileged', () => {
    expect(rawPrivilege()).toEqual({ privileged: true, reason: 'the process has CAP_NET_RAW' });
  });

  it('builds the elevation command per platform, quoting paths', () => {
    const args = ['/opt/Sock bench/raw-helper.cjs'];
    const linux = elevationPlan({ node: '/opt/node', args, platform: 'linux', pathEnv: '/usr/bin:/bin' });
    // pkexec may be missing here; the plan says so, or builds `pkexec node helper`.
    if (linux.ok) expect(linux).toMatchObject({ tool: 'pkexec', args: ['/opt/node', ...args], pipes: true });
    else expect(linux.reason).toMatch(/^pkexec is not installed: .*setcap cap_net_raw\+ep \/opt\/node/);
    // macOS and Windows cannot be run here: check the commands as data.
    expect(ELEVATION.darwin.build("/opt/it's/node", args)).toEqual(['-e', `do shell script "'/opt/it'\\\\''s/node' '/opt/Sock bench/raw-helper.cjs'" with administrator privileges`]);
    expect(ELEVATION.win32.build('C:\\Program Files\\node.exe', ['C:\\it\'s\\raw-helper.cjs'])).toEqual([
      '-NoProfile', '-NonInteractive', '-Command',
      `Start-Process -FilePath 'C:\\Program Files\\node.exe' -ArgumentList @('"C:\\it''s\\raw-helper.cjs"') -Verb RunAs -Wait`,
    ]);
    expect([ELEVATION.linux.pipes, ELEVATION.darwin.pipes, ELEVATION.win32.pipes]).toEqual([true, false, false]);
    expect(elevationPlan({ node: '/opt/node', args, platform: 'aix', pathEnv: '' })).toMatchObject({ ok: false, reason: expect.stringMatching(/aix/) });
  });
});

const tools = ['capsh', 'setpriv'].filter(hasTool);
const dropped = (tool: string, cmd: string[]): [string, string[]] =>
  tool === 'capsh'
    ? ['capsh', ['--drop=cap_net_raw', '--', '-c', `exec ${cmd.map((a) => `'${a}'`).join(' ')}`]]
    : ['setpriv', ['--bounding-set=-net_raw', '--inh-caps=-net_raw', ...cmd]];

describe.skipIf(tools.length === 0 && !peersRequired)(`without CAP_NET_RAW (${tools.length ? tools.join(', ') : 'skipped: neither capsh nor setpriv is installed'})`, () => {
  if (tools.length === 0) {
    it('capsh or setpriv is installed (SOCKBENCH_REQUIRE_PEERS=1)', () => {
      throw new Error('capsh or setpriv is required but neither is installed');
    });
  }

  for (const tool of tools) {
    it(`${tool}: hasRawPrivilege() is false, RawHelper spawns nothing and explains; a helper started anyway gets a plain EPERM`, async () => {
      const [cmd, args] = dropped(tool, [node, '--import', 'tsx', fixture]);
      const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
        execFile(cmd, args, { timeout: 30_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve({ stdout, stderr })));
      });
      const out = JSON.parse(stdout) as Record<string, unknown>;
      expect(out).toMatchObject({
        hasRawPrivilege: false,
        start: 'unprivileged',
        reason: UNPRIVILEGED,
        pid: null,
        openError: { name: 'RawHelperUnavailableError', message: UNPRIVILEGED },
        forcedError: { name: 'RawHelperError', code: 'EPERM' },
        forcedStatus: 'unprivileged',
      });
      const forced = out.forcedError as { message: string };
      expect(forced.message).toMatch(/^EPERM: operation not permitted \(raw sockets need CAP_NET_RAW or root\), socket\(AF_INET, SOCK_RAW, 1\)$/);
      expect(out.forcedReason).toMatch(/runs without CAP_NET_RAW.*TCP, UDP and Unix sockets work as usual/);
      for (const text of [JSON.stringify(out), stderr]) expect(text).not.toMatch(/\n\s+at |\.ts:\d+/); // no stack traces
    });
  }

  it.skipIf(tools.length === 0)('the helper itself, over its pipes, answers open with EPERM as an error reply and keeps serving', async () => {
    const [cmd, args] = dropped(tools[0]!, [node, ...tsxArgv, helperEntry]);
    const h = new HelperPipe(cmd, args);
    try {
      await h.wait((m) => 'event' in m && m.event === 'ready', 10_000);
      h.request(1, 'open', { protocol: 'icmp', family: 4 });
      h.request(2, 'open', { protocol: 'icmpv6', family: 6 });
      for (const rid of [1, 2]) {
        expect(await h.reply(rid)).toMatchObject({ ok: false, error: { code: 'EPERM', errno: -1, syscall: expect.stringMatching(/^socket\(AF_INET6?, SOCK_RAW/) } });
      }
      expect(h.stderr).toBe('');
    } finally {
      await h.close();
    }
  });
});
