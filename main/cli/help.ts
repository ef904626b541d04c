// `sockbench <command> --help` (or -h): each command's own usage, exit 0,
// as a shell user expects; `sockbench --version` / `sockbench version`.
import { APPEND_NAMES, TEXT_ENCODINGS } from '../../shared/codec/index.js';
import { CRAFT_HELP } from './craft-args.js';
import { TLS_HELP } from './tls-args.js';

declare const __SOCKBENCH_VERSION__: string | undefined;

/** package.json's version, put in by the bundler (build/bundle.mjs); "dev" when run from the sources. */
export const VERSION = typeof __SOCKBENCH_VERSION__ === 'string' ? __SOCKBENCH_VERSION__ : 'dev';

const ADDR = `addr: tcp, udp: host:port — 127.0.0.1:9000, [::1]:9000 or a host name, localhost:9000
      (a name is resolved with getaddrinfo: every address is tried in the system's order
      until one works; the trace shows the lookup and the address used)
      unix-*: a socket path /tmp/x.sock, or an abstract name @name`;
const DATA = 'DATA: text with escapes (\\r\\n, \\xHH), hex:0a0b…, or @file';
const COMMON = `--pcap FILE: write the sessions' sent and received data as pcapng (synthetic IP/TCP/UDP headers)
--encoding NAME: DATA's text is written in NAME and what arrives is printed decoded from NAME
      (${TEXT_ENCODINGS.join(', ')}); without it, received bytes are printed as they are
--append NAME: appended to the DATA sent: ${APPEND_NAMES.join(', ')}
--json: one JSON object per line on stdout (trace entries, data, status)`;

const COMMANDS: Record<string, string> = {
  listen: `usage: sockbench listen <protocol> <addr> [--echo] [--reply DATA] [--rules FILE] [--count N] [--timeout S] [--json] [--pcap FILE] [--encoding NAME] [--append NAME]
       sockbench listen tls <addr> [--cert FILE --key FILE] [--client-cert request|require] [--ca FILE] [--alpn LIST] …

Binds and listens (datagrams: binds and receives), printing what arrives on stdout.
protocol: tcp, udp, unix-stream, unix-dgram, unix-seqpacket, tls (port 0 = any free port)
${ADDR}
--echo: send back what arrives; --reply DATA: answer each message with DATA
--rules FILE: answer what arrives with a rule set (rules/*.yaml; see docs/AUTOMATION.md)
--count N: exit after N connections (datagrams); --timeout S: exit after S seconds without activity
${DATA}
${COMMON}`,
  connect: `usage: sockbench connect <protocol> <addr> [--send DATA] [--wait MS] [--json] [--pcap FILE] [--encoding NAME] [--append NAME]
       sockbench connect tls <host:port> [--servername NAME] [--alpn h2,http/1.1] [--insecure] [--ca FILE] [--cert FILE --key FILE] …

Connects and prints what arrives on stdout (status lines on stderr), like nc -N.
What it sends: --send DATA; without --send, its standard input when that is not a terminal
(a pipe or a file), as it comes.
When it ends: streams without --wait shut down their write side (SHUT_WR) after sending
(at the end of stdin), then wait for the peer to close, however long that takes;
with --wait MS they read for MS milliseconds after sending and exit. Datagrams read
for --wait MS (default 1000) after the last send.
protocol: tcp, udp, unix-stream, unix-dgram, unix-seqpacket, tls
${ADDR}
${DATA}
${COMMON}
${TLS_HELP}
exit status: 0 done, 1 the socket call failed (one line naming the errno) or a TLS verification failed, 2 bad usage`,
  packets: `usage:
  sockbench packets list [--json]
  sockbench packets import FILE            (Packet Sender's packets.ini or JSON, or Sockbench YAML)
  sockbench packets export FILE --format packetsender-ini|packetsender-json|yaml
--workspace DIR: the workspace folder; else $SOCKBENCH_WORKSPACE, else $XDG_DATA_HOME/sockbench`,
  send: `usage: sockbench send NAME [--wait MS] [--json]

Sends a saved packet (sockbench packets list shows them) and prints the answer;
--wait MS: how long to wait for it (default 1000). A host name in the packet is resolved first.
--workspace DIR: the workspace folder; else $SOCKBENCH_WORKSPACE, else $XDG_DATA_HOME/sockbench`,
  ping: `usage: sockbench ping <host> [-c N] [-i S] [-f] [-s SIZE] [-p HEX] [-t TTL] [-Q TOS] [-M do|dont] [-W S] [-4|-6] [--json]

ICMP echo, as ping: host is an address or a name (-4 / -6 choose the family of its address).
-c count, -i interval (s), -f flood (with -i below 0.001: paced), -s payload size, -p pattern (hex),
-t TTL, -Q TOS, -M do|dont (DF), -W reply timeout (s). Needs raw sockets (CAP_NET_RAW or root).
With -i 0.01 or less the helper spins between probes, as ping does there: one core stays busy.
exit status: 0 a reply came, 1 none did, 2 an error`,
  traceroute: `usage: sockbench traceroute <host> [--udp | -I] [-m MAX] [-q N] [-w S] [-4|-6] [--json]

The route to host (an address or a name): ICMP echo probes (-I, default) or UDP (--udp);
-m max hops, -q probes per hop, -w wait per probe (s). Needs raw sockets (CAP_NET_RAW or root).
exit status: 0 the host answered, 1 it did not, 2 an error`,
  sweep: `usage: sockbench sweep <addr|cidr>… [-c N] [-i MS] [-p MS] [-t MS] [--json]

Pings many addresses, as fping -g: IPv4 / IPv6 addresses and CIDR blocks (at most 4,096 addresses).
-c probes per target, -i ms between probes, -p ms between probes to one target, -t timeout (ms).
exit status: 0 every target alive, 1 some unreachable, 2 an error`,
  run: `usage: sockbench run FILE|DIR… [--var NAME=VALUE]… [--junit FILE] [--tap] [--json]

Runs scenarios (scenarios/*.yaml; a folder runs every scenario in it; see docs/AUTOMATION.md).
--var NAME=VALUE: sets a variable, over the scenario's own vars; --junit FILE: a JUnit XML report;
--tap: TAP version 14 on stdout; --json: one JSON object per step and scenario.
--workspace DIR: where saved packets named by send: { packet } are found
exit status: 0 every scenario passed, 1 one failed, 2 a file is invalid or the command line is wrong`,
  craft: CRAFT_HELP,
  version: 'usage: sockbench version (or sockbench --version): prints the version',
  help: 'usage: sockbench help [COMMAND]: the usage of every command, or of one',
};

export const COMMAND_NAMES = Object.keys(COMMANDS);

/** The usage of one command, or undefined for a command that does not exist. */
export function commandHelp(verb: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(COMMANDS, verb) ? COMMANDS[verb] : undefined;
}

/** --help or -h among a command's arguments (before a "--" that ends the options). */
export function asksForHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}
