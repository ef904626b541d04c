// 简体中文 is complete (issue 12): every translation key the renderer uses
// exists in en and zh-CN; every message shared/ and main can put in front of
// a person (the contract's validation messages, errno explanations,
// getaddrinfo failures, refusals in a session's state, the scenario runner's
// failures, what the loaders say of a broken scenario or rule file) has a zh-CN entry in
// renderer/src/i18n/server-messages.ts; units are written one way per
// language. Each failure lists the keys or messages that are missing.
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { loadRuleSet } from '../../main/automation/rules-file.js';
import { loadScenario } from '../../main/automation/scenario-file.js';
import { ERRNO_EXPLANATIONS } from '../../main/core/errors.js';
import { readYaml } from '../../main/workspace/yaml-file.js';
import { gaiError } from '../../main/core/resolve.js';
import { UNPRIVILEGED } from '../../main/raw/privilege.js';
import en from '../../renderer/src/i18n/en.js';
import { zhMessage } from '../../renderer/src/i18n/server-messages.js';
import zhCN from '../../renderer/src/i18n/zh-CN.js';
import { methods } from '../../shared/contract/index.js';
import { encodeText, parseBase64, parseEscapedText, parseHex } from '../../shared/codec/index.js';
import { buildStack, type Layer } from '../../shared/packet/index.js';
import { parseOptions } from '../../shared/packet/syntax.js';
import { unixPathProblem } from '../../shared/net/address.js';
import { expandTargets } from '../../shared/net/targets.js';

function files(dir: string, exts: RegExp): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : files(p, exts);
    return exts.test(e.name) && !e.name.includes('.test.') ? [p] : [];
  });
}

/** The value at a dotted key: a string, an object (a key prefix), or undefined. */
function at(messages: object, key: string): unknown {
  return key.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), messages);
}

