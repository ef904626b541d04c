// A scenario file read and checked before anything runs: YAML and the
// contract's schema (a problem names file, line, column and field), then
// what a schema cannot see: a ${variable} no step, vars: or --var sets, a
// connection named with on: that nothing opened, a saved packet that does
// not exist, TLS where this build has none. Every problem is one line.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { Scenario, splitEndpoint, stepKind, type AnyStep } from '../../shared/contract/automation.js';
import type { FileProblem } from '../workspace/kinds.js';
import { readYaml } from '../workspace/yaml-file.js';

export type Path = (string | number)[];
export interface Position {
  line?: number;
  column?: number;
}

export interface LoadedScenario {
  /** The file as messages name it. */
  file: string;
  /** Where @file data is looked up. */
  dir: string;
  scenario: Scenario;
  /** The line and column of a path in the file (its nearest part that has one). */
  at(path: Path): Position;
}

export type LoadResult = { ok: true; loaded: LoadedScenario } | { ok: false; problem: FileProblem };

export interface CheckOptions {
  /** Variables given on the command line (--var), besides the file's vars. */
  vars?: Record<string, string>;
  /** Whether a saved packet of this name exists (send: { packet }); unchecked when absent. */
  hasPacket?: (name: string) => boolean;
}

/** Reads and checks a scenario's bytes; `file` names it in problems, `dir` is where @file data lives. */
export function loadScenario(file: string, bytes: Uint8Array, dir: string, opts: CheckOptions = {}): LoadResult {
  const r = readYaml(file, bytes, Scenario);
  if (!r.ok) return r;
  const lc = new LineCounter();
  const doc = parseDocument(new TextDecoder().decode(bytes), { lineCounter: lc });
  const at = (path: Path): Position => {
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
      const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
      if (range) {
        const p = lc.linePos(range[0]);
        return { line: p.line, column: p.col };
      }
    }
    return {};
  };
  const loaded: LoadedScenario = { file, dir, scenario: r.value, at };
  const problem = checkScenario(loaded, opts);
  return problem ? { ok: false, problem } : { ok: true, loaded };
}

/** Reads and checks a scenario file at `path` (named as given in problems). */
export function loadScenarioFile(path: string, opts: CheckOptions = {}): LoadResult {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    return { ok: false, problem: { file: path, message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}` } };
  }
  return loadScenario(path, bytes, dirname(resolve(path)), opts);
}

const VAR = /\$\{([^}]*)\}/g;
const VAR_NAME = /^[A-Za-z_][\w.-]{0,63}$/;
/** Keys whose values are names, not text with variables. */
const NAME_KEYS = new Set(['as', 'on', 'capture', 'name', 'expect-error']);

/** The variables ${…} a text refers to. */
export function varsIn(text: string): string[] {
  return [...text.matchAll(VAR)].map((m) => m[1]!);
}

/** The first problem a schema cannot see, or null. */
export function checkScenario(loaded: LoadedScenario, opts: CheckOptions = {}): FileProblem | null {
  const { scenario } = loaded;
  const defined = new Set<string>(['elapsed', ...Object.keys(scenario.vars ?? {}), ...Object.keys(opts.vars ?? {})]);
  const conns = new Set<string>();
  let problem: FileProblem | null = null;
  const fail = (path: Path, message: string): void => {
    const field = path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${k}` : k), '');
    problem ??= { file: loaded.file, ...loaded.at(path), field, message: `${field}: ${message}` };
  };
  /** Checks every ${name} in the text leaves under `value`. */
  const uses = (value: unknown, path: Path): void => {
    if (typeof value === 'string') {
      for (const name of varsIn(value)) {
        if (!VAR_NAME.test(name)) fail(path, `\${${name}} is not a variable name (a letter or _ then letters, digits, _ . -)`);
        else if (!defined.has(name)) fail(path, `variable \${${name}} is never set before this step (set it in vars:, with --var ${name}=…, by an expect's capture, or with a set step)`);
      }
    } else if (Array.isArray(value)) value.forEach((x, i) => uses(x, [...path, i]));
    else if (value && typeof value === 'object') for (const [k, x] of Object.entries(value)) if (!NAME_KEYS.has(k)) uses(x, [...path, k]);
  };
  const walk = (steps: unknown[], base: Path): void => {
    steps.forEach((raw, i) => {
      const path = [...base, i];
      const s: AnyStep = stepKind(raw);
      const step = s.step as Record<string, unknown>;
      if (s.kind === 'repeat') return walk(s.step.repeat.steps, [...path, 'repeat', 'steps']);
      if (s.kind === 'set') {
        for (const [k, x] of Object.entries(s.step.set)) uses(x, [...path, 'set', k]);
        for (const k of Object.keys(s.step.set)) defined.add(k);
        return;
      }
      uses(step, path);
      if (typeof step.on === 'string' && !conns.has(step.on)) fail([...path, 'on'], `no connection is named "${step.on}" before this step (name one with as: on connect, listen or accept)`);
      if (s.kind === 'close' && typeof s.step.close === 'string' && !conns.has(s.step.close)) fail([...path, 'close'], `no connection is named "${s.step.close}" before this step`);
      if (s.kind === 'connect' && s.step.tls !== undefined && splitEndpoint(s.step.connect)?.protocol !== 'tls') fail([...path, 'tls'], 'tls options go with connect: tls HOST:PORT');
      if (s.kind === 'send' && typeof s.step.send === 'object' && opts.hasPacket && !opts.hasPacket(s.step.send.packet)) {
        fail([...path, 'send', 'packet'], `no saved packet is named "${s.step.send.packet}" (sockbench packets list shows them)`);
      }
      if ((s.kind === 'connect' || s.kind === 'listen' || s.kind === 'accept') && s.step.as) conns.add(s.step.as);
      if (s.kind === 'expect') {
        for (const name of s.step.expect.capture ?? []) defined.add(name);
        defined.add('from');
      }
    });
  };
  walk(scenario.steps, ['steps']);
  return problem;
}

/** "file:line:column: message", the one line a problem is shown as. */
export function problemLine(p: FileProblem): string {
  const where = p.line !== undefined ? `:${p.line}${p.column !== undefined ? `:${p.column}` : ''}` : '';
  return `${p.file}${where}: ${p.message}`;
}
