// `sockbench craft`: builds the stack with the crafter's codecs, prints it
// decoded and as hex, writes it as pcapng (--out) and sends it through the
// engine's craft.send (--send), validated by the same router as the app,
// printing every answer decoded under the packet.
import { writeFileSync } from 'node:fs';
import { CallError, type AnyEvent, type EventPayload, type Params } from '../../shared/contract/index.js';
import { buildStack, formatStack, type BuildResult } from '../../shared/packet/index.js';
import { writePcapng, type PcapngPacketIn } from '../../shared/packet/pcapng.js';
import { createRouter } from '../bridge/router.js';
import { Workbench } from '../workbench.js';
import type { CraftCommand } from './craft-args.js';
import { decodePacket, firstKind, hexDump, hexOf, jsonLayers, wrapInIp, type Wrapped } from './craft-show.js';
import { followRun, NO_PRIVILEGE, onInterrupt, resolveHost, stdio, type Io } from './probe-run.js';
import { Exit } from './run.js';

type Built = Extract<BuildResult, { ok: true }>;

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** The bytes of a stack as pcapng wants them: with its IP header, synthetic if needed. */
function exportPacket(wrapped: Wrapped, bytes: Uint8Array, comment: string): PcapngPacketIn | string {
  let ip = bytes;
  if (wrapped.synthetic) {
    const b = buildStack(wrapped.layers);
    if (!b.ok) return `the synthetic IP header does not fit: ${b.message}`;
    ip = b.bytes;
  }
  return { bytes: ip, linkType: wrapped.family === 4 ? 'ipv4' : 'ipv6', comment };
}

function writeFile(path: string, packets: PcapngPacketIn[]): string | null {
  try {
    writeFileSync(path, writePcapng(packets));
    return null;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return `cannot write ${path}: ${err.code ? `${err.code} ` : ''}${err.message.replace(/^[A-Z]+: /, '')}`;
  }
}

export async function runCraft(cmd: CraftCommand, io: Io = stdio): Promise<Exit> {
  let address = cmd.address;
  if (address !== undefined) {
    // A host name: its first address, as getaddrinfo gives it (the layers' own addresses are header bytes, never names).
    const r = await resolveHost(address, undefined, 'craft');
    if (r instanceof Exit) return r;
    address = r.address;
  }
  const wrapped = wrapInIp(cmd.layers, address);
  if (typeof wrapped === 'string') return new Exit(2, `craft: ${wrapped}`);
  const built = buildStack(cmd.layers, wrapped.ctx);
  if (!built.ok) {
    const layer = cmd.layers[built.layer];
    const where = layer ? `layer ${built.layer + 1} (${layer.kind}): ` : '';
    return new Exit(2, `craft: ${where}${built.message}`);
  }
  const line = formatStack(cmd.layers);
  const first = cmd.layers[0]!.kind;
  const json = (obj: Record<string, unknown>): void => io.out(JSON.stringify(obj));
  const { parsed, lines } = decodePacket(built.bytes, first, cmd.layers, wrapped.ctx);
  if (cmd.hex) io.out(hexOf(built.bytes));
  else if (cmd.json) json({ event: 'packet', line, length: built.bytes.length, hex: hexOf(built.bytes), layers: jsonLayers(parsed) });
  else {
    io.out(`${line}  (${plural(built.bytes.length, 'byte')})`);
    for (const l of lines) io.out(`  ${l}`);
    for (const l of hexDump(built.bytes)) io.out(`  ${l}`);
  }
  const packets: PcapngPacketIn[] = [];
  if (cmd.out !== undefined) {
    const p = exportPacket(wrapped, built.bytes, `sockbench craft ${line}`);
    if (typeof p === 'string') return new Exit(1, `craft: --out: ${p}`);
    packets.push(p);
  }
  let exit = new Exit(0);
  // A checksum forced wrong: the receiving stack drops the packet, so no answer is the expected outcome.
  const forcedBad = parsed.layers.filter((l, i) => parsed.checksums[i] === 'bad' && cmd.layers[i]?.kind === l.kind && cmd.layers[i]!.fields.chksum !== undefined).map((l) => l.kind);
  if (cmd.send) exit = await send(cmd, wrapped, built, io, packets, forcedBad);
  if (cmd.out !== undefined) {
    const problem = writeFile(cmd.out, packets);
    if (problem) return new Exit(1, `craft: ${problem}`);
    const what = `${plural(packets.length, 'packet')}${wrapped.synthetic ? `, inside a synthetic IPv${wrapped.family} header` : ''}`;
    if (cmd.json) json({ event: 'written', file: cmd.out, packets: packets.length, synthetic: wrapped.synthetic });
    else if (!cmd.hex) io.err(`sockbench: wrote ${cmd.out} (${what})`);
  }
  return exit;
}

function failure(e: unknown): Exit {
  if (e instanceof CallError && e.code === 'OS_ERROR' && e.error.errno?.name === 'EPERM') return new Exit(1, `craft: ${NO_PRIVILEGE.replace('Sending ICMP', 'Sending crafted packets')}`);
  const message = e instanceof CallError ? e.error.message : e instanceof Error ? e.message : String(e);
  if (/handler is not a function|unknown method/.test(message)) return new Exit(1, 'craft: --send is not available yet in this build (the engine has no craft.send)');
  return new Exit(1, `craft: --send: ${message.replace(/\s+/g, ' ').trim()}`);
}

