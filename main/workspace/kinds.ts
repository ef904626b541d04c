// What a workspace holds, one entry a kind: its folder, the schema every file
// in it must pass, the key order of a new file, and how a file is named. A
// new kind (scenarios/, rules/) is one more entry here and a schema in
// shared/contract.
import type * as v from 'valibot';
import type { FileProblem as FileProblemSchema } from '../../shared/contract/workspace.js';
import { SavedPacket } from '../../shared/contract/workspace.js';
import { RuleSet, Scenario } from '../../shared/contract/automation.js';

export type FileProblem = v.InferOutput<typeof FileProblemSchema>;

export interface Kind<S extends v.GenericSchema = v.GenericSchema> {
  folder: string;
  schema: S;
  /** Keys of a new file, in this order (keys a person adds keep theirs). */
  order: readonly string[];
  /** The comment at the top of a file the app creates. */
  header: string;
  /** The display name a file is named after ('' when it has none: then names need not be unique). */
  nameOf(value: v.InferOutput<S>): string;
  /** The save call's parameter holding the value (a clash of names is an error on `${param}.name`). */
  param: string;
}

export const KINDS = {
  packets: {
    folder: 'packets',
    schema: SavedPacket,
    order: ['name', 'protocol', 'target', 'bind', 'data', 'encoding', 'layers', 'http', 'repeat', 'tags', 'notes'],
    header: ' A saved packet (Sockbench workspace format 1). See docs/WORKSPACE.md.',
    nameOf: (p) => p.name,
    param: 'packet',
  } satisfies Kind<typeof SavedPacket>,
  rules: {
    folder: 'rules',
    schema: RuleSet,
    order: ['name', 'framing', 'encoding', 'rules', 'notes'],
    header: ' Auto-reply rules (Sockbench workspace format 1): the first rule that matches answers. See docs/AUTOMATION.md.',
    nameOf: (r) => r.name ?? '',
    param: 'ruleSet',
  } satisfies Kind<typeof RuleSet>,
  scenarios: {
    folder: 'scenarios',
    schema: Scenario,
    order: ['name', 'description', 'vars', 'encoding', 'timeout', 'tags', 'steps'],
    header: ' A send-and-expect scenario (Sockbench workspace format 1): `sockbench run` this file. See docs/AUTOMATION.md.',
    nameOf: (s) => s.name,
    param: 'scenario',
  } satisfies Kind<typeof Scenario>,
} as const;

export type KindName = keyof typeof KINDS;
export type ValueOf<K extends KindName> = v.InferOutput<(typeof KINDS)[K]['schema']>;

/** A file name from a display name: "Hello TCP!" → "hello-tcp.yaml" (letters of any script kept). */
export function fileNameFor(name: string): string {
  const base = name
    .normalize('NFC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}._-]+/gu, '-')
    .replace(/^[-.]+|-+$/g, '')
    .slice(0, 100);
  return `${base || 'packet'}.yaml`;
}
