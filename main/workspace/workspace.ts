// The workspace: a folder of YAML files, one kind a subfolder (see kinds.ts).
// list / read / save / remove by kind, every file validated (a broken one is
// a problem naming file, line and field, and the others still load), saves
// atomic and checked against the content hash the caller read (a file
// changed on disk since is a conflict, never overwritten), outside edits
// noticed by fs.watch on each folder, debounced, and compared by stat so
// only real changes are announced.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import * as v from 'valibot';
import { WORKSPACE_FORMAT } from '../../shared/contract/workspace.js';
import { EngineError } from '../core/errors.js';
import { removeFileDurably, sweepTemporaries, writeFileAtomic } from './atomic.js';
import { fileNameFor, KINDS, type FileProblem, type KindName, type ValueOf } from './kinds.js';
import { prepareDir, type WorkspaceSource } from './paths.js';
import { readYaml, writeYaml } from './yaml-file.js';

export const MANIFEST = 'workspace.yaml';
const MANIFEST_TEXT = `# A Sockbench workspace: plain files to keep in git next to your code.
# packets/   one saved packet a file (see docs/WORKSPACE.md)
# scenarios/ send-and-expect tests: sockbench run scenarios/
# rules/     auto-reply rules: sockbench listen tcp 127.0.0.1:9000 --rules rules/x.yaml
format: ${WORKSPACE_FORMAT}
`;
const Manifest = v.looseObject({
  format: v.pipe(v.number('format must be a number'), v.integer('format must be a whole number'), v.minValue(1, 'format must be 1 or more')),
});

export const revOf = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex').slice(0, 16);
const isYaml = (name: string): boolean => /\.ya?ml$/.test(name) && !name.startsWith('.');

export interface Entry<T> {
  file: string;
  rev: string;
  value: T;
  /** The file's text as read. */
  text: string;
}

export type SaveResult<T> =
  | { ok: true; file: string; rev: string }
  | { ok: false; conflict: { file: string; diskText: string | null; diskRev: string | null; diskPacket?: T } };

export interface WorkspaceOptions {
  source?: WorkspaceSource;
  defaultDir?: string;
  /** Create missing parent folders (the per-user defaults); a folder a person chose must have its parent. */
  createParents?: boolean;
  /** Called with the kinds whose files changed (debounced). */
  onChange?: (kinds: string[]) => void;
  /** Quiet time before a burst of file events is announced, ms (default 150). */
  debounceMs?: number;
}

export class Workspace {
  readonly dir: string;
  readonly source: WorkspaceSource;
  readonly defaultDir: string;
  /** Why writes are refused (a workspace of a newer format), or undefined. */
  readonly readOnly: string | undefined;
  private readonly manifestProblem: FileProblem | undefined;
  private readonly watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stamps = new Map<string, string>();

  constructor(dir: string, private readonly opts: WorkspaceOptions = {}) {
    this.dir = prepareDir(dir, opts.createParents ?? false);
    this.source = opts.source ?? 'chosen';
    this.defaultDir = opts.defaultDir ?? this.dir;
    const manifest = join(this.dir, MANIFEST);
    if (!existsSync(manifest)) writeFileAtomic(manifest, MANIFEST_TEXT);
    const m = readYaml(MANIFEST, readFileSync(manifest), Manifest);
    if (!m.ok) this.manifestProblem = m.problem;
    else if (m.value.format > WORKSPACE_FORMAT) {
      this.readOnly = `${MANIFEST}: format ${m.value.format} is newer than this Sockbench reads (${WORKSPACE_FORMAT}); the folder is left untouched: update Sockbench to use it`;
      this.manifestProblem = { file: MANIFEST, field: 'format', message: this.readOnly, ...lineOfKey(readFileSync(manifest, 'utf8'), 'format') };
    }
    if (!this.readOnly) {
      for (const kind of Object.values(KINDS)) {
        mkdirSync(join(this.dir, kind.folder), { recursive: true });
        sweepTemporaries(join(this.dir, kind.folder));
      }
    }
    if (opts.onChange) this.watch();
  }

