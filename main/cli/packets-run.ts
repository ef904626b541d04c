// `sockbench packets list|import|export` and `sockbench send NAME`: the same
// workspace code and contract calls as the app, over the folder chosen by
// --workspace, $SOCKBENCH_WORKSPACE or the per-user default.
import { readFileSync, writeFileSync } from 'node:fs';
import { formatHostPort } from '../../shared/net/address.js';
import type { PacketsCommand } from './args.js';
import { Exit, setup } from './run.js';

type Cmd<K extends PacketsCommand['kind']> = Extract<PacketsCommand, { kind: K }>;

export async function runPackets(cmd: PacketsCommand, workspace: string | undefined): Promise<Exit> {
  const { engine, out, call, finished, finish, fail } = setup(cmd.kind === 'packets-list' || cmd.kind === 'send' ? cmd.json : false, workspace);
  try {
    switch (cmd.kind) {
      case 'packets-list':
        return await list(cmd, call);
      case 'packets-import':
        return await importFile(cmd, call);
      case 'packets-export':
        return await exportFile(cmd, call);
      case 'send':
        return await send(cmd, { engine, out, call, finished, finish, fail });
    }
  } finally {
    await engine.close();
  }
}

type Call = ReturnType<typeof setup>['call'];

async function list(cmd: Cmd<'packets-list'>, call: Call): Promise<Exit> {
  const info = await call('workspace.info', {});
  const { packets, problems } = await call('packets.list', {});
  if (cmd.json) {
    process.stdout.write(`${JSON.stringify({ workspace: info.dir, packets, problems })}\n`);
  } else {
    process.stderr.write(`sockbench: workspace ${info.dir}: ${packets.length} saved packet${packets.length === 1 ? '' : 's'}\n`);
    for (const p of packets) {
      const where = p.packet.protocol === 'raw' ? (p.packet.layers ?? []).join(' ; ') : p.packet.target ?? '';
      const tags = p.packet.tags?.length ? `  [${p.packet.tags.join(', ')}]` : '';
      const not = p.sendable ? '' : `  (not sendable: ${p.reason})`;
      process.stdout.write(`${p.packet.name}\t${p.packet.protocol}\t${where}${tags}${not}\n`);
    }
  }
  for (const p of problems) process.stderr.write(`sockbench: ${p.file}${p.line ? `:${p.line}` : ''}: ${p.message}\n`);
  return new Exit(problems.length ? 1 : 0, problems.length ? `${problems.length} file${problems.length === 1 ? '' : 's'} could not be read` : undefined);
}

async function importFile(cmd: Cmd<'packets-import'>, call: Call): Promise<Exit> {
  let text: string;
  try {
    text = readFileSync(cmd.file, 'utf8');
  } catch (e) {
    return new Exit(1, `cannot read ${cmd.file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const r = await call('packets.import', { text, fileName: cmd.file });
  for (const t of r.took) process.stdout.write(`took\t${t.name}\tpackets/${t.file}\n`);
  for (const m of r.marked) process.stdout.write(`marked\t${m.name}\tpackets/${m.file}\tnot sendable: ${m.reason}\n`);
  for (const x of r.refused) process.stdout.write(`refused\t${x.name}\t${x.reason}\n`);
  process.stderr.write(`sockbench: ${r.format}: took ${r.took.length}, marked ${r.marked.length} not sendable, refused ${r.refused.length}\n`);
  return new Exit(r.refused.length ? 1 : 0);
}

async function exportFile(cmd: Cmd<'packets-export'>, call: Call): Promise<Exit> {
  const r = await call('packets.export', { format: cmd.format });
  try {
    writeFileSync(cmd.file, r.text);
  } catch (e) {
    return new Exit(1, `cannot write ${cmd.file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  for (const x of r.skipped) process.stderr.write(`sockbench: left out "${x.name}": ${x.reason}\n`);
  process.stderr.write(`sockbench: wrote ${r.count} packet${r.count === 1 ? '' : 's'} to ${cmd.file} (${cmd.format})\n`);
  return new Exit(0);
}

/** Sends once as new and prints what comes back for --wait ms (or until the peer closes), like `packetsender -n`. */
async function send(cmd: Cmd<'send'>, ctx: Pick<ReturnType<typeof setup>, 'engine' | 'out' | 'call' | 'finished' | 'finish' | 'fail'>): Promise<Exit> {
  const { engine, out, call, finished, finish } = ctx;
  const { packets, problems } = await call('packets.list', {});
  const entry = packets.find((p) => p.packet.name === cmd.name);
  if (!entry) {
    const broken = problems.length ? ` (${problems.length} file${problems.length === 1 ? '' : 's'} could not be read: sockbench packets list says which)` : '';
    return new Exit(1, `no saved packet named "${cmd.name}"${broken}`);
  }
  // The session's id, once the send call gives it (events before that are read from its ring below).
  const sent: { id?: number } = {};
  engine.onEvent((ev) => {
    if (ev.name === 'session.data' && ev.payload.id === sent.id && ev.payload.dir === 'in') out.data(ev.payload);
    if (ev.name === 'session.updated' && ev.payload.id === sent.id && (ev.payload.state === 'closed' || ev.payload.state === 'half-closed' || ev.payload.state === 'error')) finish(new Exit(0));
  });
  const r = await call('packets.send', { file: entry.file });
  const id = r.session?.id;
  sent.id = id;
  const to = r.session?.peer ? formatHostPort(r.session.peer.address, r.session.peer.port, r.session.peer.family) : entry.packet.target ?? 'raw';
  out.status(`sent "${cmd.name}": ${r.bytes} bytes over ${entry.packet.protocol} to ${to}`, { bytes: r.bytes });
  // Data that arrived while the send call was answering is already in the session's ring.
  if (id !== undefined) for (const d of engine.engine.get(id).data.toArray()) if (d.dir === 'in') out.data(d);
  const state = id === undefined ? undefined : engine.engine.get(id).info().state;
  if (state === 'closed' || state === 'half-closed' || state === 'error') finish(new Exit(0));
  const timer = setTimeout(() => finish(new Exit(0)), cmd.waitMs);
  const result = await finished;
  clearTimeout(timer);
  return result;
}