/** Every key the renderer passes to t() / $t() as a literal; template keys give their fixed prefix (`tabs.${v}` → "tabs."). */
function usedKeys(): { key: string; where: string }[] {
  const out: { key: string; where: string }[] = [];
  for (const file of files('renderer/src', /\.(vue|ts)$/)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?<![\w.])\$?t\(\s*(['`])([a-zA-Z][\w.-]*)(\$\{)?[^'`]*\1/g)) {
      const key = m[3] ? m[2]!.replace(/\.$/, '') : m[2]!;
      out.push({ key: m[3] ? `${key}.*` : key, where: file });
    }
  }
  return out;
}

/** A real message (not empty) has zh-CN text, and none of `english` (the sentence's own words) is left. */
function expectChinese(m: string, english: RegExp): void {
  expect(m).not.toBe('');
  const zh = zhMessage(m);
  expect(zh, m).toMatch(/[\u4e00-\u9fff]/);
  expect(zh, m).not.toMatch(english);
}

describe('every translation key the renderer uses', () => {
  const keys = usedKeys();

  it('finds the keys (the walk itself works)', () => {
    expect(keys.length).toBeGreaterThan(300);
    expect(keys.some((k) => k.key === 'tabs.*')).toBe(true);
  });

  it.each([['en', en], ['zh-CN', zhCN]] as const)('exists in %s', (_locale, messages) => {
    const missing = keys
      .filter(({ key }) => {
        const v = at(messages, key.replace(/\.\*$/, ''));
        return key.endsWith('.*') ? typeof v !== 'object' || v === null : typeof v !== 'string';
      })
      .map(({ key, where }) => `${key} (${where})`);
    expect([...new Set(missing)]).toEqual([]);
  });
});

/** Every message a contract schema can give (valibot keeps each one on its schema or pipe action). */
function schemaMessages(): Set<string> {
  const out = new Set<string>();
  const seen = new Set<unknown>();
  const walk = (x: unknown): void => {
    if (!x || (typeof x !== 'object' && typeof x !== 'function') || seen.has(x)) return;
    seen.add(x);
    const o = x as Record<string, unknown>;
    if (typeof o.message === 'string' && o.kind) out.add(o.message);
    for (const k of ['pipe', 'options', 'wrapped', 'item', 'items', 'key', 'value', 'rest']) {
      const v = o[k];
      if (Array.isArray(v)) v.forEach(walk);
      else walk(v);
    }
    if (o.entries && typeof o.entries === 'object') Object.values(o.entries).forEach(walk);
  };
  for (const m of Object.values(methods)) walk(m.params);
  return out;
}

/** The detail sentences of main's refusals: EngineError.state / .os('ENAME', 'call', '…') with a literal detail. */
function refusalDetails(): Set<string> {
  const out = new Set<string>();
  for (const file of files('main', /\.ts$/)) {
    for (const m of readFileSync(file, 'utf8').matchAll(/EngineError\.(?:state|os)\(\s*'[A-Z]+',\s*'[^']*',\s*'([^']+)'/g)) out.add(m[1]!);
  }
  return out;
}

const untranslated = (messages: Iterable<string>) => [...messages].filter((m) => zhMessage(m) === null);

describe('messages from shared/ and main have zh-CN text', () => {
  it('every validation message of the contract', () => {
    const all = schemaMessages();
    expect(all.size).toBeGreaterThan(100);
    expect(untranslated(all)).toEqual([]);
  });

  it('every errno explanation, whole and as the page receives it', () => {
    expect(untranslated(Object.values(ERRNO_EXPLANATIONS))).toEqual([]);
    expect(zhMessage('connect: ECONNREFUSED (111): nothing is listening there: the peer answered the SYN with a reset'))
      .toBe('connect: ECONNREFUSED (111)：那里没有程序在监听：对端用复位（RST）回应了 SYN');
  });

  it('every refusal in a session’s state', () => {
    const all = refusalDetails();
    expect(all.size).toBeGreaterThan(15);
    expect(untranslated(all)).toEqual([]);
  });

  it('getaddrinfo failures and the address checks', () => {
    const gai = ['EAI_NONAME', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'EAI_ADDRFAMILY'].map((n) => gaiError(n, 'nosuch.invalid').message);
    gai.push(gaiError('EAI_ADDRFAMILY', 'localhost', '"localhost" has no AF_INET6 address (it resolves to AF_INET 127.0.0.1): create an AF_INET socket, or give an address').message);
    const address = ['x y', '@', 'a\0b', `/${'x'.repeat(200)}`].map((s) => unixPathProblem(s)!);
    expect(untranslated([...gai, ...address])).toEqual([]);
    expect(zhMessage(gai[0]!)).toMatch(/^getaddrinfo: EAI_NONAME \(-2\)：未知的名称或服务：没有“nosuch\.invalid”的地址/);
  });
});

describe('the raw-socket helper’s status in zh-CN', () => {
  it.each([
    UNPRIVILEGED,
    'running as root',
    'the raw-socket helper is running (pid 123, elevated)',
    'The raw-socket helper runs without CAP_NET_RAW: the kernel refused it a raw socket (EPERM). ICMP (ping, traceroute) is off; TCP, UDP and Unix sockets work as usual.',
    'restarting the raw-socket helper (it exited with code 1)',
    'the raw-socket helper has not been started',
    'the raw-socket helper was stopped; its raw sockets were closed',
    'the raw-socket helper died (SIGKILL); its raw sockets were lost',
    'ping: the raw-socket helper died (exit code 70: raw helper: bad frame); its raw sockets were lost',
    'the raw-socket helper could not be started (3 attempts; last: SIGSEGV)',
  ])('%s', (reason) => {
    expect(zhMessage(reason)).toMatch(/[\u4e00-\u9fff]/);
  });
});

describe('the composer’s codec errors and sweep targets in zh-CN (the messages the real functions give)', () => {
  const fail = (r: { ok: boolean; error?: { message: string }; message?: string }) => (r.ok ? '' : r.error?.message ?? r.message ?? '');
  it.each([
    ['hex', () => fail(parseHex('0a zz'))],
    ['hex, odd', () => fail(parseHex('abc'))],
    ['hex, 0x', () => fail(parseHex('0x'))],
    ['escape, unknown', () => fail(parseEscapedText('a\\q'))],
    ['escape, incomplete', () => fail(parseEscapedText('a\\'))],
    ['escape, \\x', () => fail(parseEscapedText('\\x4'))],
    ['base64 character', () => fail(parseBase64('ab!d'))],
    ['base64 length', () => fail(parseBase64('abcde'))],
    ['unencodable', () => fail(encodeText('€', 'latin1'))],
    ['sweep, empty', () => fail(expandTargets(' '))],
    ['sweep, bad entry', () => fail(expandTargets('127.0.0.1 bo_gus'))],
    ['sweep, prefix', () => fail(expandTargets('10.0.0.0/33'))],
    ['sweep, too many', () => fail(expandTargets('10.0.0.0/8'))],
  ])('%s', (_what, message) => {
    const m = message();
    expect(m).not.toBe('');
    expect(zhMessage(m), m).toMatch(/[\u4e00-\u9fff]/);
  });
});

/** One message per failure the scenario runner gives (main/automation/runner.ts), with sample values; the summary line wraps them. */
const RUNNER_MESSAGES = [
  'no connection is named "db"',
  'expect needs a connection: connect, listen or accept first',
  'variable ${token} is not set',
  'send: cannot read /tmp/body.bin: ENOENT',
  'starttls upgrades a connection; "l" is a listener',
  'starttls failed: the peer reset the connection',
  'expected PROTOCOL ADDRESS, got "tcp"',
  'connect needs a port between 1 and 65535 (127.0.0.1)',
  'connect to 127.0.0.1:1 failed: connect: ECONNREFUSED (111): nothing is listening there: the peer answered the SYN with a reset',
  'listen on 127.0.0.1:80 failed: EACCES (13): permission denied (ports below 1024 need privileges)',
  'accept needs a listener; "u" is a datagram socket (it has no connections: expect reads its datagrams)',
  'accept needs a listener; "c" is a connection',
  'no connection arrived within 500 ms',
  'the TLS handshake of the accepted connection did not finish within 500 ms',
  'the accepted connection\'s TLS handshake failed: error',
  'no saved packet is named "hello"',
  'sending "hello" failed: the network is unreachable',
  '"l" is a listener: accept a connection first',
  '"u" is not connected: say where the datagram goes with to: (e.g. to: "${from}")',
  'send failed: the peer reset the connection',
  'no datagram arrived within 500 ms (waiting for 4 bytes)',
  'the peer closed the connection before a datagram arrived (waiting for bytes containing "ok")',
  'the connection failed (ECONNRESET) before a datagram arrived (waiting for regex /^PONG/)',
  'the datagram does not match: hex 0a0b',
  'received bytes differ from "PONG"',
  'timed out after 2000 ms waiting for regex /^HTTP/; 12 bytes arrived unread',
  'the connection was closed by this scenario before 4 bytes arrived; 0 bytes arrived unread',
  'regex does not compile: Invalid regular expression: /(/: Unterminated group',
  'this scenario closed the connection itself',
  'the peer did not close within 500 ms',
  'the connection failed instead of closing: ECONNRESET',
  'expected ECONNREFUSED, but nothing was connected or sent before this step',
  'expected ECONNREFUSED, but the last connect or send succeeded',
  'expected ECONNREFUSED, but the last connect failed with ETIMEDOUT: no answer within the timeout',
  'expected silence for 300 ms, but 5 bytes arrived',
  'lessThan: "abc" is not a number',
  'assert equals failed: "1" is not "2"',
  'assert contains failed: "abc" does not contain "z"',
  'stopped',
  'scenarios/ping.yaml: stopped before the end',
];

describe('the scenario runner’s messages in zh-CN', () => {
  it.each(RUNNER_MESSAGES)('%s', (m) => {
    const zh = zhMessage(m);
    expect(zh, m).toMatch(/[\u4e00-\u9fff]/);
    // Nothing of the sentence is left in English (samples in quotes, errno names and regexes may be).
    expect(zh, m).not.toMatch(/\b(the|before|within|arrived|failed|connection|expected|needs|is not)\b/);
    // As the run's summary shows it: file:line:column: step N (kind): message.
    expect(zhMessage(`scenarios/a.yaml:4:3: step 2.1 (expect): ${m}`), m).toBe(`scenarios/a.yaml:4:3：第 2.1 步（expect）：${zh}`);
  });

  it('the runner has the failures this list was written from: a new one needs its zh-CN text and a line above', () => {
    const source = readFileSync(join(__dirname, '../../main/automation/runner.ts'), 'utf8');
    // 40 places: three choose between two texts; three pass on another part's message (an engine error, a
    // codec error after "send: "), which the tables above translate.
    expect(source.match(/new StepFailed\(/g)?.length).toBe(40);
  });
});

describe('scenario and rule file problems in zh-CN (what the real loaders say about broken files)', () => {
  const enc = (text: string) => new TextEncoder().encode(text);
  const scenario = (yaml: string) => {
    const r = loadScenario('s.yaml', enc(yaml), tmpdir());
    return r.ok ? '' : r.problem.message;
  };
  const rules = (yaml: string) => {
    const r = loadRuleSet('r.yaml', enc(yaml));
    return r.ok ? '' : r.problem.message;
  };
  const steps = (lines: string) => `name: a\nsteps:\n${lines}`;
  it.each([
    ['unknown step', () => scenario(steps('  - sned: x\n'))],
    ['a step without its value', () => scenario(steps('  - expect\n'))],
    ['a step that is not a mapping', () => scenario(steps('  - 5\n'))],
    ['an unknown key in a step', () => scenario(steps('  - connect: tcp 127.0.0.1:1\n    bogus: 1\n'))],
    ['an unknown protocol', () => scenario(steps('  - connect: ftp 127.0.0.1:1\n'))],
    ['expect without a matcher', () => scenario(steps('  - connect: tcp 127.0.0.1:1\n  - expect: {}\n'))],
    ['expect with two matchers', () => scenario(steps('  - connect: tcp 127.0.0.1:1\n  - expect: {regex: x, equals: y}\n'))],
    ['assert without a check', () => scenario(steps('  - assert: {}\n'))],
    ['assert with two checks', () => scenario(steps('  - assert: {equals: [1, 1], contains: [1, 1]}\n'))],
    ['a variable never set', () => scenario(steps('  - send: "${nope}"\n'))],
    ['not a variable name', () => scenario(steps('  - send: "${1x}"\n'))],
    ['no such connection', () => scenario(steps('  - close: db\n'))],
    ['tls options on tcp', () => scenario(steps('  - connect: tcp 127.0.0.1:1\n    tls: {insecure: true}\n'))],
    ['a scenario that is not a mapping', () => scenario('steps: []\n')],
    ['a rule without a matcher', () => rules('rules:\n  - reply: x\n')],
    ['a rule without a reply', () => rules('rules:\n  - equals: x\n')],
    ['an unknown placeholder', () => rules('rules:\n  - equals: x\n    reply: "{{nope}}"\n')],
    ['an unknown key in a rule', () => rules('rules:\n  - equals: x\n    reply: y\n    framing: lines\n')],
  ])('%s', (_what, message) => expectChinese(message(), /\b(unknown|needs|must|never|before|known|takes|one of)\b/));
});

describe('the packet crafter’s field errors in zh-CN (what buildStack and the options syntax say)', () => {
  const build = (layers: Layer[]) => {
    const r = buildStack(layers);
    return r.ok ? '' : r.message;
  };
  const options = (text: string) => {
    try {
      parseOptions(text);
      return '';
    } catch (e) {
      return (e as Error).message;
    }
  };
  const ip: Layer = { kind: 'ipv4', fields: {} };
  it.each([
    ['a number out of range', () => build([{ kind: 'ipv4', fields: { ttl: 300 } }])],
    ['an unknown name', () => build([{ kind: 'ipv4', fields: { proto: 'bogus' } }])],
    ['an unknown flag', () => build([ip, { kind: 'tcp', fields: { flags: 'SXQ' } }])],
    ['a checksum without addresses', () => build([{ kind: 'tcp', fields: {} }])],
    ['not an address', () => build([{ kind: 'ipv4', fields: { dst: '1.2.3' } }])],
    ['not bytes', () => build([ip, { kind: 'udp', fields: {} }, { kind: 'payload', fields: { load: 5 as unknown as string } }])],
    ['a field of another type', () => build([ip, { kind: 'icmp', fields: { type: 0, gw: '1.2.3.4' } }])],
    ['an unknown field', () => build([{ kind: 'ipv4', fields: { bogus: 1 } }])],
    ['an empty option', () => options('MSS:1460,,NOP')],
    ['an unknown option', () => options('Foo')],
    ['an option without its value', () => options('MSS')],
    ['an option given a value', () => options('NOP:1')],
    ['a Timestamp without values', () => options('Timestamp')],
    ['a bad SAck block', () => options('SAck:12')],
  ])('%s', (_what, message) => expectChinese(message(), /\b(must|unknown|needs|known|takes|got|more than|fields)\b/));
});

describe('the workspace’s file problems in zh-CN', () => {
  const problem = (bytes: Uint8Array) => {
    const r = readYaml('packets/x.yaml', bytes, v.unknown());
    return r.ok ? '' : r.problem.message;
  };
  it.each([
    ['not UTF-8', () => problem(Uint8Array.from([0x6e, 0x61, 0x6d, 0x65, 0x3a, 0x20, 0xff, 0x0a]))],
    ['not YAML', () => problem(new TextEncoder().encode('a: [1, 2\nb: c\n'))],
    // Workspace.load and save say these (main/workspace/workspace.ts); the wording is theirs.
    ['a name twice', () => 'name: "ping" is also the name of packets/a.yaml; names must be unique (rename one)'],
    ['a name taken', () => 'a rule set named "x" already exists (rules/x.yaml)'],
    ['a file that cannot be read', () => 'cannot read: EACCES'],
    // send.ts, for a saved packet whose target name does not resolve (with the packet's name before it).
    ['a target that does not resolve', () => '"probe": cannot resolve nosuch.invalid: ENOTFOUND'],
  ])('%s', (_what, message) => {
    const m = message();
    expect(m).not.toBe('');
    expect(zhMessage(m), m).toMatch(/[\u4e00-\u9fff]/);
  });
});

describe('trace results in zh-CN', () => {
  it.each([
    ['7 bytes', '7 字节'],
    ['listening on 127.0.0.1:9000, backlog 128', '在 127.0.0.1:9000 上监听，backlog 128'],
    ['None (blocking: calls wait as long as it takes)', 'None（阻塞：调用会一直等待）'],
    ['None (calls wait at most 2.5 s)', 'None（调用最多等待 2.5 s）'],
    ['localhost → AF_INET 127.0.0.1; using 127.0.0.1', 'localhost → AF_INET 127.0.0.1；使用 127.0.0.1'],
    ['1000 datagrams in 0.012 s (83333/s)', '0.012 s 内 1000 个数据报（83333/s）'],
  ])('%s', (en, zh) => {
    expect(zhMessage(en)).toBe(zh);
  });
});

describe('units', () => {
  const leaves = (o: object): string[] => Object.values(o).flatMap((v) => (typeof v === 'string' ? [v] : leaves(v as object)));
  it('zh-CN writes ms, µs and s after numbers and in labels, as the values it shows do (never 毫秒 or 微秒)', () => {
    const mixed = leaves(zhCN).filter((s) => /毫秒|微秒|[\d}]\s*秒|（秒）/.test(s));
    expect(mixed).toEqual([]);
  });
});
