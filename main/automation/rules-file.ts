// A rule set file read and checked before a listener answers with it: YAML
// and the contract's schema, then compiled (a pattern or reply that does not
// parse in the set's encoding), every problem one line naming file, line,
// column and field.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { RuleSet } from '../../shared/contract/automation.js';
import { EngineError } from '../core/errors.js';
import type { FileProblem } from '../workspace/kinds.js';
import { readYaml } from '../workspace/yaml-file.js';
import { CompiledRules } from './rules.js';

export type RulesLoad = { ok: true; ruleSet: RuleSet; name: string } | { ok: false; problem: FileProblem };

/** The name a rule set goes by: its own, else its file's. */
export const ruleSetName = (ruleSet: RuleSet, file: string): string => ruleSet.name ?? basename(file).replace(/\.ya?ml$/, '');

export function loadRuleSet(file: string, bytes: Uint8Array): RulesLoad {
  const r = readYaml(file, bytes, RuleSet);
  if (!r.ok) return r;
  const name = ruleSetName(r.value, file);
  try {
    new CompiledRules(name, r.value);
  } catch (e) {
    if (!(e instanceof EngineError)) throw e;
    const problem: FileProblem = { file, message: e.message };
    if (e.field) {
      problem.field = e.field;
      const lc = new LineCounter();
      const doc = parseDocument(new TextDecoder().decode(bytes), { lineCounter: lc });
      const path = e.field.split('.').map((k) => (/^\d+$/.test(k) ? Number(k) : k));
      const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
      if (node?.range) {
        const p = lc.linePos(node.range[0]);
        Object.assign(problem, { line: p.line, column: p.col });
      }
    }
    return { ok: false, problem };
  }
  return { ok: true, ruleSet: r.value, name };
}

export function loadRuleSetFile(path: string): RulesLoad {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    return { ok: false, problem: { file: path, message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}` } };
  }
  return loadRuleSet(path, bytes);
}