  info() {
    return {
      dir: this.dir,
      source: this.source,
      defaultDir: this.defaultDir,
      format: WORKSPACE_FORMAT,
      ...(this.readOnly ? { readOnly: this.readOnly } : {}),
    };
  }

  private folder(kind: KindName): string {
    return join(this.dir, KINDS[kind].folder);
  }

  /** Every file of a kind: those that read, and a problem for each that does not. */
  list<K extends KindName>(kind: K): { entries: Entry<ValueOf<K>>[]; problems: FileProblem[] } {
    const problems: FileProblem[] = this.manifestProblem ? [this.manifestProblem] : [];
    const entries: Entry<ValueOf<K>>[] = [];
    if (this.readOnly) return { entries, problems };
    let names: string[] = [];
    try {
      names = readdirSync(this.folder(kind)).filter(isYaml).sort();
    } catch {
      // No folder: nothing saved yet.
    }
    const seen = new Map<string, string>();
    for (const file of names) {
      const rel = `${KINDS[kind].folder}/${file}`;
      let bytes: Buffer;
      try {
        bytes = readFileSync(join(this.folder(kind), file));
      } catch (e) {
        problems.push({ file: rel, message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}` });
        continue;
      }
      const r = readYaml(rel, bytes, KINDS[kind].schema);
      if (!r.ok) {
        problems.push(r.problem);
        continue;
      }
      const value = r.value as ValueOf<K>;
      const name = KINDS[kind].nameOf(value as never);
      const first = name ? seen.get(name) : undefined;
      if (first !== undefined) {
        problems.push({ file: rel, field: 'name', message: `name: "${name}" is also the name of ${first}; names must be unique (rename one)`, ...lineOfKey(bytes.toString('utf8'), 'name') });
        continue;
      }
      seen.set(name, rel);
      entries.push({ file, rev: revOf(bytes), value, text: bytes.toString('utf8') });
    }
    return { entries, problems };
  }

  /** One file's text and rev (null when it does not exist). */
  private disk(kind: KindName, file: string): { bytes: Buffer; rev: string } | null {
    try {
      const bytes = readFileSync(join(this.folder(kind), file));
      return { bytes, rev: revOf(bytes) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  private conflict<K extends KindName>(kind: K, file: string, disk: { bytes: Buffer; rev: string } | null): SaveResult<ValueOf<K>> {
    const text = disk ? disk.bytes.toString('utf8') : null;
    const conflict: Extract<SaveResult<ValueOf<K>>, { ok: false }>['conflict'] = { file, diskText: text, diskRev: disk?.rev ?? null };
    if (disk) {
      const r = readYaml(file, disk.bytes, KINDS[kind].schema);
      if (r.ok) conflict.diskPacket = r.value as ValueOf<K>;
    }
    return { ok: false, conflict };
  }

  private writable(): void {
    if (this.readOnly) throw new EngineError('BAD_REQUEST', this.readOnly);
  }

  /** A file name for `name` that no file has yet. */
  private freeName(kind: KindName, name: string): string {
    const base = fileNameFor(name).replace(/\.yaml$/, '');
    for (let n = 1; ; n++) {
      const file = n === 1 ? `${base}.yaml` : `${base}-${n}.yaml`;
      if (!existsSync(join(this.folder(kind), file))) return file;
    }
  }

  /**
   * Saves a value. `file` + `rev`: only if the file is still that rev (a
   * changed name moves it to a file named after the new name). `rev: null`:
   * the file must not exist. No file: a new file named after the value. A
   * name another file already has is refused (field `packet.name`).
   */
  save<K extends KindName>(kind: K, value: ValueOf<K>, at: { file?: string; rev?: string | null } = {}): SaveResult<ValueOf<K>> {
    this.writable();
    const def = KINDS[kind];
    const name = def.nameOf(value as never);
    const clash = name ? this.list(kind).entries.find((e) => def.nameOf(e.value as never) === name && e.file !== at.file) : undefined;
    if (clash) throw new EngineError('BAD_REQUEST', `a ${kind === 'rules' ? 'rule set' : kind.replace(/s$/, '')} named "${name}" already exists (${def.folder}/${clash.file})`, undefined, `${def.param}.name`);
    if (at.file === undefined) {
      const file = this.freeName(kind, name);
      return this.writeChecked(kind, file, null, null, value);
    }
    const disk = this.disk(kind, at.file);
    if ((disk?.rev ?? null) !== (at.rev ?? null)) return this.conflict(kind, at.file, disk);
    let target = at.file;
    if (disk) {
      const old = readYaml(at.file, disk.bytes, def.schema);
      const renamed = old.ok && def.nameOf(old.value as never) !== name;
      if (renamed && fileNameFor(name) !== at.file) target = this.freeName(kind, name);
    }
    const r = this.writeChecked(kind, target, target === at.file ? disk : null, disk, value);
    if (r.ok && target !== at.file) removeFileDurably(join(this.folder(kind), at.file));
    return r;
  }

  private writeChecked<K extends KindName>(kind: K, file: string, expect: { rev: string } | null, base: { bytes: Buffer } | null, value: ValueOf<K>): SaveResult<ValueOf<K>> {
    const def = KINDS[kind];
    const path = join(this.folder(kind), file);
    // Checked again just before writing: the window for a lost update is this function.
    const now = this.disk(kind, file);
    if ((now?.rev ?? null) !== (expect?.rev ?? null)) return this.conflict(kind, file, now);
    const text = writeYaml(value as Record<string, unknown>, base ? base.bytes.toString('utf8') : null, def.order, def.header);
    writeFileAtomic(path, text);
    return { ok: true, file, rev: revOf(Buffer.from(text, 'utf8')) };
  }

  /** Deletes a file if it is still `rev`. */
  remove<K extends KindName>(kind: K, file: string, rev: string): SaveResult<ValueOf<K>> {
    this.writable();
    const disk = this.disk(kind, file);
    if (!disk || disk.rev !== rev) return this.conflict(kind, file, disk);
    removeFileDurably(join(this.folder(kind), file));
    return { ok: true, file, rev };
  }

  // ---- outside edits ----

  private stamp(): Map<string, string> {
    const out = new Map<string, string>();
    const add = (key: string, path: string): void => {
      try {
        const st = statSync(path);
        out.set(key, `${st.ino}:${st.size}:${st.mtimeMs}`);
      } catch {
        // Gone.
      }
    };
    add(MANIFEST, join(this.dir, MANIFEST));
    for (const [kind, def] of Object.entries(KINDS)) {
      let names: string[] = [];
      try {
        names = readdirSync(join(this.dir, def.folder)).filter(isYaml);
      } catch {
        // No folder.
      }
      for (const n of names) add(`${kind}/${n}`, join(this.dir, def.folder, n));
    }
    return out;
  }

  private watch(): void {
    this.stamps = this.stamp();
    const arm = (path: string): void => {
      try {
        const w = watch(path, { persistent: false }, () => this.poke());
        w.on('error', () => undefined);
        this.watchers.push(w);
      } catch {
        // A folder that cannot be watched: changes show on the next list.
      }
    };
    arm(this.dir);
    for (const def of Object.values(KINDS)) arm(join(this.dir, def.folder));
  }

  private poke(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const next = this.stamp();
      const changed = new Set<string>();
      for (const key of new Set([...next.keys(), ...this.stamps.keys()])) {
        if (next.get(key) !== this.stamps.get(key)) changed.add(key === MANIFEST ? 'workspace' : key.split('/')[0]!);
      }
      this.stamps = next;
      // A folder replaced as a whole (git checkout) needs its watcher again.
      if (changed.size > 0) {
        for (const w of this.watchers.splice(0)) w.close();
        this.watch();
        this.stamps = next;
        this.opts.onChange?.([...changed]);
      }
    }, this.opts.debounceMs ?? 150);
    this.timer.unref?.();
  }

  close(): void {
    clearTimeout(this.timer);
    for (const w of this.watchers.splice(0)) w.close();
  }
}

/** The 1-based line of a top-level key in YAML text, for problems found after parsing. */
function lineOfKey(text: string, key: string): { line?: number } {
  const i = text.split('\n').findIndex((l) => new RegExp(`^${key}\\s*:`).test(l));
  return i >= 0 ? { line: i + 1 } : {};
}
