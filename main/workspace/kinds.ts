// What a workspace holds, one entry a kind: its folder, the schema every file
// in it must pass, the key order of a new file, and how a file is named. A
// new kind (scenarios/, rules/) is one more entry here and a schema in
// shared/contract.
import type * as v from 'valibot';
import type { FileProblem as FileProblemSchema } from '../../shared/contract/workspace.js';
import { SavedPacket } from '../../shared/contract/workspace.js';

export type FileProblem = v.InferOutput<typeof FileProblemSchema>;

export interface Kind<S extends v.GenericSchema = v.GenericSchema> {
  folder: string;
  schema: S;
  /** Keys of a new file, in this order (keys a person adds keep theirs). */
  order: readonly string[];
  /** The comment at the top of a file the app creates. */
  header: string;
  /** The display name a file is named after. */
  nameOf(value: v.InferOutput<S>): string;
}

export const KINDS = {
  packets: {
    folder: 'packets',
    schema: SavedPacket,
    order: ['name', 'protocol', 'target', 'bind', 'data', 'encoding', 'layers', 'http', 'repeat', 'tags', 'notes'],
    header: ' A saved packet (Sockbench workspace format 1). See docs/WORKSPACE.md.',
    nameOf: (p) => p.name,
  } satisfies Kind<typeof SavedPacket>,
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
