// One socket call from a form: validate the params against the contract's
// own schema first (so "port must be between 0 and 65535" shows before
// anything is sent), then call, and put any error next to the field it names
// (error.field), or next to the action's button when it names none.
import { reactive, ref, watch } from 'vue';
import * as v from 'valibot';
import { CallError, methods, type MethodName, type Params, type Result } from '../../../shared/contract/index.js';
import { client } from '../bridge/client.js';

/** The key under which errors that name no field of the form are kept. */
export const ACTION = 'action';

export interface CallOptions {
  /** Contract param name → form field name, when they differ (e.g. timeoutMs → timeout). */
  rename?: Record<string, string>;
  /** Field name → its current value: editing a field clears its error. */
  values?: Record<string, () => unknown>;
}

export function useCall(fields: readonly string[], options: CallOptions = {}) {
  const errors = reactive<Record<string, string>>({});
  const pending = ref(false);

  const place = (param: string | undefined): string => {
    if (param === undefined) return ACTION;
    const f = options.rename?.[param] ?? param;
    return fields.includes(f) ? f : ACTION;
  };

  for (const [field, get] of Object.entries(options.values ?? {})) {
    watch(get, () => {
      delete errors[field];
    });
  }

  function clear(): void {
    for (const k of Object.keys(errors)) delete errors[k];
  }

  function setError(field: string, message: string): void {
    errors[fields.includes(field) ? field : ACTION] = message;
  }

  async function run<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M> | undefined> {
    clear();
    const checked = v.safeParse(methods[method].params, params);
    if (!checked.success) {
      for (const issue of checked.issues) {
        const param = issue.path?.map((p) => String(p.key)).join('.') || undefined;
        const at = place(param);
        errors[at] ??= issue.message;
      }
      return undefined;
    }
    pending.value = true;
    try {
      return await client().call(method, params);
    } catch (e) {
      if (e instanceof CallError) {
        const field = e.field;
        const message = field && e.message.startsWith(`${field}: `) ? e.message.slice(field.length + 2) : e.message;
        errors[place(field)] = message;
      } else {
        errors[ACTION] = e instanceof Error ? e.message : String(e);
      }
      return undefined;
    } finally {
      pending.value = false;
    }
  }

  return { errors, pending, run, clear, setError };
}

/** "" → NaN (so the schema says "must be a number"), otherwise Number(text). */
export function toNumber(text: string | number): number {
  if (typeof text === 'number') return text;
  const t = text.trim();
  return t === '' ? NaN : Number(t);
}
