// Privilege: the CapEff check, the elevation plans (data: macOS and Windows
// cannot run here), the quoting for sh, AppleScript, PowerShell and the
// Windows command line round-tripping hostile paths (sh for real, the others
// through models of their parsers), and the real unprivileged path with
// CAP_NET_RAW dropped by capsh or setpriv.
import { describe, expect, it } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasTool, peersRequired } from '../../test/support/peers.js';
import { appleScriptString, capEffHasNetRaw, declinedBy, ELEVATION, elevationPlan, needsConnectBack, psQuote, rawPrivilege, shLine, shQuote, UNPRIVILEGED, winArg } from './privilege.js';
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
    if (linux.ok) expect(linux).toMatchObject({ tool: 'pkexec', args: ['/opt/node', ...args], pipes: true, connectBack: false });
    else expect(linux.reason).toMatch(/^pkexec is not installed: .*setcap cap_net_raw\+ep \/opt\/node/);
    // macOS and Windows cannot be run here: check the commands as data (and the round trips below).
    expect(ELEVATION.darwin.build("/opt/it's/node", [...args, '--connect', '/t/s', '--token-file', '/t/token'])).toEqual([
      '-e',
      `do shell script "'/opt/it'\\\\''s/node' '/opt/Sock bench/raw-helper.cjs' '--connect' '/t/s' '--token-file' '/t/token' > /dev/null 2>&1 &" with administrator privileges`,
    ]);
    expect(ELEVATION.win32.build('C:\\Program Files\\node.exe', ['C:\\it\'s\\raw-helper.cjs', '--connect', '\\\\.\\pipe\\sockbench-raw-ab'])).toEqual([
      '-NoProfile', '-NonInteractive', '-Command',
      `Start-Process -Verb RunAs -WindowStyle Hidden -FilePath 'C:\\Program Files\\node.exe' -ArgumentList 'C:\\it''s\\raw-helper.cjs --connect \\\\.\\pipe\\sockbench-raw-ab'`,
    ]);
    expect([ELEVATION.linux.pipes, ELEVATION.darwin.pipes, ELEVATION.win32.pipes]).toEqual([true, false, false]);
    expect([needsConnectBack('linux'), needsConnectBack('darwin'), needsConnectBack('win32'), needsConnectBack('aix')]).toEqual([false, true, true, false]);
    expect(elevationPlan({ node: '/opt/node', args, platform: 'aix', pathEnv: '' })).toMatchObject({ ok: false, reason: expect.stringMatching(/aix/) });
  });

  it('refuses to quote control characters into an admin prompt', () => {
    const pathEnv = mkdtempSync(join(tmpdir(), 'sockbench-osascript-'));
    try {
      writeFileSync(join(pathEnv, 'osascript'), '#!/bin/sh\n');
      chmodSync(join(pathEnv, 'osascript'), 0o755);
      expect(elevationPlan({ node: '/opt/node', args: ['/a\nb/helper.cjs'], platform: 'darwin', pathEnv })).toMatchObject({ ok: false, reason: expect.stringMatching(/control characters .*"\/a\\nb\/helper\.cjs"/) });
      expect(elevationPlan({ node: '/opt/node', args: ['/a b/helper.cjs'], platform: 'darwin', pathEnv })).toMatchObject({ ok: true, tool: 'osascript', pipes: false, connectBack: true });
    } finally {
      rmSync(pathEnv, { recursive: true, force: true });
    }
  });

  it('says who declined: pkexec 126/127, osascript -128, UAC canceled', () => {
    expect(declinedBy('pkexec', 126, '')).toMatch(/dismissed/);
    expect(declinedBy('pkexec', 127, 'Error executing command as another user: Not authorized\n')).toBe('Elevation was refused (not authorized: Error executing command as another user: Not authorized)');
    expect(declinedBy('pkexec', 1, '')).toBeUndefined();
    expect(declinedBy('osascript', 1, '0:187: execution error: User canceled. (-128)\n')).toMatch(/administrator prompt was canceled/);
    expect(declinedBy('osascript', 1, '0:187: execution error: some other failure (-2700)\n')).toBeUndefined();
    expect(declinedBy('powershell', 1, 'Start-Process : This command cannot be run due to the error: The operation was canceled by the user.\n')).toMatch(/UAC prompt was canceled/);
    expect(declinedBy('powershell', 1, 'Start-Process : This command cannot be run due to the error: The system cannot find the file specified.\n')).toBeUndefined();
  });
});

// Hostile paths: spaces, both quotes, $, backticks, backslashes (trailing too),
// globs, shell operators, typographic quotes, other scripts, emoji, the empty string.
const HOSTILE = [
  '/opt/Sock bench/node', "it's", 'a"b', '$HOME', '${HOME}', '$(id)', '`id`', '\\', 'C:\\Program Files\\Sockbench\\', 'trail\\',
  'quote\\"mid', '\\\\"', '*glob?[a]', ';&|<> #', '%PATH% !hist ^caret', '\u2019smart\u2018 \u201aquotes\u201b', 'ünïcødé 日本 🙂', '-dash', '', ' ', '\t',
];

