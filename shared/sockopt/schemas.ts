// Params and results of the socket-option methods. Values are checked
// against the catalogue here, so the renderer shows "IP_TTL takes a whole
// number from 1 to 255 hops" before sending, and main refuses it again.
import * as v from 'valibot';
import { AnyBytes as Bytes, SessionId } from '../contract/schemas.js';
import { findOption, OPTION_NAMES } from './catalogue.js';
import { readOnlyProblem, valueProblem } from './rules.js';
import type { Linger, OptionValue } from './types.js';


export const OptionName = v.pipe(
  v.string('option must be a name like SO_RCVBUF'),
  v.check(
    (name) => findOption(name) !== undefined,
    (issue) => `unknown option ${JSON.stringify(String(issue.input).slice(0, 40))}: known are ${OPTION_NAMES.join(', ')}; for others use setsockoptRaw with level and optname numbers`,
  ),
);

export const LingerValue: v.GenericSchema<Linger> = v.object({ onoff: v.boolean(), seconds: v.number() });

export const OptionValueSchema: v.GenericSchema<OptionValue> = v.union(
  [v.boolean(), v.number(), v.string(), LingerValue, Bytes],
  'value must be true/false, a number, text, {onoff, seconds} or bytes',
);

type Settable = { id: number; option: string; value: OptionValue };

/** Kind and range of the value, per option; the issue points at `value` (or `option` when read-only). */
const fitsOption = v.rawCheck<Settable>(({ dataset, addIssue }) => {
  if (!dataset.typed) return;
  const opt = findOption(dataset.value.option);
  if (!opt) return;
  const ro = readOnlyProblem(opt);
  const problem = ro ?? valueProblem(opt, dataset.value.value);
  if (!problem) return;
  const key = ro ? 'option' : 'value';
  addIssue({
    message: problem,
    path: [{ type: 'object', origin: 'value', input: dataset.value, key, value: dataset.value[key] }],
  });
});

export const SetsockoptParams = v.pipe(v.object({ id: SessionId, option: OptionName, value: OptionValueSchema }), fitsOption);
export const GetsockoptParams = v.object({ id: SessionId, option: OptionName });

const whole = (what: string, max: number) =>
  v.pipe(
    v.number(`${what} must be a number`),
    v.integer(`${what} must be a whole number`),
    v.minValue(0, `${what} must be from 0 to ${max}`),
    v.maxValue(max, `${what} must be from 0 to ${max}`),
  );

export const RAW_MAX = 4096;

export const SetsockoptRawParams = v.object({
  id: SessionId,
  level: whole('level', 2_147_483_647),
  optname: whole('optname', 2_147_483_647),
  data: v.pipe(Bytes, v.check((b) => b.byteLength <= RAW_MAX, `data must be at most ${RAW_MAX} bytes`)),
});

export const GetsockoptRawParams = v.object({
  id: SessionId,
  level: whole('level', 2_147_483_647),
  optname: whole('optname', 2_147_483_647),
  maxLen: v.optional(v.pipe(whole('maxLen', RAW_MAX), v.minValue(1, `maxLen must be from 1 to ${RAW_MAX}`)), 64),
});

/** What setsockopt was given: the option's level, the encoded bytes, and the value in words. */
export const SetsockoptResult = v.object({ option: v.string(), level: v.string(), raw: Bytes, text: v.string() });

/** What the kernel says now: the typed value, its raw bytes, and the value in words. */
export const GetsockoptResult = v.object({ option: v.string(), level: v.string(), value: OptionValueSchema, raw: Bytes, text: v.string() });

export const RawResult = v.object({ data: Bytes, text: v.string() });