async function send(cmd: CraftCommand, wrapped: Wrapped, built: Built, io: Io, pcap: PcapngPacketIn[], forcedBad: readonly string[]): Promise<Exit> {
  const engine = new Workbench({ probes: { replyRate: Infinity } });
  const router = createRouter(engine);
  const json = (obj: Record<string, unknown>): void => io.out(JSON.stringify(obj));
  const text = !cmd.json && !cmd.hex;
  const total = cmd.count;
  const size = built.bytes.length;
  const ourAddress = wrapped.ctx?.src ?? (built.layers[0]!.fields.src as string | undefined);
  let resolveDone!: (d: EventPayload<'craft.done'>) => void;
  const done = new Promise<EventPayload<'craft.done'>>((r) => (resolveDone = r));
  const show = (ev: AnyEvent): void => {
    if (ev.name === 'craft.sent') {
      const s = ev.payload;
      if (cmd.json) json({ event: 'sent', index: s.index, length: s.bytes.length, tUs: s.tUs, ...(s.error ? { error: s.error } : {}), ...(s.skipped ? { skipped: s.skipped } : {}) });
      else if (text) {
        const skipped = s.skipped ? ` (+${s.skipped} not shown)` : '';
        io.out(s.error ? `send ${s.index + 1}/${total}: ${s.error.code}: ${s.error.message}` : `sent ${s.index + 1}/${total} (${plural(s.bytes.length, 'byte')})${skipped}`);
      }
    } else if (ev.name === 'craft.reply') {
      const r = ev.payload;
      const first = firstKind(r.first);
      // Without its IP header (ICMPv6 from a raw socket), the pseudo-header is from the answer's sender to us.
      const ctx = first === 'ipv4' || first === 'ipv6' || ourAddress === undefined ? undefined : { src: r.from, dst: ourAddress };
      const { parsed, lines } = decodePacket(r.bytes, first, [], ctx);
      if (cmd.json) json({ event: 'reply', answers: r.answers, from: r.from, tUs: r.tUs, ...(r.rttUs !== undefined ? { rttUs: r.rttUs } : {}), hex: hexOf(r.bytes), layers: jsonLayers(parsed) });
      else if (text) {
        const rtt = r.rttUs === undefined ? '' : ` after ${(r.rttUs / 1000).toFixed(3)} ms`;
        const to = r.answers === null ? '' : ` to packet ${r.answers + 1}`;
        io.out(`reply from ${r.from}${to}${rtt} (${plural(r.bytes.length, 'byte')})${r.skipped ? ` (+${r.skipped} not shown)` : ''}`);
        for (const l of lines) io.out(`    ${l}`);
        const partial = parsed.layers.filter((l, i) => (l.kind === 'tcp' || l.kind === 'udp') && parsed.checksums[i] === 'bad').map((l) => l.kind);
        if (partial.length > 0 && /^(127\.|::1$)/.test(r.from)) {
          io.out(`    (the ${partial.join(' and ')} checksum reads bad because on loopback the kernel leaves it unfinished: checksum offload, never checked on lo)`);
        }
      }
      if (pcap.length > 0 && (first === 'ipv4' || first === 'ipv6')) {
        pcap.push({ bytes: r.bytes, linkType: first, comment: `reply from ${r.from}${r.answers === null ? '' : ` to packet ${r.answers + 1}`}` });
      }
    } else if (ev.name === 'craft.done') resolveDone(ev.payload);
  };
  const run = followRun(engine, 'craft', show);
  let stopInterrupt = (): void => undefined;
  try {
    const params: Params<'craft.send'> = {
      packets: [cmd.layers as Params<'craft.send'>['packets'][number]],
      via: 'raw',
      count: cmd.count,
      intervalMs: cmd.intervalMs,
      listenMs: cmd.listenMs,
      variables: [],
      ref: run.ref,
    };
    if (wrapped.synthetic) params.address = wrapped.ctx!.dst!;
    const reply = await router.handle('craft.send', params);
    if (!reply.ok) return failure(new CallError(reply.error));
    const runId = (reply.result as { id: number }).id;
    run.started();
    stopInterrupt = onInterrupt(() => void router.handle('craft.stop', { id: runId }).catch(() => undefined));
    const end = await done;
    if (cmd.json) {
      json({ event: 'done', sent: end.sent, errors: end.errors, replies: end.replies, stopped: end.stopped, ...(end.error ? { error: end.error } : {}), ...(forcedBad.length ? { badChecksums: forcedBad } : {}) });
    }
    else if (text) {
      io.out(`--- ${plural(end.sent, 'packet')} sent (${plural(size, 'byte')} each), ${plural(end.errors, 'error')}, ${plural(end.replies, 'reply', 'replies')}${end.stopped ? ', stopped' : ''} ---`);
      if (end.error) io.out(end.error);
      if (end.replies === 0 && forcedBad.length > 0 && !end.error) {
        io.out(`no reply, as expected: the ${forcedBad.join(' and ')} checksum is wrong on purpose, and a receiver drops a packet whose checksum is bad`);
      }
    }
    if (end.sent === 0 && (end.errors > 0 || end.error)) return new Exit(1, `craft: nothing was sent${end.error ? `: ${end.error}` : ''}`);
    return new Exit(0);
  } catch (e) {
    return failure(e);
  } finally {
    stopInterrupt();
    run.off();
    await engine.close();
  }
}
