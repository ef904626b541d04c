// Arguments of `sockbench craft <layers…>`: the layer line (one argument or
// several words) read by the crafter's syntax (shared/packet/syntax.ts),
// and the options. Pure: every usage error is a tested, one-line message.
import { parseArgs } from 'node:util';
import { parseLayerWords, type Layer } from '../../shared/packet/index.js';
import { ipFamily, isHostName } from '../../shared/net/address.js';
import { int } from './probe-args.js';
import { UsageError } from './usage-error.js';

export interface CraftCommand {
  kind: 'craft';
  layers: Layer[];
  /** Write the packet as pcapng here. */
  out?: string;
  send: boolean;
  /** For a stack without an IP layer: where it goes (and the synthetic header's destination in --out). */
  address?: string;
  count: number;
  intervalMs: number;
  listenMs: number;
  json: boolean;
  /** Print only the bytes, as one line of hex. */
  hex: boolean;
}

export const CRAFT_USAGE =
  '  sockbench craft <layers…> [--out FILE.pcapng] [--send] [--address ADDR] [--count N] [--interval S] [--listen S] [--json] [--hex]';

export const CRAFT_HELP = `usage:
${CRAFT_USAGE}

Builds one packet from a stack of layers, prints it decoded (a line a layer,
every field, checksums marked good, bad or forced) and as a hex dump.

Layers are separated by " / ", each a kind and field=value words; give the
line as one argument or as several words. Fields left out take defaults;
lengths, next-protocol numbers and checksums are computed unless given
(a checksum you set is written as is, even when wrong).

  layers   ipv4 ipv6 hopopts routing fragment destopts icmp icmpv6 tcp udp payload
  numbers  ttl=3 id=0x1f
  names    type=echo-request (or type=8), code=port-unreachable, proto=udp
  flags    tcp flags=S,E,C (F S R P A U E C N, or run together: SA); ipv4 flags=DF (MF, DF, evil)
  address  dst=127.0.0.1  dst=::1; routing addresses=fd00::1,fd00::2
  bytes    hex:41414141, "text" (escapes \\" \\\\ \\n \\r \\t), or bare text
  options  comma-separated, arguments after colons:
           tcp options=MSS:1460,NOP,WScale:7,SAckOK,Timestamp:TSVAL:TSECR,SAck:LEFT-RIGHT
           hopopts/destopts options=RouterAlert:0000,Pad1,PadN:0000
           icmpv6 options=src-lladdr:02:00:00:00:00:01
           any list: raw:HEX, or NUMBER:HEX (kind and data)
  payload  a bare value is the load: payload "x", payload hex:41414141
  Field names follow Scapy's: ttl id flags frag proto chksum src dst options (ipv4),
  tc fl plen nh hlim (ipv6), type code id seq gw ptr (icmp), sport dport seq ack
  dataofs flags window chksum urgptr options (tcp), sport dport len chksum (udp), load.
  An unknown field is answered with the layer's field list.

examples:
  sockbench craft 'ipv4 dst=127.0.0.1 ttl=3 / icmp type=echo-request id=7 seq=1 / payload hex:41414141'
  sockbench craft 'ipv4 dst=127.0.0.1 / tcp dport=80 flags=S,E,C / payload "x"' --out syn.pcapng
  sockbench craft ipv4 dst=127.0.0.1 / icmp chksum=0x1234 --send   (a bad checksum: no reply, as expected)

options:
  --out FILE     write the packet as pcapng (opens in Wireshark). A stack that does
                 not start with ipv4/ipv6 is written inside a synthetic IP header
                 from 127.0.0.1 (::1 for icmpv6 and IPv6 extension headers) to
                 --address (default the same loopback address).
  --send         send it through the raw helper (root or CAP_NET_RAW): a stack that
                 starts with ipv4/ipv6 goes as is (IP_HDRINCL) to its dst; otherwise
                 the kernel writes the IP header, to --address (default loopback).
                 Answers (by protocol, addresses, ports, ICMP id/seq) are printed
                 decoded under the packet.
  --address A    destination of a stack without an IP layer (an address, or a name: its first address)
  --count N      send the packet N times (default 1)
  --interval S   seconds between packets (default 1 with --count, e.g. 0.01)
  --listen S     seconds to wait for answers after the last packet (default 1)
  --json         one JSON object per line (packet, sent, reply, done)
  --hex          print only the packet's bytes, as one line of hex
exit status: 0 built (and sent), 1 a failure (send refused, file not written),
2 bad usage or a bad layer line. Answers, or none, do not change it.`;

function seconds(text: string | undefined, option: string, max: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(text) || Number(text) > max) throw new UsageError(`craft: ${option} needs a number of seconds between 0 and ${max}, got "${text}"`);
  return Math.round(Number(text) * 1000);
}

/** `sockbench craft …`; null for --help. */
export function parseCraft(args: string[]): CraftCommand | null {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        out: { type: 'string', short: 'o' },
        send: { type: 'boolean', default: false },
        address: { type: 'string' },
        count: { type: 'string', short: 'c' },
        interval: { type: 'string', short: 'i' },
        listen: { type: 'string' },
        json: { type: 'boolean', default: false },
        hex: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    throw new UsageError(`craft: ${(e as Error).message.split('\n')[0]!} (see sockbench craft --help)`);
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  if (v.help) return null;
  if (parsed.positionals.length === 0) {
    throw new UsageError(`craft needs layers, e.g. sockbench craft 'ipv4 dst=127.0.0.1 / icmp / payload "x"' (see sockbench craft --help)`);
  }
  const r = parseLayerWords(parsed.positionals);
  if (!r.ok) throw new UsageError(`craft: ${r.message}`);
  const send = Boolean(v.send);
  for (const o of ['count', 'interval', 'listen'] as const) {
    if (v[o] !== undefined && !send) throw new UsageError(`craft: --${o} goes with --send`);
  }
  const count = int(v.count as string | undefined, 'craft: --count', 1, 1_000_000);
  const address = v.address as string | undefined;
  if (address !== undefined && !ipFamily(address) && !isHostName(address)) throw new UsageError(`craft: --address needs an IPv4 or IPv6 address or a host name, got "${address}"`);
  if (v.json && v.hex) throw new UsageError('craft: --json and --hex exclude each other');
  const out = v.out as string | undefined;
  if (out === '') throw new UsageError('craft: --out needs a file name');
  const cmd: CraftCommand = {
    kind: 'craft',
    layers: r.layers,
    send,
    count: count ?? 1,
    intervalMs: seconds(v.interval as string | undefined, '--interval', 3600) ?? (count !== undefined && count > 1 ? 1000 : 0),
    listenMs: seconds(v.listen as string | undefined, '--listen', 60) ?? 1000,
    json: Boolean(v.json),
    hex: Boolean(v.hex),
  };
  if (out !== undefined) cmd.out = out;
  if (address !== undefined) cmd.address = address;
  return cmd;
}
