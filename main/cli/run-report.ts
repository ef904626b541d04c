// How `sockbench run` reports: lines a person reads (a failure shows what was
// expected and what arrived, as text and hex, with the first difference
// marked), TAP version 14 with a YAML diagnostic on failures, and JUnit XML
// for CI systems (one testsuite per run, one testcase per scenario).
import { stringify } from 'yaml';
import type { ScenarioResult, StepResult } from '../../shared/contract/automation.js';

type Shown = NonNullable<NonNullable<StepResult['failure']>['received']>;

const seconds = (ms: number): string => (ms / 1000).toFixed(3);

/** The failing step of a result. */
const failedStep = (r: ScenarioResult): StepResult | undefined => r.steps.find((s) => s.index === r.failure?.index);

/** A long line cut to `width` around `mark` (a hex line at byte boundaries), with … where it was cut. */
function clip(line: string, mark: number | undefined, width: number, unit = 1): { line: string; mark?: number } {
  if (line.length <= width) return { line, ...(mark !== undefined ? { mark } : {}) };
  let from = Math.max(0, (mark ?? 0) - Math.floor(width / 3));
  from -= from % unit;
  const cut = line.slice(from, from + width);
  const head = from > 0 ? '…' : '';
  return { line: `${head}${cut}${from + width < line.length ? '…' : ''}`, ...(mark !== undefined ? { mark: mark - from + head.length } : {}) };
}

/** "expected" / "received" lines with a caret under the first difference (text and hex); `width` clips long ones. */
export function comparison(step: StepResult, indent = '    ', width = Infinity): string[] {
  const f = step.failure;
  if (!f) return [];
  const lines: string[] = [];
  const put = (label: string, full: Shown | undefined): void => {
    if (!full) return;
    const t = clip(full.text, full.mark?.text, width);
    const h = clip(full.hex, full.mark?.hex, width, 3);
    const s = { ...full, text: t.line, hex: h.line, ...(t.mark !== undefined && h.mark !== undefined ? { mark: { text: t.mark, hex: h.mark } } : {}) };
    const shownBytes = full.hex ? full.hex.split(' ').length : 0;
    const range = s.total !== undefined ? `  (bytes ${s.offset ?? 0} to ${(s.offset ?? 0) + shownBytes} of ${s.total})` : '';
    const head = `${indent}${label.padEnd(9)}`;
    // Bytes are quoted (escaped text); what was expected may be a matcher or an errno instead.
    const bytes = s.hex !== '' || label === 'received';
    lines.push(`${head}${bytes ? `"${s.text}"` : s.text}${range}${bytes && !s.hex ? '  (nothing)' : ''}`);
    if (s.mark) lines.push(`${' '.repeat(head.length + 1 + s.mark.text)}^`);
    if (s.hex) {
      const hexHead = `${indent}${'hex'.padEnd(9)}`;
      lines.push(`${hexHead}${s.hex}`);
      if (s.mark) lines.push(`${' '.repeat(hexHead.length + s.mark.hex)}^^ first difference${f.diffAt !== undefined ? ` (byte ${f.diffAt})` : ''}`);
    }
  };
  put('expected', f.expected);
  put('received', f.received);
  return lines;
}

/** What a person reads for one scenario: a line, and for a failure where and why. */
export function textReport(r: ScenarioResult): string {
  const steps = `${r.steps.length} step${r.steps.length === 1 ? '' : 's'}`;
  if (r.status === 'passed') return `✓ ${r.name}  (${r.file}, ${steps}, ${Math.round(r.durationMs)} ms)\n`;
  const step = failedStep(r);
  const out = [`✗ ${r.name}  (${r.file}, ${Math.round(r.durationMs)} ms)`, `  ${r.failure?.summary ?? 'failed'}`];
  if (step) out.push(...comparison(step, '    ', 96));
  return `${out.join('\n')}\n`;
}

export function summaryLine(results: readonly ScenarioResult[], ms: number): string {
  const failed = results.filter((r) => r.status === 'failed').length;
  return `${results.length} scenario${results.length === 1 ? '' : 's'}: ${results.length - failed} passed, ${failed} failed (${seconds(ms)} s)`;
}

