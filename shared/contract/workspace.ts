// The contract's part for the workspace: a folder of plain YAML files the
// app, browser mode and the CLI share (workspace.yaml, packets/*.yaml, and
// later scenarios/ and rules/). A saved packet's file is validated with
// SavedPacket; what it may hold is written here once.
import * as v from 'valibot';
import { formatEscapedText, parseBase64, parseEscapedText, parseHex, TEXT_ENCODINGS, toHex, withAppendix, type CodecResult, type TextEncodingName } from '../codec/index.js';
import { ipFamily, parseSocketTarget } from '../net/address.js';
import { parseLayers } from '../packet/index.js';
import { AnyBytes, AppendName, intInRange, SessionId, SessionInfo } from './schemas.js';
import { SavedTlsOptions } from './tls.js';

/** The format of workspace.yaml and the files under it that this build reads and writes. */
export const WORKSPACE_FORMAT = 1;

export const PACKET_PROTOCOLS = [
  'tcp', 'udp', 'unix-stream', 'unix-dgram', 'unix-seqpacket',
  /** TCP under TLS (Packet Sender's SSL packets import as tls). */
  'tls',
  /** A crafted packet: its layer lines, sent through the raw helper. */
  'raw',
  /** Packet Sender's kinds: ssl is sent as tls (files written before tls existed); the others are kept but cannot be sent. */
  'ssl', 'dtls', 'http', 'https',
] as const;
export type PacketProtocol = (typeof PACKET_PROTOCOLS)[number];

export type Capability = { sendable: true } | { sendable: false; reason: string };

/**
 * What each protocol can do here. A kind that cannot be sent yet is still
 * kept (imported, listed, exported) and says why; when TLS lands, flipping
 * its line makes every saved SSL packet sendable.
 */
export const PROTOCOL_CAPS: Record<PacketProtocol, Capability> = {
  tcp: { sendable: true },
  udp: { sendable: true },
  'unix-stream': { sendable: true },
  'unix-dgram': { sendable: true },
  'unix-seqpacket': { sendable: true },
  raw: { sendable: true },
  tls: { sendable: true },
  ssl: { sendable: true },
  dtls: { sendable: false, reason: 'DTLS is not supported: Sockbench has no DTLS sessions' },
  http: { sendable: false, reason: 'HTTP requests are not supported: Sockbench sends bytes over sockets (save it as tcp with the request as its data)' },
  https: { sendable: false, reason: 'HTTPS requests are not supported: Sockbench sends bytes over sockets (save it as tls with the request as its data)' },
};

export const isUnixProtocol = (p: PacketProtocol): boolean => p.startsWith('unix-');
/** tls, or Packet Sender's name for it. */
export const isTlsProtocol = (p: PacketProtocol): boolean => p === 'tls' || p === 'ssl';

/** The encodings a saved packet's text may name: those the codecs know. */
export const PACKET_ENCODINGS: readonly string[] = TEXT_ENCODINGS;

/**
 * A saved packet's data as written: `hex:68 65`, `base64:aGk=`, or text with
 * escapes (\r \n \t \0 \\ \xHH) in its encoding. Text that itself starts with
 * "hex:" or "base64:" writes its first letter as an escape (\x68ex:).
 */
export function parseSavedData(text: string, encoding: string = 'utf-8'): CodecResult {
  if (text.startsWith('hex:')) return parseHex(text.slice(4));
  if (text.startsWith('base64:')) return parseBase64(text.slice(7));
  return parseEscapedText(text, encoding as TextEncodingName);
}

/** The bytes a saved packet sends: its data, then what `append` adds (a checksum or line ending). */
export function savedPacketBytes(p: Pick<SavedPacket, 'data' | 'encoding' | 'append'>): CodecResult {
  const r = parseSavedData(p.data ?? '', p.encoding);
  return r.ok && p.append ? { ok: true, bytes: withAppendix(r.bytes, p.append) } : r;
}

/**
 * Bytes as a saved packet's data: text with escapes when they read as text
 * (few escapes), else hex:. parseSavedData gives the same bytes back.
 */
