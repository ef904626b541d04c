// Variable fields (Ostinato's): a numeric field of one layer of one packet
// that takes another value each time that packet is sent — counting up,
// drawn at random, or read from a list. Checked once before a run starts, so
// a run never meets a value its field cannot hold.
import type { InferOutput } from 'valibot';
import type { CraftVariable } from '../../shared/contract/craft.js';
import { fieldRange, fieldsOf, resolveStack, type Layer } from '../../shared/packet/index.js';

export type Variable = InferOutput<typeof CraftVariable>;

/** A variable checked against its packet: the value for the n-th send (n from 0). */
export interface CheckedVariable {
  packet: number;
  layer: number;
  field: string;
  valueAt(n: number): number;
}

export class VariableError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const MAX_STEP = 2 ** 32;

/** Each variable's packet, layer and field must exist and be numeric; its values must fit the field. */
export function checkVariables(vars: readonly Variable[], packets: readonly (readonly Layer[])[], random: () => number = Math.random): CheckedVariable[] {
  const out: CheckedVariable[] = [];
  const seen = new Set<string>();
  vars.forEach((va, k) => {
    const at = `variables[${k}]`;
    const bad = (key: string, why: string): never => {
      throw new VariableError(`variables.${k}.${key}`, `${at}.${key}: ${why}`);
    };
    const pkt = packets[va.packet];
    if (!pkt) bad('packet', `there is no packet ${va.packet} (the list has ${packets.length})`);
    const layer = pkt![va.layer];
    if (!layer) bad('layer', `packet ${va.packet} has no layer ${va.layer} (it has ${pkt!.length})`);
    // The fields a layer has depend on its values (an ICMP echo has id and seq): ask the resolved layer.
    const resolved = resolveStack(pkt!);
    const fields = resolved.ok ? resolved.layers[va.layer]!.fields : layer!.fields;
    const specs = fieldsOf(layer!.kind, fields);
    const spec = specs.find((s) => s.name === va.field);
    if (!spec) bad('field', `${layer!.kind} has no field ${JSON.stringify(va.field)} (fields: ${specs.map((s) => s.name).join(', ')})`);
    const range = fieldRange(spec!);
    if (!range) bad('field', `${va.field} of ${layer!.kind} is not a number field, so it cannot vary`);
    const { min, max } = range!;
    const key = `${va.packet}/${va.layer}/${va.field}`;
    if (seen.has(key)) bad('field', `${va.field} of packet ${va.packet} layer ${va.layer} already varies (variables[${[...seen].indexOf(key)}])`);
    seen.add(key);
    const inRange = (name: string, x: number): number => {
      if (!Number.isSafeInteger(x) || x < min || x > max) bad(name, `${name} must be a whole number ${min}..${max} for ${va.field}, got ${x}`);
      return x;
    };
    const current = fields[va.field];
    const base = typeof current === 'number' && current >= min && current <= max ? current : min;
    let valueAt: (n: number) => number;
    if (va.mode === 'increment') {
      const start = inRange('start', va.start ?? base);
      const step = va.step ?? 1;
      if (!Number.isSafeInteger(step) || Math.abs(step) > MAX_STEP) bad('step', `step must be a whole number of at most ±${MAX_STEP}, got ${step}`);
      // Wraps within the field's range, both ways (a step of −1 counts down); BigInt: n × step may pass 2^53.
      const span = BigInt(max - min + 1);
      const from = BigInt(start - min);
      const by = BigInt(step);
      valueAt = (n) => min + Number((((from + BigInt(n) * by) % span) + span) % span);
    } else if (va.mode === 'random') {
      const lo = inRange('min', va.min ?? min);
      const hi = inRange('max', va.max ?? max);
      if (lo > hi) bad('min', `min (${lo}) is more than max (${hi})`);
      valueAt = () => lo + Math.floor(random() * (hi - lo + 1));
    } else {
      if (!va.values || va.values.length === 0) bad('values', 'a list variable needs values');
      const values = va.values!.map((x, i) => inRange(`values[${i}]`, x));
      valueAt = (n) => values[n % values.length]!;
    }
    out.push({ packet: va.packet, layer: va.layer, field: va.field, valueAt });
  });
  return out;
}

/** The packet's layers with its variables' values for its n-th send (copies; the input is left alone). */
export function applyVariables(packet: readonly Layer[], index: number, vars: readonly CheckedVariable[], n: number): Layer[] {
  const mine = vars.filter((v) => v.packet === index);
  if (mine.length === 0) return packet as Layer[];
  const out = packet.map((l) => ({ kind: l.kind, fields: { ...l.fields } }));
  for (const v of mine) out[v.layer]!.fields[v.field] = v.valueAt(n);
  return out;
}