/** The text of a failure as CI systems show it: the one line, then expected and received. */
export function failureText(r: ScenarioResult): string {
  const step = failedStep(r);
  return [r.failure?.summary ?? 'failed', ...(step ? comparison(step, '') : [])].join('\n');
}

// ---- TAP version 14 ----

const tapDescription = (s: string): string => s.replace(/\\/g, '\\\\').replace(/#/g, '\\#').replace(/[\r\n]+/g, ' ');

/** TAP 14: the version, the plan, one test point per scenario; a failure carries a YAML block (indented two spaces). */
export function tapReport(results: readonly ScenarioResult[]): string {
  const lines = ['TAP version 14', `1..${results.length}`];
  results.forEach((r, i) => {
    lines.push(`${r.status === 'passed' ? 'ok' : 'not ok'} ${i + 1} - ${tapDescription(r.name)}`);
    if (r.status === 'passed') return;
    const step = failedStep(r);
    const f = step?.failure;
    const diag: Record<string, unknown> = {
      message: r.failure?.summary ?? 'failed',
      severity: 'fail',
      at: { file: r.file, ...(r.failure?.line !== undefined ? { line: r.failure.line, column: r.failure.column } : {}) },
      step: r.failure?.index,
      ...(step ? { kind: step.kind, title: step.title } : {}),
      ...(f?.expected ? { expected: f.expected.hex ? { text: f.expected.text, hex: f.expected.hex } : f.expected.text } : {}),
      ...(f?.received ? { received: { text: f.received.text, hex: f.received.hex } } : {}),
      ...(f?.diffAt !== undefined ? { firstDifference: f.diffAt } : {}),
      duration_ms: Math.round(r.durationMs),
    };
    lines.push('  ---', ...stringify(diag, { lineWidth: 0 }).trimEnd().split('\n').map((l) => `  ${l}`), '  ...');
  });
  return `${lines.join('\n')}\n`;
}

// ---- JUnit XML ----

/** Text for XML: markup escaped, and the characters XML 1.0 cannot hold written as \xHH. */
export function xmlText(s: string): string {
  return s
    .replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!)
    // eslint-disable-next-line no-control-regex
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

const classname = (file: string): string => file.replace(/\.ya?ml$/, '').replace(/^\.?\//, '').replace(/[/\\]/g, '.');

/** One testsuite for the run, one testcase per scenario; a failure's message is its one line, its text expected and received. */
export function junitXml(results: readonly ScenarioResult[], totalMs: number, startedAt: Date): string {
  const failures = results.filter((r) => r.status === 'failed').length;
  // In an attribute a newline would be read as a space: written as a character reference.
  const a = (name: string, value: string | number): string => ` ${name}="${xmlText(String(value)).replace(/[\n\r\t]/g, (c) => `&#${c.charCodeAt(0)};`)}"`;
  const counts = `${a('tests', results.length)}${a('failures', failures)}${a('errors', 0)}${a('skipped', 0)}${a('time', seconds(totalMs))}`;
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites${a('name', 'sockbench run')}${counts}>`, `  <testsuite${a('name', 'sockbench run')}${counts}${a('timestamp', startedAt.toISOString().slice(0, 19))}>`];
  for (const r of results) {
    const head = `    <testcase${a('name', r.name)}${a('classname', classname(r.file))}${a('file', r.file)}${a('time', seconds(r.durationMs))}`;
    const steps = r.steps.map((s) => `${s.status.padEnd(7)} ${s.index} ${s.title}${s.durationMs !== undefined ? ` (${s.durationMs} ms)` : ''}`).join('\n');
    if (r.status === 'passed') {
      out.push(`${head}>`, `      <system-out>${xmlText(steps)}</system-out>`, '    </testcase>');
      continue;
    }
    const step = failedStep(r);
    out.push(
      `${head}>`,
      `      <failure${a('message', r.failure?.summary ?? 'failed')}${a('type', step?.kind ?? 'scenario')}>${xmlText(failureText(r))}</failure>`,
      `      <system-out>${xmlText(steps)}</system-out>`,
      '    </testcase>',
    );
  }
  out.push('  </testsuite>', '</testsuites>');
  return `${out.join('\n')}\n`;
}
