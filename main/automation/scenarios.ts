// The workspace's scenarios as the app runs them: listed with their steps
// (and what keeps one from running), started by file with live step events,
// stopped. Each run goes through the workbench's validated calls, so the
// sessions it opens show in the session list like any other.
import { join } from 'node:path';
import type { AnyEvent } from '../../shared/contract/index.js';
import type { ScenarioResult, StepResult } from '../../shared/contract/automation.js';
import { EngineError } from '../core/errors.js';
import { KINDS } from '../workspace/kinds.js';
import type { Workspace } from '../workspace/workspace.js';
import { loadScenario, problemLine } from './scenario-file.js';
import { ScenarioRun, type RunDeps } from './runner.js';

export interface ScenariosDeps extends Omit<RunDeps, 'packet'> {
  emit(event: AnyEvent): void;
  workspace(): Workspace;
}

export class Scenarios {
  private readonly runs = new Map<number, ScenarioRun>();
  private nextId = 1;

  constructor(private readonly deps: ScenariosDeps) {}

  private packets() {
    return this.deps.workspace().list('packets').entries.map((e) => e.value);
  }

  /** The scenarios that read, each with its steps and any problem that keeps it from running; the files that do not read. */
  list() {
    const ws = this.deps.workspace();
    const { entries, problems } = ws.list('scenarios');
    const names = new Set(this.packets().map((p) => p.name));
    const dir = join(ws.dir, KINDS.scenarios.folder);
    const scenarios = entries.map((e) => {
      const file = `${KINDS.scenarios.folder}/${e.file}`;
      const r = loadScenario(file, Buffer.from(e.text, 'utf8'), dir, { hasPacket: (n) => names.has(n) });
      const steps: StepResult[] = r.ok ? new ScenarioRun(this.runDeps(), r.loaded).steps() : [];
      return { file: e.file, rev: e.rev, scenario: e.value, steps, ...(r.ok ? {} : { problem: r.problem }) };
    });
    return { scenarios, problems };
  }

  private runDeps(): RunDeps {
    return { call: this.deps.call, onEvent: this.deps.onEvent, packet: (name) => this.packets().find((p) => p.name === name) };
  }

  /** Starts scenarios/<file>; its steps come as scenario.step events and its end as scenario.done. */
  start(file: string, vars: Record<string, string> = {}, ref?: string): { id: number } {
    const ws = this.deps.workspace();
    const entry = ws.list('scenarios').entries.find((e) => e.file === file);
    const shown = `${KINDS.scenarios.folder}/${file}`;
    if (!entry) throw new EngineError('BAD_REQUEST', `no scenario in ${shown} (it was deleted or renamed, or does not read)`, undefined, 'file');
    const names = new Set(this.packets().map((p) => p.name));
    const r = loadScenario(shown, Buffer.from(entry.text, 'utf8'), join(ws.dir, KINDS.scenarios.folder), { vars, hasPacket: (n) => names.has(n) });
    if (!r.ok) throw new EngineError('BAD_REQUEST', problemLine(r.problem), undefined, 'file');
    const id = this.nextId++;
    const tag = ref === undefined ? {} : { ref };
    const run = new ScenarioRun(this.runDeps(), r.loaded, {
      vars,
      onStep: (step) => this.deps.emit({ name: 'scenario.step', payload: { id, ...tag, step } }),
    });
    this.runs.set(id, run);
    const done = (result: ScenarioResult, stopped?: boolean): void => {
      this.runs.delete(id);
      this.deps.emit({ name: 'scenario.done', payload: { id, ...tag, result, ...(stopped ? { stopped } : {}) } });
    };
    run.run().then(
      (result) => done(result, run.wasStopped),
      (e: unknown) => done({ name: r.loaded.scenario.name, file: shown, status: 'failed', durationMs: 0, steps: run.steps(), sessions: [], failure: { index: '0', summary: `${shown}: ${e instanceof Error ? e.message : String(e)}` } }),
    );
    return { id };
  }

  stop(id: number): void {
    this.runs.get(id)?.stop();
  }

  close(): void {
    for (const run of this.runs.values()) run.stop();
  }
}
