// YAML typed in an editor: a syntax error and a schema issue are both placed
// at the line and column a person would look at.
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { Scenario } from '../../../shared/contract/automation.js';
import { parseYamlText, problemAt } from './yaml-text.js';

describe('YAML typed in an editor', () => {
  it('names the line and column of a syntax error', () => {
    const r = parseYamlText('name: x\nsteps:\n  - send: hi\nname: y\n');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problem.message).toMatch(/^not valid YAML: /);
    expect(r.problem).toMatchObject({ line: 4, column: 1 });
  });

  it('places a schema issue (an unknown step) at the step it names', () => {
    const r = parseYamlText('name: x\nsteps:\n  - connect: tcp 127.0.0.1:9\n  - sned: hi\n');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const checked = v.safeParse(Scenario, r.value);
    expect(checked.success).toBe(false);
    if (checked.success) return;
    const issue = checked.issues[0];
    const p = problemAt(r, issue.message, (issue.path ?? []).map((x) => x.key as string | number));
    expect(p).toEqual({ message: expect.stringMatching(/unknown step "sned"/), line: 4, column: 5 });
  });
});