/** sh's own reading of a command line: the words it would pass (printf through the real /bin/sh). */
function shWords(line: string): string[] {
  return execFileSync('/bin/sh', ['-c', `printf '%s\\0' ${line}`]).toString('utf8').split('\0').slice(0, -1);
}

/** AppleScript string literal → text (the language's escapes: \\ \" \n \r \t; anything else is an error). A model: osascript is not here. */
function appleScriptText(lit: string): string {
  const m = /^"((?:[^"\\]|\\[\s\S])*)"$/.exec(lit);
  if (!m) throw new Error(`not one AppleScript string literal: ${lit}`);
  return m[1]!.replace(/\\([\s\S])/g, (_, c: string) => {
    const known: Record<string, string> = { '\\': '\\', '"': '"', n: '\n', r: '\r', t: '\t' };
    if (!(c in known)) throw new Error(`\\${c} is not an AppleScript escape`);
    return known[c]!;
  });
}

/** A PowerShell single-quoted literal → text ('' and the typographic single quotes, doubled, stand for one). A model: PowerShell is not here. */
function psText(lit: string): string {
  const q = /['\u2018\u2019\u201a\u201b]/;
  if (!q.test(lit[0] ?? '')) throw new Error('no opening quote');
  let out = '';
  for (let i = 1; i < lit.length; i++) {
    const c = lit[i]!;
    if (!q.test(c)) {
      out += c;
      continue;
    }
    if (q.test(lit[i + 1] ?? '')) {
      out += lit[++i];
      continue;
    }
    if (i !== lit.length - 1) throw new Error(`the literal ends early, at ${i}: ${lit}`);
    return out;
  }
  throw new Error('no closing quote');
}

/** A Windows command line → argv, by the C runtime's rules (what node.exe sees). A model: Windows is not here. */
function winArgv(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (i >= line.length) break;
    let arg = '';
    let quoted = false;
    while (i < line.length && (quoted || (line[i] !== ' ' && line[i] !== '\t'))) {
      let slashes = 0;
      while (line[i] === '\\') {
        slashes++;
        i++;
      }
      if (line[i] === '"') {
        arg += '\\'.repeat(Math.floor(slashes / 2));
        if (slashes % 2) arg += '"';
        else if (quoted && line[i + 1] === '"') {
          arg += '"';
          i++;
        } else quoted = !quoted;
        i++;
      } else {
        arg += '\\'.repeat(slashes);
        if (i < line.length && (quoted || (line[i] !== ' ' && line[i] !== '\t'))) arg += line[i++];
      }
    }
    out.push(arg);
  }
  return out;
}

describe('quoting for the admin prompts round-trips hostile paths', () => {
  it('sh (the real /bin/sh): every word comes back as it was', () => {
    expect(shWords(shLine(HOSTILE))).toEqual(HOSTILE);
    for (const h of HOSTILE) expect(shWords(shQuote(h))).toEqual([h]);
  });

  it('AppleScript, then sh: the macOS command runs exactly `node args…` in the background', () => {
    for (const h of HOSTILE) expect(appleScriptText(appleScriptString(h))).toBe(h);
    const node = "/Applications/Sock bench's \"$HOME\" `id`.app/Contents/Resources/node/node";
    const args = [...HOSTILE, '--connect', '/private/var/folders/x y/sockbench-raw-1/helper.sock'];
    const [flag, script] = ELEVATION.darwin.build(node, args);
    expect(flag).toBe('-e');
    const m = /^do shell script ("(?:[^"\\]|\\[\s\S])*") with administrator privileges$/.exec(script!);
    expect(m).not.toBeNull();
    const shell = appleScriptText(m![1]!);
    expect(shell.endsWith(' > /dev/null 2>&1 &')).toBe(true);
    expect(shWords(shell.slice(0, -' > /dev/null 2>&1 &'.length))).toEqual([node, ...args]);
  });

  it('PowerShell single quotes, then the Windows command line: node.exe gets exactly its args (models of both)', () => {
    const winHostile = HOSTILE.filter((h) => h !== '\t'); // node's own args never hold a tab; the model treats it as a blank like the CRT
    for (const h of [...winHostile, '\t']) expect(psText(psQuote(h))).toBe(h);
    for (const h of winHostile) expect(winArgv(winArg(h))).toEqual([h]);
    const node = "C:\\Program Files\\Sock'bench \u2019$x\u2019\\node.exe";
    const args = [...winHostile, '--connect', '\\\\.\\pipe\\sockbench-raw-0123'];
    const cmd = ELEVATION.win32.build(node, args);
    expect(cmd.slice(0, 3)).toEqual(['-NoProfile', '-NonInteractive', '-Command']);
    const m = /^Start-Process -Verb RunAs -WindowStyle Hidden -FilePath ('.*') -ArgumentList ('.*')$/s.exec(cmd[3]!);
    expect(m).not.toBeNull();
    // The split between the two literals is unambiguous: each parses whole.
    expect(psText(m![1]!)).toBe(node);
    expect(winArgv(psText(m![2]!))).toEqual(args);
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