export function formatSavedData(bytes: Uint8Array): string {
  const text = formatEscapedText(bytes, 'utf-8');
  const escapes = (text.match(/\\x[0-9a-f]{2}|\\0/g) ?? []).length;
  if (bytes.length > 0 && escapes * 4 > bytes.length) return `hex:${toHex(bytes)}`;
  return /^(hex|base64):/.test(text) ? `\\x${text.charCodeAt(0).toString(16)}${text.slice(1)}` : text;
}

const Text = (name: string, max: number) =>
  v.pipe(v.string(`${name} must be text`), v.maxLength(max, `${name} is at most ${max} characters`));

export const PacketName = v.pipe(
  Text('name', 200),
  v.trim(),
  v.minLength(1, 'name must not be empty'),
  v.check((s) => ![...s].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f), 'name must not contain control characters'),
);

/** Repeats: `count` sends, `intervalMs` apart (Packet Sender's "resend every N seconds" is intervalMs with no count). */
export const Repeat = v.object({
  count: v.optional(intInRange('repeat.count', 1, 1_000_000)),
  intervalMs: v.optional(v.pipe(v.number('repeat.intervalMs must be a number'), v.minValue(0, 'repeat.intervalMs must be ≥ 0'), v.maxValue(86_400_000, 'repeat.intervalMs must be at most a day'))),
});

/**
 * One saved packet: packets/<file>.yaml. Keys are those a person writes; a
 * file may hold comments, which rewrites keep.
 */
export const SavedPacket = v.pipe(
  v.strictObject({
    name: PacketName,
    protocol: v.picklist(PACKET_PROTOCOLS, `protocol must be one of ${PACKET_PROTOCOLS.join(', ')}`),
    /** host:port, [v6]:port, a host name for the kinds that resolve one, /path.sock or @abstract; raw: the address of a stack without an IP layer. */
    target: v.optional(Text('target', 300)),
    /** The data as written: text with escapes, hex:…, base64:… (not for raw). */
    data: v.optional(Text('data', 16_000_000)),
    /** The text encoding of `data` (text only). */
    encoding: v.optional(v.picklist(PACKET_ENCODINGS as string[], `encoding must be one of ${PACKET_ENCODINGS.join(', ')}`)),
    /** Appended to the data when sent: a checksum of it (crc16-modbus, crc32 …) or a line ending. */
    append: v.optional(AppendName),
    /** raw: one layer line a packet, as `sockbench craft` takes it. */
    layers: v.optional(v.pipe(v.array(Text('layer line', 10_000), 'layers must be a list of layer lines'), v.minLength(1, 'layers needs at least one layer line'), v.maxLength(16, 'at most 16 packets'))),
    /** Local address to bind first: host:port (port 0 = any), or a Unix path. */
    bind: v.optional(Text('bind', 300)),
    repeat: v.optional(Repeat),
    tags: v.optional(v.pipe(v.array(v.pipe(Text('tag', 64), v.trim(), v.minLength(1, 'a tag must not be empty')), 'tags must be a list'), v.maxLength(64, 'at most 64 tags'))),
    notes: v.optional(Text('notes', 100_000)),
    /** tls: the client's options (servername, alpn, verify, ca, cert and key as absolute paths, versions). */
    tls: v.optional(SavedTlsOptions),
    /** http/https: the method and the path of the request. */
    http: v.optional(v.strictObject({ method: Text('http.method', 16), path: v.optional(Text('http.path', 2000)) })),
  }, (issue) => (issue.expected === 'never' ? `unknown key "${String(issue.path?.at(-1)?.key)}"` : 'a saved packet must be a mapping of keys (name, protocol, target, data …)')),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const p = dataset.value;
    const issue = (key: string, message: string): void =>
      addIssue({ message, path: [{ type: 'object', origin: 'value', input: p, key, value: (p as Record<string, unknown>)[key] }] });
    if (p.protocol === 'raw') {
      if (p.layers === undefined) issue('layers', 'a raw packet needs layers (its layer lines)');
      if (p.data !== undefined) issue('data', 'a raw packet has layers, not data');
      p.layers?.forEach((line, i) => {
        const r = parseLayers(line);
        if (!r.ok) addIssue({ message: `layers[${i}]: ${r.message}`, path: [{ type: 'object', origin: 'value', input: p, key: 'layers', value: p.layers }, { type: 'array', origin: 'value', input: p.layers!, key: i, value: line }] });
      });
      if (p.target !== undefined && ipFamily(p.target) === null) issue('target', `a raw packet's target is an IP address (where a stack without an IP layer goes), got "${p.target}"`);
      return;
    }
    if (p.layers !== undefined) issue('layers', `layers are for raw packets; a ${p.protocol} packet has data`);
    if (p.target === undefined) issue('target', `a ${p.protocol} packet needs a target (${isUnixProtocol(p.protocol) ? '/path.sock or @name' : 'host:port'})`);
    else {
      const t = parseSocketTarget(p.target, isUnixProtocol(p.protocol) ? p.protocol : null, { hostNames: true });
      if (!t.ok) issue('target', t.message);
    }
    if (p.bind !== undefined) {
      const b = parseSocketTarget(p.bind, isUnixProtocol(p.protocol) ? p.protocol : null);
      if (!b.ok) issue('bind', b.message.replace(/^address/, 'bind address'));
    }
    if (p.data !== undefined) {
      const d = parseSavedData(p.data, p.encoding);
      if (!d.ok) issue('data', d.error.message);
    }
    if (p.http !== undefined && p.protocol !== 'http' && p.protocol !== 'https') issue('http', 'http is for http and https packets');
    if (p.tls !== undefined && !isTlsProtocol(p.protocol)) issue('tls', `tls options are for tls packets; this one is ${p.protocol}`);
  }),
);
export type SavedPacket = v.InferOutput<typeof SavedPacket>;

