// Saving YAML typed in an editor as a workspace file (a scenario, a rule
// set): the text must read as YAML and pass the contract's schema, each
// problem placed at its line and column; then the save call, whose refusal
// (a field, a conflict with the file on disk) is shown on the editor too.
import { ref } from 'vue';
import * as v from 'valibot';
import { CallError } from '../../../shared/contract/index.js';
import { parseYamlText, problemAt, type TextProblem } from './yaml-text.js';

export type Saved = { ok: true; file: string; rev: string } | { ok: false; conflict: { file: string; diskText: string | null; diskRev: string | null } };

export function useYamlSave<S extends v.GenericSchema>(schema: S) {
  const problem = ref<TextProblem | null>(null);
  const pending = ref(false);

  /** The text as a value of the schema, or null with `problem` set. */
  function read(text: string): v.InferOutput<S> | null {
    problem.value = null;
    const parsed = parseYamlText(text);
    if (!parsed.ok) {
      problem.value = parsed.problem;
      return null;
    }
    const r = v.safeParse(schema, parsed.value);
    if (r.success) return r.output;
    const issue = r.issues[0];
    const path = (issue.path ?? []).map((p) => p.key as string | number);
    problem.value = problemAt(parsed, issue.message, path);
    return null;
  }

  /** Checks the text, then saves through `call`; the result, or null with `problem` set. */
  async function save(text: string, call: (value: v.InferOutput<S>) => Promise<Saved>): Promise<Saved | null> {
    const value = read(text);
    if (value === null) return null;
    pending.value = true;
    try {
      return await call(value);
    } catch (e) {
      problem.value = { message: e instanceof CallError || e instanceof Error ? e.message : String(e) };
      return null;
    } finally {
      pending.value = false;
    }
  }

  return { problem, pending, read, save };
}

/** Ctrl+S (⌘S on a Mac) in an editor: its own save, not the browser's "save page". */
export function saveOnCtrlS(save: () => Promise<unknown>): (ev: KeyboardEvent) => void {
  return (ev) => {
    if ((ev.ctrlKey || ev.metaKey) && ev.key === 's') {
      ev.preventDefault();
      void save();
    }
  };
}
