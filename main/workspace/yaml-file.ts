// One workspace file as YAML: read (UTF-8 checked, parsed, validated against
// its kind's schema, every problem named by file, line and field) and
// rewritten so a person's comments and key order survive: the new value is
// applied to the document as it was on disk, key by key, not printed afresh.
import * as v from 'valibot';
import { Document, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { FileProblem } from './kinds.js';

export type ReadResult<T> = { ok: true; value: T } | { ok: false; problem: FileProblem };

/** The position (1-based line and column) of byte offset `at` in `bytes`. */
function lineOf(bytes: Uint8Array, at: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < at; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: at - start + 1 };
}

/** The first byte that is not UTF-8, or -1. */
function badUtf8At(bytes: Uint8Array): number {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return -1;
  } catch {
    // Find it: decode growing prefixes at character boundaries (rare path).
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (b < 0x80) continue;
      const len = b >= 0xf0 && b <= 0xf4 ? 4 : b >= 0xe0 ? 3 : b >= 0xc2 && b < 0xe0 ? 2 : 0;
      if (len === 0 || i + len > bytes.length) return i;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(i, i + len));
      } catch {
        return i;
      }
      i += len - 1;
    }
    return 0;
  }
}

const fieldName = (path: readonly (string | number)[]): string =>
  path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${k}` : k), '');

/** Reads one file's bytes as a value of `schema`, or the one problem that stops it (the first). */
export function readYaml<S extends v.GenericSchema>(file: string, bytes: Uint8Array, schema: S): ReadResult<v.InferOutput<S>> {
  const bad = badUtf8At(bytes);
  if (bad >= 0) {
    const at = lineOf(bytes, bad);
    return { ok: false, problem: { file, ...at, message: `not UTF-8 text: byte 0x${bytes[bad]!.toString(16).padStart(2, '0')} at line ${at.line}, column ${at.column} (save the file as UTF-8)` } };
  }
  const text = new TextDecoder().decode(bytes);
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const pos = lc.linePos(err.pos[0]);
    return { ok: false, problem: { file, line: pos.line, column: pos.col, message: `not valid YAML: ${err.message.split('\n')[0]}` } };
  }
  const r = v.safeParse(schema, doc.toJS({ maxAliasCount: 100 }));
  if (r.success) return { ok: true, value: r.output };
  const issue = r.issues[0];
  const path = (issue.path ?? []).map((p) => p.key as string | number);
  // The line of the value at fault, else of its key, else of the nearest parent that exists.
  let line: number | undefined;
  let column: number | undefined;
  // An unknown key (or step) is shown where the key is written, not its value.
  const key = path.at(-1);
  if (typeof key === 'string' && /^unknown /.test(issue.message)) {
    const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
    const pair = isMap(parent) ? parent.items.find((p) => isScalar(p.key) && p.key.value === key) : undefined;
    const range = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
    if (range) ({ line, col: column } = lc.linePos(range[0]));
  }
  for (let n = path.length; n >= 0 && line === undefined; n--) {
    const node = n === 0 ? doc.contents : (doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined);
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range) ({ line, col: column } = lc.linePos(range[0]));
  }
  const field = fieldName(path);
  const problem: FileProblem = { file, message: field && !issue.message.startsWith(field) ? `${field}: ${issue.message}` : issue.message };
  if (line !== undefined) Object.assign(problem, { line, column });
  if (field) problem.field = field;
  return { ok: false, problem };
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * The text of `value` as YAML. Given the file's old text, the result is that
 * document with each changed key replaced in place, removed keys dropped and
 * new keys added (in `order`), so comments and the person's key order stay.
 */
export function writeYaml(value: Record<string, unknown>, oldText: string | null, order: readonly string[], header?: string): string {
  let doc: Document | null = null;
  if (oldText !== null) {
    const d = parseDocument(oldText);
    if (d.errors.length === 0 && isMap(d.contents)) doc = d;
  }
  if (!doc) {
    const ordered: Record<string, unknown> = {};
    for (const k of order) if (value[k] !== undefined) ordered[k] = value[k];
    for (const [k, x] of Object.entries(value)) if (x !== undefined && !(k in ordered)) ordered[k] = x;
    const fresh = new Document(ordered);
    if (header) fresh.commentBefore = header;
    return fresh.toString({ lineWidth: 0 });
  }
  const old = doc.toJS() as Record<string, unknown>;
  for (const key of Object.keys(old)) if (value[key] === undefined) doc.delete(key);
  for (const key of [...order, ...Object.keys(value)]) {
    const x = value[key];
    if (x === undefined || same(old[key], x)) continue;
    setKeeping(doc, [key], old[key], x);
  }
  return doc.toString({ lineWidth: 0 });
}

/** Sets path to `next`; a mapping that was a mapping is updated key by key (comments inside it stay). */
function setKeeping(doc: Document, path: string[], prev: unknown, next: unknown): void {
  const node = doc.getIn(path, true);
  if (isMap(node) && isPlainObject(prev) && isPlainObject(next)) {
    for (const k of Object.keys(prev)) if (next[k] === undefined) doc.deleteIn([...path, k]);
    for (const [k, x] of Object.entries(next)) if (x !== undefined && !same(prev[k], x)) setKeeping(doc, [...path, k], prev[k], x);
    return;
  }
  if (isScalar(node) && !isSeq(next) && (typeof next !== 'object' || next === null)) {
    // Keep the scalar node (its comment) and only change its value.
    node.value = next;
    return;
  }
  doc.setIn(path, doc.createNode(next));
}

const isPlainObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
