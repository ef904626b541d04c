// The workspace's scenarios as the page sees them: the list (and the files
// that do not read), kept current by workspace.changed; the one run this
// window started, step by step (scenario.step / scenario.done, matched by the
// run's ref); and the draft being edited (from Record, or a file opened).
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { AnyEvent, Result } from '../../../shared/contract/index.js';
import type { StepResult, ScenarioResult } from '../../../shared/contract/automation.js';
import { client } from '../bridge/client.js';
import { isOurs, newRunRef } from '../lib/run-ref.js';

export type ScenarioEntry = Result<'scenarios.list'>['scenarios'][number];
export type FileProblem = Result<'scenarios.list'>['problems'][number];

export interface ScenarioRun {
  file: string;
  ref: string;
  id: number | null;
  steps: StepResult[];
  result: ScenarioResult | null;
  stopped: boolean;
  error: string | null;
}

/** A scenario being edited as YAML text: where it will be saved (a file name) and the rev it was read at. */
export interface Draft {
  text: string;
  file: string;
  rev: string | null;
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export const useScenarios = defineStore('scenarios', () => {
  const entries = shallowRef<ScenarioEntry[]>([]);
  const problems = shallowRef<FileProblem[]>([]);
  const loaded = ref(false);
  const error = ref<string | null>(null);
  const selected = ref<string | null>(null);
  const run = ref<ScenarioRun | null>(null);
  const draft = ref<Draft | null>(null);
  let off: (() => void) | null = null;

  function handle(events: readonly AnyEvent[]): void {
    let changed = false;
    for (const ev of events) {
      if (ev.name === 'workspace.changed') changed = true;
      else if (ev.name === 'scenario.step' && run.value && isOurs(ev.payload, run.value.ref)) put(ev.payload.step);
      else if (ev.name === 'scenario.done' && run.value && isOurs(ev.payload, run.value.ref)) {
        run.value.result = ev.payload.result;
        run.value.stopped = ev.payload.stopped === true;
        for (const s of ev.payload.result.steps) put(s);
      }
    }
    if (changed) void load();
  }

  /** A step's news replaces the row of the same index (a repeat's later iterations reuse their rows). */
  function put(step: StepResult): void {
    const r = run.value!;
    const i = r.steps.findIndex((s) => s.index === step.index);
    if (i >= 0) r.steps.splice(i, 1, step);
    else r.steps.push(step);
  }

  function start(): void {
    if (off) return;
    off = client().onBatch(handle);
    void load();
  }

  async function load(): Promise<void> {
    try {
      const r = await client().call('scenarios.list', {});
      entries.value = r.scenarios;
      problems.value = r.problems;
      error.value = null;
    } catch (e) {
      error.value = errorText(e);
    } finally {
      loaded.value = true;
    }
  }

  async function runFile(file: string): Promise<void> {
    const entry = entries.value.find((e) => e.file === file);
    const ref = newRunRef('scenario');
    run.value = { file, ref, id: null, steps: entry ? entry.steps.map((s) => ({ ...s })) : [], result: null, stopped: false, error: null };
    try {
      const r = await client().call('scenarios.run', { file: file.replace(/^scenarios\//, ''), ref });
      if (run.value?.ref === ref) run.value.id = r.id;
    } catch (e) {
      if (run.value?.ref === ref) run.value.error = errorText(e);
    }
  }

  async function stop(): Promise<void> {
    const id = run.value?.id;
    if (id == null || run.value?.result) return;
    try {
      await client().call('scenarios.stop', { id });
    } catch (e) {
      run.value!.error = errorText(e);
    }
  }

  return { entries, problems, loaded, error, selected, run, draft, start, load, runFile, stop };
});
