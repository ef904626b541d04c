// Which sockets an option applies to, whether its moment has passed, and
// whether a value fits it. Each answer is null (fine) or a sentence saying why not.
import type { Family, SessionState, SockType } from '../contract/schemas.js';
import type { OptionSpec } from './types.js';

const or = (xs: readonly string[]): string => xs.join(' or ');

/** null when the option applies to a socket of this family and type. */
export function notApplicable(opt: OptionSpec, family: Family, type: SockType): string | null {
  if (opt.families.includes(family) && opt.types.includes(type)) return null;
  return `${opt.name} is an ${opt.level} option for ${or(opt.families)} ${or(opt.types)} sockets; this one is ${family} ${type}`;
}

const passedStates: Record<OptionSpec['when'], readonly SessionState[]> = {
  'before-bind': ['bound', 'listening', 'connecting', 'connected', 'half-closed'],
  'before-connect': ['connecting', 'connected', 'half-closed'],
  'before-listen': ['listening', 'connecting', 'connected', 'half-closed'],
  any: [],
};

/** null while setting the option still has its effect in this state. */
export function momentPassed(opt: OptionSpec, state: SessionState): string | null {
  if (opt.when === 'any' || !passedStates[opt.when].includes(state)) return null;
  return `${opt.name} must be set ${opt.when.replace('-', ' ')}`;
}

export function readOnlyProblem(opt: OptionSpec): string | null {
  return opt.readOnly ? `${opt.name} is read-only: getsockopt reads it, setsockopt cannot change it` : null;
}

const isWhole = (n: unknown, min: number, max: number): n is number =>
  typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max;

/** What is allowed, in words: "a whole number from 1 to 255 hops". */
export function allowed(opt: OptionSpec): string {
  const unit = opt.unit && opt.unit !== 'errno' ? ` ${opt.unit === 's' ? 'seconds' : opt.unit}` : '';
  switch (opt.kind) {
    case 'bool':
      return 'true or false (on or off)';
    case 'int':
      return `a whole number from ${opt.min} to ${opt.max}${unit}`;
    case 'enum': {
      const names = opt.choices.map((c) => c.name).join(', ');
      return opt.min !== undefined && opt.max !== undefined ? `one of ${names}, or a whole number from ${opt.min} to ${opt.max}` : `one of ${names}`;
    }
    case 'linger':
      return `{onoff: true or false, seconds: a whole number from 0 to ${opt.maxSeconds}}`;
    case 'timeval':
      return `seconds from 0 to ${opt.maxSeconds} (0 = no timeout, µs resolution)`;
    case 'bytes':
      return `${opt.text ? 'text' : 'bytes'} of at most ${opt.maxLen} bytes`;
  }
}

function fits(opt: OptionSpec, value: unknown): boolean {
  switch (opt.kind) {
    case 'bool':
      return typeof value === 'boolean';
    case 'int':
      return isWhole(value, opt.min, opt.max);
    case 'enum':
      if (typeof value === 'string') return opt.choices.some((c) => c.name === value);
      return opt.min !== undefined && opt.max !== undefined && isWhole(value, opt.min, opt.max);
    case 'linger': {
      const l = value as { onoff?: unknown; seconds?: unknown } | null;
      return typeof l === 'object' && l !== null && !(l instanceof Uint8Array) && typeof l.onoff === 'boolean' && isWhole(l.seconds, 0, opt.maxSeconds);
    }
    case 'timeval':
      return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= opt.maxSeconds;
    case 'bytes':
      if (value instanceof Uint8Array) return value.byteLength <= opt.maxLen;
      return opt.text === true && typeof value === 'string' && new TextEncoder().encode(value).byteLength <= opt.maxLen && !value.includes('\0');
  }
}

/** null when `value` is of the option's kind and in its range; otherwise what is allowed. */
export function valueProblem(opt: OptionSpec, value: unknown): string | null {
  return fits(opt, value) ? null : `${opt.name} takes ${allowed(opt)}`;
}
