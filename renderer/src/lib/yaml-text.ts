// YAML typed in an editor (a scenario, a rule set): read into a value, or the
// problem with its line and column, so the error is shown where it is. The
// schema's own issues are placed the same way, by the path they name.
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';

export interface TextProblem {
  message: string;
  line?: number;
  column?: number;
}

export type ParsedText = { ok: true; value: unknown; doc: Document; lines: LineCounter } | { ok: false; problem: TextProblem };

export function parseYamlText(text: string): ParsedText {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const pos = lines.linePos(err.pos[0]);
    return { ok: false, problem: { message: `not valid YAML: ${err.message.split('\n')[0]}`, line: pos.line, column: pos.col } };
  }
  return { ok: true, value: doc.toJS({ maxAliasCount: 100 }), doc, lines };
}

/** Where the value at `path` (or its nearest parent) is written, 1-based. */
export function positionOf(parsed: Extract<ParsedText, { ok: true }>, path: readonly (string | number)[]): { line: number; column: number } | null {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? parsed.doc.contents : parsed.doc.getIn(path.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range) {
      const p = parsed.lines.linePos(range[0]);
      return { line: p.line, column: p.col };
    }
  }
  return null;
}

/** A schema issue (its message and path) placed in the text. */
export function problemAt(parsed: Extract<ParsedText, { ok: true }>, message: string, path: readonly (string | number)[]): TextProblem {
  // An unknown key (or step) is shown where the key is written, not its value (as main reads files).
  const key = path.at(-1);
  if (typeof key === 'string' && /^unknown /.test(message)) {
    const parent = path.length === 1 ? parsed.doc.contents : parsed.doc.getIn(path.slice(0, -1), true);
    const pair = isMap(parent) ? parent.items.find((p) => isScalar(p.key) && p.key.value === key) : undefined;
    const range = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
    if (range) {
      const p = parsed.lines.linePos(range[0]);
      return { message, line: p.line, column: p.col };
    }
  }
  const pos = positionOf(parsed, path);
  return pos ? { message, line: pos.line, column: pos.column } : { message };
}
