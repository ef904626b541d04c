// Import and export of saved packets: Packet Sender's packets.ini and JSON,
// and our own YAML (one packet, or a list). An import saves what it can and
// reports every entry: taken, taken but marked not sendable (with the
// reason), or refused (with the reason). Nothing is dropped silently.
import * as v from 'valibot';
import { parseDocument, stringify } from 'yaml';
import { SavedPacket } from '../../shared/contract/workspace.js';
import { KINDS } from './kinds.js';
import { fromPs, readPacketsIni, readPacketsJson, sendability, toPs, writePacketsIni, writePacketsJson, type PsPacket } from './packetsender.js';
import type { Workspace } from './workspace.js';

export type ImportFormat = 'packetsender-ini' | 'packetsender-json' | 'yaml';
export type ExportFormat = ImportFormat;

export interface ImportReport {
  format: ImportFormat;
  took: { name: string; file: string }[];
  marked: { name: string; file: string; reason: string }[];
  refused: { name: string; reason: string }[];
}

/** Which of the three a file is: by its name's extension, else by its content. */
export function detectFormat(text: string, fileName?: string): ImportFormat {
  const ext = /\.([a-z]+)$/i.exec(fileName ?? '')?.[1]?.toLowerCase();
  if (ext === 'ini') return 'packetsender-ini';
  if (ext === 'json') return 'packetsender-json';
  if (ext === 'yaml' || ext === 'yml') return 'yaml';
  const t = text.trimStart();
  if (t.startsWith('[{') || /^\[\s*(\{|\])/.test(t)) return 'packetsender-json';
  if (/^\s*\[[^\]\r\n]+\]\s*$/m.test(text) && /^[^=\r\n]+=/m.test(text)) return 'packetsender-ini';
  return 'yaml';
}

/** Our YAML: one packet (a mapping) or a list of them; each checked with the contract's schema. */
function readYamlPackets(text: string): { packets: SavedPacket[]; refused: ImportReport['refused'] } {
  const doc = parseDocument(text);
  if (doc.errors.length) return { packets: [], refused: [{ name: '(file)', reason: `not valid YAML: line ${doc.errors[0]!.linePos?.[0].line ?? '?'}: ${doc.errors[0]!.message.split('\n')[0]}` }] };
  const js = doc.toJS() as unknown;
  const list = Array.isArray(js) ? js : [js];
  const packets: SavedPacket[] = [];
  const refused: ImportReport['refused'] = [];
  list.forEach((x, i) => {
    const r = v.safeParse(SavedPacket, x);
    const name = typeof (x as { name?: unknown } | null)?.name === 'string' ? (x as { name: string }).name : `#${i + 1}`;
    if (r.success) packets.push(r.output);
    else {
      const issue = r.issues[0];
      const field = issue.path?.map((p) => String(p.key)).join('.');
      refused.push({ name, reason: field && !issue.message.startsWith(field) ? `${field}: ${issue.message}` : issue.message });
    }
  });
  return { packets, refused };
}

const same = (a: SavedPacket, b: SavedPacket): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Reads `text` in its format and saves every packet that reads into the workspace. */
export function importPackets(ws: Workspace, text: string, fileName?: string): ImportReport {
  const format = detectFormat(text, fileName);
  const report: ImportReport = { format, took: [], marked: [], refused: [] };
  let packets: SavedPacket[] = [];
  if (format === 'yaml') {
    const r = readYamlPackets(text);
    packets = r.packets;
    report.refused.push(...r.refused);
  } else {
    const r = format === 'packetsender-ini' ? readPacketsIni(text) : readPacketsJson(text);
    report.refused.push(...r.refused);
    for (const ps of r.packets) {
      const c = fromPs(ps);
      if (c.ok) packets.push(c.packet);
      else report.refused.push({ name: c.name, reason: c.reason });
    }
  }
  for (const packet of packets) {
    const existing = ws.list('packets').entries;
    const twin = existing.find((e) => e.value.name === packet.name);
    let file: string;
    let saved = packet;
    if (twin && same(twin.value, packet)) file = twin.file;
    else {
      // A different packet of the same name stays; this one takes the next free "name (n)".
      let name = packet.name;
      for (let n = 2; existing.some((e) => e.value.name === name); n++) name = `${packet.name} (${n})`;
      saved = { ...packet, name };
      const r = ws.save('packets', saved);
      if (!r.ok) {
        report.refused.push({ name: packet.name, reason: `${KINDS.packets.folder}/${r.conflict.file} appeared while importing` });
        continue;
      }
      file = r.file;
    }
    const s = sendability(saved);
    if (s.sendable) report.took.push({ name: saved.name, file });
    else report.marked.push({ name: saved.name, file, reason: s.reason! });
  }
  return report;
}

/** The workspace's packets (all, or those files) in a format; those the format cannot hold are listed with why. */
export function exportPackets(ws: Workspace, format: ExportFormat, files?: readonly string[]): { text: string; fileName: string; count: number; skipped: { name: string; reason: string }[] } {
  const chosen = ws.list('packets').entries.filter((e) => !files || files.includes(e.file));
  const skipped: { name: string; reason: string }[] = [];
  if (format === 'yaml') {
    const text = stringify(chosen.map((e) => e.value), { lineWidth: 0 });
    return { text: `# Sockbench saved packets (import with: sockbench packets import FILE)\n${text}`, fileName: 'sockbench-packets.yaml', count: chosen.length, skipped };
  }
  const list: PsPacket[] = [];
  for (const e of chosen) {
    const r = toPs(e.value);
    if (r.ok) list.push(r.ps);
    else skipped.push({ name: e.value.name, reason: r.reason });
  }
  return format === 'packetsender-ini'
    ? { text: writePacketsIni(list), fileName: 'packets.ini', count: list.length, skipped }
    : { text: writePacketsJson(list), fileName: 'packetsender-packets.json', count: list.length, skipped };
}
