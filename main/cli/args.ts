// Command-line parsing for `sockbench`, pure (no I/O beyond reading an @file),
// so every usage error is a tested, one-line message.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  APPEND_NAMES, isAppendName, parseEscapedText, parseHex, TEXT_ENCODINGS, textEncodingByName, withAppendix,
  type AppendName, type TextEncodingName,
} from '../../shared/codec/index.js';
import { parseSocketTarget } from '../../shared/net/address.js';
import { takeWorkspaceFlag } from '../workspace/paths.js';
import type { TlsClientOptions, TlsServerOptions } from '../../shared/contract/tls.js';
import { UsageError } from './usage-error.js';
import { asksForHelp, COMMAND_NAMES, commandHelp } from './help.js';
import { refuseTlsOptions, TLS_CONNECT_OPTIONS, TLS_HELP, TLS_LISTEN_OPTIONS, TLS_USAGE, tlsConnectOptions, tlsListenOptions } from './tls-args.js';
import { CRAFT_HELP, CRAFT_USAGE, parseCraft, type CraftCommand } from './craft-args.js';
import { parsePing, parseSweep, parseTraceroute, PING_USAGE, type PingCommand, type SweepCommand, type TracerouteCommand } from './probe-args.js';

export const PROTOCOLS = ['tcp', 'udp', 'unix-stream', 'unix-dgram', 'unix-seqpacket', 'tls'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export interface IpTarget {
  /** 'host': a host name, resolved when the command runs (getaddrinfo). */
  family: 'AF_INET' | 'AF_INET6' | 'host';
  address: string;
  port: number;
}

/** A Unix socket path, or an abstract name (@name, Linux); the port is always 0. */
export interface UnixTarget {
  family: 'AF_UNIX';
  address: string;
  port: 0;
}

export type Target = IpTarget | UnixTarget;

export type Command =
  | { kind: 'help'; text?: string }
  | { kind: 'version' }
  | {
      kind: 'listen';
      protocol: Protocol;
      target: Target;
      echo: boolean;
      reply?: Uint8Array;
      count?: number;
      timeoutS?: number;
      json: boolean;
      /** Write every session's data as pcapng here when done. */
      pcap?: string;
      /** A rule set file (rules/*.yaml): answer what arrives with its rules. */
      rules?: string;
      /** Received bytes are printed as text in this encoding (plain: instead of the raw bytes; --json: a "text" field too). */
      encoding?: TextEncodingName;
      /** listen tls: the server's TLS options. */
      tls?: TlsServerOptions;
    }
  | { kind: 'connect'; protocol: Protocol; target: Target; send?: Uint8Array; waitMs?: number; json: boolean; pcap?: string; encoding?: TextEncodingName; tls?: TlsClientOptions }
  | PacketsCommand
  | RunCommand
  | PingCommand
  | TracerouteCommand
  | SweepCommand
  | CraftCommand;

export { UsageError };

/** The workspace commands: saved packets and sending one. */
export type PacketsCommand =
  | { kind: 'packets-list'; json: boolean }
  | { kind: 'packets-import'; file: string }
  | { kind: 'packets-export'; file: string; format: ExportFormat }
  | { kind: 'send'; name: string; waitMs: number; json: boolean };

/** `sockbench run FILE…`: scenarios (files or folders of them), with --var overrides and the reports CI reads. */
export interface RunCommand {
  kind: 'run';
  files: string[];
  vars: Record<string, string>;
  junit?: string;
  tap: boolean;
  json: boolean;
}

export const EXPORT_FORMATS = ['packetsender-ini', 'packetsender-json', 'yaml'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Takes `--workspace DIR` out of argv wherever it is (every command accepts it). */
export function takeWorkspace(argv: readonly string[]): { argv: string[]; workspace?: string } {
  const r = takeWorkspaceFlag(argv);
  if ('error' in r) throw new UsageError(r.error);
  return r;
}

function parsePackets(verb: string, rest: string[]): PacketsCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: verb === 'send'
        ? { wait: { type: 'string' }, json: { type: 'boolean', default: false } }
        : { json: { type: 'boolean', default: false }, format: { type: 'string' } },
    });
  } catch (e) {
    throw new UsageError((e as Error).message.split('\n')[0]!);
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  const pos = parsed.positionals;
  if (verb === 'send') {
    if (pos.length !== 1) throw new UsageError('send needs the name of one saved packet (sockbench packets list shows them)');
    return { kind: 'send', name: pos[0]!, waitMs: positiveInt(v.wait as string | undefined, '--wait', 0) ?? 1000, json: Boolean(v.json) };
  }
  const [sub, file, ...extra] = pos;
  if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (sub === 'list') {
    if (file !== undefined) throw new UsageError(`unexpected argument "${file}"`);
    if (v.format !== undefined) throw new UsageError('--format goes with packets export');
    return { kind: 'packets-list', json: Boolean(v.json) };
  }
  if (sub === 'import' || sub === 'export') {
    if (!file) throw new UsageError(`packets ${sub} needs a FILE`);
    if (v.json) throw new UsageError(`--json goes with packets list`);
    if (sub === 'import') {
      if (v.format !== undefined) throw new UsageError('packets import reads the format from the file; --format is for export');
      return { kind: 'packets-import', file };
    }
    const format = v.format as string | undefined;
    if (format === undefined) throw new UsageError(`packets export needs --format ${EXPORT_FORMATS.join('|')}`);
    if (!(EXPORT_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${EXPORT_FORMATS.join(', ')}, got "${format}"`);
    return { kind: 'packets-export', file, format: format as ExportFormat };
  }
  throw new UsageError(sub === undefined ? 'packets needs list, import or export' : `unknown packets command "${sub}"; use list, import or export`);
}

/** `run FILE… [--var k=v]… [--junit FILE] [--tap] [--json]`. */
function parseRun(rest: string[]): RunCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: { var: { type: 'string', multiple: true }, junit: { type: 'string' }, tap: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
    });
  } catch (e) {
    throw new UsageError(`run: ${(e as Error).message.split('\n')[0]!}`);
  }
  const v = parsed.values;
  if (parsed.positionals.length === 0) throw new UsageError('run needs at least one scenario file or folder (e.g. sockbench run scenarios/)');
  if (v.tap && v.json) throw new UsageError('run: --tap and --json exclude each other: choose one for standard output');
  if (v.junit === '') throw new UsageError('run: --junit needs a file name');
  const vars: Record<string, string> = {};
  for (const kv of v.var ?? []) {
    const eq = kv.indexOf('=');
    if (eq < 0) throw new UsageError(`run: --var needs NAME=VALUE, got "${kv}"`);
    const name = kv.slice(0, eq);
    if (!/^[A-Za-z_][\w.-]{0,63}$/.test(name)) throw new UsageError(`run: --var ${kv}: "${name}" is not a variable name (a letter or _ then letters, digits, _ . -)`);
    vars[name] = kv.slice(eq + 1);
  }
  return { kind: 'run', files: parsed.positionals, vars, ...(v.junit !== undefined ? { junit: v.junit } : {}), tap: Boolean(v.tap), json: Boolean(v.json) };
}

export const USAGE = `usage:
  sockbench listen  <protocol> <addr> [--echo] [--reply DATA] [--rules FILE] [--count N] [--timeout S] [--json] [--pcap FILE] [--encoding NAME] [--append NAME]
  sockbench connect <protocol> <addr> [--send DATA] [--wait MS] [--json] [--pcap FILE] [--encoding NAME] [--append NAME]
${TLS_USAGE}
  sockbench packets list [--json]
  sockbench packets import FILE            (Packet Sender's packets.ini or JSON, or Sockbench YAML)
  sockbench packets export FILE --format packetsender-ini|packetsender-json|yaml
  sockbench send NAME [--wait MS] [--json] (send a saved packet, print the answer)
  sockbench run FILE|DIR… [--var NAME=VALUE]… [--junit FILE] [--tap] [--json]
                                           (run scenarios: exit 0 all passed, 1 one failed, 2 a file is invalid)
${PING_USAGE}
${CRAFT_USAGE}   (sockbench craft --help: the layer syntax)
protocol: tcp, udp, unix-stream, unix-dgram, unix-seqpacket, tls
addr: tcp, udp, tls: 127.0.0.1:9000, [::1]:9000 or a host name, localhost:9000 (port 0 = any free port for listen)
      unix-*: a socket path /tmp/x.sock, or an abstract name @name
DATA: text with escapes (\\r\\n, \\xHH), hex:0a0b…, or @file
--pcap FILE: write the sessions' sent and received data as pcapng (synthetic IP/TCP/UDP headers)
--rules FILE: answer what arrives with a rule set (rules/*.yaml; see docs/AUTOMATION.md)
--workspace DIR (any command): the workspace folder; else $SOCKBENCH_WORKSPACE, else
      $XDG_DATA_HOME/sockbench (~/.local/share/sockbench)
--encoding NAME: the text of DATA is written in NAME, and what arrives is printed as text decoded from NAME
      (${TEXT_ENCODINGS.join(', ')}); without it, received bytes are printed as they are
--append NAME: appended to --send/--reply DATA: ${APPEND_NAMES.join(', ')}
${TLS_HELP}
ping, traceroute: ICMP needs raw sockets (CAP_NET_RAW or root); -i, -W, -w in seconds;
      ping exits 0 when a reply came, 1 when none did, 2 on an error;
      sweep exits 0 when every target is alive, 1 when some are unreachable, 2 on an error
sockbench COMMAND --help (or -h): that command's usage; sockbench --version: the version`;

/** "127.0.0.1:9000", "[::1]:9000" or "localhost:9000". */
export function parseIpTarget(text: string): IpTarget {
  const r = parseSocketTarget(text, null, { hostNames: true });
  if (!r.ok) throw new UsageError(r.message);
  return r.target as IpTarget;
}

/** "/tmp/x.sock" or "@name", for the unix-* protocols. */
export function parseUnixTarget(text: string, protocol: string): UnixTarget {
  const r = parseSocketTarget(text, protocol);
  if (!r.ok) throw new UsageError(r.message);
  return r.target as UnixTarget;
}

/** The --encoding value: one of the listed encodings (or a common alias of one). */
export function parseEncoding(name: string): TextEncodingName {
  const e = textEncodingByName(name);
  if (!e) throw new UsageError(`--encoding "${name}": unknown; one of ${TEXT_ENCODINGS.join(', ')}`);
  return e;
}

/** The --append value. */
export function parseAppend(name: string): AppendName {
  if (!isAppendName(name)) throw new UsageError(`--append "${name}": unknown; one of ${APPEND_NAMES.join(', ')}`);
  return name;
}

/** DATA: text with escapes (in `encoding`), hex:…, or @file. */
export function parseData(text: string, option: string, encoding: TextEncodingName = 'utf-8'): Uint8Array {
  if (text.startsWith('@')) {
    try {
      const b = readFileSync(text.slice(1));
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength); // a view: new Uint8Array(buffer) would copy byte by byte
    } catch (e) {
      throw new UsageError(`${option}: cannot read ${text.slice(1)}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  }
  const r = text.startsWith('hex:') ? parseHex(text.slice(4)) : parseEscapedText(text, encoding);
  if (!r.ok) throw new UsageError(`${option}: ${r.error.message}`);
  return r.bytes;
}

function positiveInt(text: string | undefined, option: string, min: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min) throw new UsageError(`${option} needs a whole number ≥ ${min}, got "${text}"`);
  return Number(text);
}

export function parseCommand(argv: string[]): Command {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h') return { kind: 'help' };
  if (argv[0] === 'version' && asksForHelp(argv.slice(1))) return { kind: 'help', text: commandHelp('version') };
  if (argv[0] === '--version' || argv[0] === '-V' || argv[0] === 'version') return { kind: 'version' };
  const [verb, ...rest] = argv;
  if (verb === 'help') {
    if (rest.length === 0) return { kind: 'help' };
    if (asksForHelp(rest)) return { kind: 'help', text: commandHelp('help') };
    const text = commandHelp(rest[0]!);
    if (text === undefined) throw new UsageError(`help: unknown command "${rest[0]}"; one of ${COMMAND_NAMES.join(', ')}`);
    return { kind: 'help', text };
  }
  const help = commandHelp(verb!);
  if (help !== undefined && asksForHelp(rest)) return { kind: 'help', text: help };
  if (verb === 'ping') return parsePing(rest);
  if (verb === 'traceroute') return parseTraceroute(rest);
  if (verb === 'sweep') return parseSweep(rest);
  if (verb === 'craft') return parseCraft(rest) ?? { kind: 'help', text: CRAFT_HELP };
  if (verb === 'packets' || verb === 'send') return parsePackets(verb, rest);
  if (verb === 'run') return parseRun(rest);
  if (verb !== 'listen' && verb !== 'connect') throw new UsageError(`unknown command "${verb}"; use listen, connect, ping, traceroute, sweep, craft, packets, send, run, version or help`);
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'boolean', default: false },
        pcap: { type: 'string' },
        encoding: { type: 'string' },
        append: { type: 'string' },
        ...(verb === 'listen'
          ? { echo: { type: 'boolean', default: false }, reply: { type: 'string' }, rules: { type: 'string' }, count: { type: 'string' }, timeout: { type: 'string' }, ...TLS_LISTEN_OPTIONS }
          : { send: { type: 'string' }, wait: { type: 'string' }, ...TLS_CONNECT_OPTIONS }),
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message.split('\n')[0]!);
  }
  const [given, addr, ...extra] = parsed.positionals;
  if (!given || !addr) throw new UsageError(`${verb} needs a protocol and an address`);
  if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (!(PROTOCOLS as readonly string[]).includes(given)) throw new UsageError(`unknown protocol "${given}"; one of ${PROTOCOLS.join(', ')}`);
  const protocol = given as Protocol;
  const unix = protocol.startsWith('unix-');
  if (!unix && /^(\/|\.\.?\/|@)/.test(addr)) {
    throw new UsageError(`address "${addr}": ${protocol} needs host:port; for a Unix socket use unix-stream, unix-dgram or unix-seqpacket`);
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  if (protocol !== 'tls') refuseTlsOptions(v, protocol);
  const target = unix ? parseUnixTarget(addr, protocol) : parseIpTarget(addr);
  const pcap = v.pcap as string | undefined;
  if (pcap === '') throw new UsageError('--pcap needs a file name');
  const encoding = v.encoding === undefined ? undefined : parseEncoding(v.encoding as string);
  const append = v.append === undefined ? undefined : parseAppend(v.append as string);
  const data = (text: string | boolean | undefined, option: string): Uint8Array | undefined => {
    if (text === undefined) return undefined;
    const bytes = parseData(text as string, option, encoding);
    return append ? withAppendix(bytes, append) : bytes;
  };
  if (verb === 'listen') {
    if (v.echo && v.reply !== undefined) throw new UsageError('--echo and --reply exclude each other: choose one');
    if (v.rules !== undefined && (v.echo || v.reply !== undefined)) throw new UsageError('--rules answers by its rules: leave out --echo and --reply');
    if (v.rules === '') throw new UsageError('--rules needs a rule set file');
    if (append && v.reply === undefined) throw new UsageError('--append needs --reply (--echo sends back what came, unchanged)');
    const timeout = v.timeout as string | undefined;
    if (timeout !== undefined && !(Number(timeout) > 0)) throw new UsageError(`--timeout needs a number of seconds > 0, got "${timeout}"`);
    return {
      kind: 'listen',
      protocol,
      target,
      echo: Boolean(v.echo),
      reply: data(v.reply, '--reply'),
      count: positiveInt(v.count as string | undefined, '--count', 1),
      timeoutS: timeout === undefined ? undefined : Number(timeout),
      json: Boolean(v.json),
      ...(pcap !== undefined ? { pcap } : {}),
      ...(v.rules !== undefined ? { rules: v.rules as string } : {}),
      ...(encoding ? { encoding } : {}),
      ...(protocol === 'tls' ? { tls: tlsListenOptions(v) } : {}),
    };
  }
  if (!unix && target.port === 0) throw new UsageError(`connect needs a port between 1 and 65535, got 0`);
  if (append && v.send === undefined) throw new UsageError('--append needs --send');
  return {
    kind: 'connect',
    protocol,
    target,
    send: data(v.send, '--send'),
    waitMs: positiveInt(v.wait as string | undefined, '--wait', 0),
    json: Boolean(v.json),
    ...(pcap !== undefined ? { pcap } : {}),
    ...(encoding ? { encoding } : {}),
    ...(protocol === 'tls' ? { tls: tlsConnectOptions(v, target.family === 'host' ? target.address : undefined) } : {}),
  };
}