/** The file name of a packet in its kind's folder: letters, digits, . _ - (and any non-ASCII letter), ending in .yaml. */
export const FileName = v.pipe(
  v.string('file must be text'),
  v.regex(/^(?!\.)[\p{L}\p{N}._ -]{1,120}\.ya?ml$/u, 'file must be a .yaml file name in the folder (no slashes, not hidden)'),
);

/** A file's content hash as last read: a save with a stale one is a conflict, never an overwrite. */
export const Rev = v.pipe(v.string('rev must be text'), v.regex(/^[0-9a-f]{16}$/, 'rev must be the 16 hex digits the list gave'));

export const PacketEntry = v.object({
  file: v.string(),
  rev: v.string(),
  packet: SavedPacket,
  /** Whether Sockbench can send it here, and if not why (from PROTOCOL_CAPS). */
  sendable: v.boolean(),
  reason: v.optional(v.string()),
});

/** A file that could not be read as what its folder holds: which file, where, which field, what is wrong. */
export const FileProblem = v.object({
  /** Relative to the workspace: packets/x.yaml, workspace.yaml. */
  file: v.string(),
  line: v.optional(v.number()),
  column: v.optional(v.number()),
  field: v.optional(v.string()),
  message: v.string(),
});

export const WorkspaceInfo = v.object({
  dir: v.string(),
  /** Where the folder choice came from. */
  source: v.picklist(['default', 'flag', 'env', 'chosen']),
  /** The per-user default folder of this mode. */
  defaultDir: v.string(),
  format: v.number(),
  /** Set when the folder can be read but not written (e.g. a newer format): why. */
  readOnly: v.optional(v.string()),
});

/** The other side's version when a save met a file changed on disk: the caller keeps theirs, ours or both. */
export const Conflict = v.object({
  file: v.string(),
  /** The file as it is on disk now (null: deleted), with its rev and, when valid, its packet. */
  diskText: v.nullable(v.string()),
  diskRev: v.nullable(v.string()),
  diskPacket: v.optional(SavedPacket),
});

