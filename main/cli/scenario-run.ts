// `sockbench run FILE…`: scenarios from the command line, for CI. Every file
// is read and checked first (a problem is one line naming file, line and
// what is wrong, and the exit status is 2 before anything runs); then they
// run one after another over the same engine and runner as the app.
// Exit status: 0 every scenario passed, 1 one failed, 2 invalid input.
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScenarioResult } from '../../shared/contract/automation.js';
import type { SavedPacket } from '../../shared/contract/workspace.js';
import { loadScenarioFile, problemLine, type LoadedScenario } from '../automation/scenario-file.js';
import { ScenarioRun } from '../automation/runner.js';
import type { RunCommand } from './args.js';
import { failureText, junitXml, summaryLine, tapReport, textReport } from './run-report.js';
import { Exit, setup } from './run.js';

/** The files given, with a folder standing for its *.yaml files (sorted); a path that is neither is a problem. */
function expand(paths: readonly string[]): { files: string[]; problems: string[] } {
  const files: string[] = [];
  const problems: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      problems.push(`${p}: cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      continue;
    }
    if (!st.isDirectory()) {
      files.push(p);
      continue;
    }
    const inside = readdirSync(p).filter((n) => /\.ya?ml$/.test(n) && !n.startsWith('.')).sort();
    if (inside.length === 0) problems.push(`${p}: no scenario files (*.yaml) in this folder`);
    files.push(...inside.map((n) => join(p, n)));
  }
  return { files, problems };
}

export async function runScenarios(cmd: RunCommand, workspace: string | undefined): Promise<Exit> {
  const started = new Date();
  const t0 = performance.now();
  const { files, problems } = expand(cmd.files);
  const { engine: wb, call } = setup(false, workspace);
  try {
    // The workspace is opened only if a scenario sends a saved packet.
    let packets: Map<string, SavedPacket> | undefined;
    const packetsByName = () => (packets ??= new Map(wb.workspace.list('packets').entries.map((e) => [e.value.name, e.value])));
    const loaded: LoadedScenario[] = [];
    for (const file of files) {
      const r = loadScenarioFile(file, { vars: cmd.vars, hasPacket: (n) => packetsByName().has(n) });
      if (r.ok) loaded.push(r.loaded);
      else problems.push(problemLine(r.problem));
    }
    if (problems.length) {
      for (const p of problems.slice(0, -1)) process.stderr.write(`sockbench: ${p}\n`);
      return new Exit(2, problems.at(-1));
    }

    const results: ScenarioResult[] = [];
    const emit = (obj: Record<string, unknown>): void => {
      process.stdout.write(`${JSON.stringify(obj, (_k, x: unknown) => (x instanceof Uint8Array ? Buffer.from(x).toString('hex') : x))}\n`);
    };
    for (const l of loaded) {
      const run = new ScenarioRun({ call, onEvent: (fn) => wb.onEvent(fn), packet: (n) => packetsByName().get(n) }, l, {
        vars: cmd.vars,
        ...(cmd.json ? { onStep: (step) => emit({ event: 'step', scenario: l.scenario.name, file: l.file, step }) } : {}),
      });
      const result = await run.run();
      results.push(result);
      if (cmd.json) emit({ event: 'scenario', result, ...(result.status === 'failed' ? { failure: failureText(result) } : {}) });
      else if (!cmd.tap) process.stdout.write(textReport(result));
    }
    const ms = performance.now() - t0;
    const failed = results.filter((r) => r.status === 'failed').length;
    if (cmd.tap) process.stdout.write(tapReport(results));
    if (cmd.json) emit({ event: 'summary', scenarios: results.length, passed: results.length - failed, failed, durationMs: Math.round(ms) });
    else if (!cmd.tap) process.stdout.write(`${summaryLine(results, ms)}\n`);
    if (cmd.junit !== undefined) {
      try {
        writeFileSync(cmd.junit, junitXml(results, ms, started));
      } catch (e) {
        return new Exit(2, `cannot write ${cmd.junit}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      }
    }
    return new Exit(failed ? 1 : 0);
  } finally {
    await wb.close();
  }
}
