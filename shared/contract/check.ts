// A value checked against one of the contract's schemas away from the
// router (Ping, Traceroute, the CLI): the parsed value, or the first problem
// as the router reports it, the field as a dotted path and the schema's own
// message, so a limit and its wording live only in the schema.
import * as v from 'valibot';

export type Checked<T> = { ok: true; value: T } | { ok: false; field: string | undefined; message: string };

export function checkWith<S extends v.GenericSchema>(schema: S, value: unknown): Checked<v.InferOutput<S>> {
  const r = v.safeParse(schema, value);
  if (r.success) return { ok: true, value: r.output };
  const issue = r.issues[0];
  return { ok: false, field: issue.path?.map((p) => String(p.key)).join('.') || undefined, message: issue.message };
}