const Saved = v.union([
  v.object({ ok: v.literal(true), file: v.string(), rev: v.string() }),
  v.object({ ok: v.literal(false), conflict: Conflict }),
]);

export const EXPORT_FORMATS = ['packetsender-ini', 'packetsender-json', 'yaml'] as const;

export const ImportReport = v.object({
  format: v.picklist(['packetsender-ini', 'packetsender-json', 'yaml']),
  /** Saved as sendable packets. */
  took: v.array(v.object({ name: v.string(), file: v.string() })),
  /** Saved, but not sendable here: why. */
  marked: v.array(v.object({ name: v.string(), file: v.string(), reason: v.string() })),
  /** Not saved: which entry and why. */
  refused: v.array(v.object({ name: v.string(), reason: v.string() })),
});

export const workspaceMethods = {
  /** Which folder is open, where the choice came from, and the default. */
  'workspace.info': { params: v.object({}), result: WorkspaceInfo },
  /** Opens another folder (an absolute path; created when its parent exists). */
  'workspace.open': {
    params: v.object({ dir: v.pipe(v.string('dir must be text'), v.trim(), v.minLength(1, 'dir must not be empty'), v.maxLength(4096, 'dir is too long')) }),
    result: WorkspaceInfo,
  },
  /** Every saved packet that reads, and every file that does not (naming file, line and field). */
  'packets.list': { params: v.object({}), result: v.object({ packets: v.array(PacketEntry), problems: v.array(FileProblem) }) },
  /**
   * Writes a packet. With `file` and `rev`: overwrites that file only if it is
   * still what was read (else a conflict); `rev: null` means the file must not
   * exist yet. Without `file`: a new file named from the packet's name. A
   * changed name renames the file.
   */
  'packets.save': {
    params: v.object({ packet: SavedPacket, file: v.optional(FileName), rev: v.optional(v.nullable(Rev)) }),
    result: Saved,
  },
  /** Deletes a packet's file if it is still what was read. */
  'packets.remove': { params: v.object({ file: FileName, rev: Rev }), result: Saved },
  /** Packet Sender's packets.ini or JSON export, or our YAML (one packet, or a list): saves each packet and reports it. */
  'packets.import': {
    params: v.object({ text: v.pipe(v.string('text must be text'), v.maxLength(16_000_000, 'the file is larger than 16 MB')), fileName: v.optional(v.pipe(v.string(), v.maxLength(255))) }),
    result: ImportReport,
  },
  /** The saved packets (all, or those files) as Packet Sender INI or JSON, or as one YAML list. */
  'packets.export': {
    params: v.object({ format: v.picklist(EXPORT_FORMATS, `format must be one of ${EXPORT_FORMATS.join(', ')}`), files: v.optional(v.array(FileName)) }),
    result: v.object({ text: v.string(), fileName: v.string(), count: v.number(), skipped: v.array(v.object({ name: v.string(), reason: v.string() })) }),
  },
  /**
   * Sends a saved packet: into `session` (connected stream: sendall; datagram:
   * sendto its target), or as new: create, bind if asked, connect, send. The
   * answer arrives in that session's log. Raw packets go through the crafter.
   */
  'packets.send': {
    params: v.object({ file: FileName, session: v.optional(SessionId) }),
    result: v.object({ session: v.optional(SessionInfo), craft: v.optional(v.number()), bytes: v.number() }),
  },
  /**
   * The session's sent and received data still held (its bounded ring) as
   * pcapng, with synthetic IP and TCP/UDP headers; `lostBytes` counts what
   * the ring had let go before (the file says so too).
   */
  'session.pcapng': {
    params: v.object({ id: SessionId }),
    result: v.object({ bytes: AnyBytes, packets: v.number(), lostBytes: v.number(), lostChunks: v.number(), fileName: v.string() }),
  },
} as const;

export const workspaceEvents = {
  /** Files of the workspace changed (the app's saves, another window, an editor, git), or another folder was opened. */
  'workspace.changed': v.object({ kinds: v.array(v.string()), reopened: v.optional(v.boolean()) }),
} as const;
