// Every limit of ping, traceroute and sweep is the contract's: at each
// boundary (and at the limits the copies used to have), the command line,
// the Ping and Traceroute classes and the contract's schema accept and
// refuse the same values, and a refusal says what the schema says (the
// command line naming its flag).
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { PingParams, SweepParams, TraceParams } from '../../shared/contract/probes.js';
import { Ping, PingOptionsError } from '../raw/ping.js';
import type { ProbeTransport } from '../raw/probe-transport.js';
import { Traceroute, TracerouteOptionsError } from '../raw/traceroute.js';
import { parseCommand, UsageError } from './args.js';

/** The constructors only check their options; nothing is sent. */
const noTransport = {} as ProbeTransport;

/** null when the schema takes the params, else the message of its first issue. */
function schemaSays(schema: v.GenericSchema, params: unknown): string | null {
  const r = v.safeParse(schema, params);
  return r.success ? null : r.issues[0].message;
}

function cliSays(argv: string[]): string | null {
  try {
    parseCommand(argv);
    return null;
  } catch (e) {
    if (e instanceof UsageError) return e.message;
    throw e;
  }
}

function classSays(make: () => unknown): string | null {
  try {
    make();
    return null;
  } catch (e) {
    if (e instanceof PingOptionsError || e instanceof TracerouteOptionsError) return e.message;
    throw e;
  }
}

/** The same verdict from the schema, the class (when there is one) and the command line; a refusal in the schema's words. */
function expectSameVerdict(schema: string | null, cli: string | null, flag: string, cls?: string | null): void {
  if (cls !== undefined) expect(cls, 'the class').toBe(schema);
  if (schema === null) expect(cli, 'the command line').toBeNull();
  else {
    expect(cli, 'the command line').not.toBeNull();
    expect(cli!.startsWith(`${flag} `), `${cli} names ${flag}`).toBe(true);
    expect(cli).toContain(schema);
  }
}

const seconds = (ms: number): string => String(ms / 1000);
/** A row: its title, the flag, the params it changes, the command line that says the same. */
const row = (flag: string, shown: string | number, change: Record<string, unknown>, argv: string[]): [string, string, Record<string, unknown>, string[]] =>
  [`${flag} ${shown}`, flag, change, argv];

describe('ping: the contract decides every limit', () => {
  const base = { target: '127.0.0.1', count: 1, intervalMs: 1000, flood: false, size: 56, timeoutMs: 1000 };
  const cases = [
    ...[0, 1, 10_000_000, 10_000_001, 2 ** 31 - 1, 2 ** 31].map((n) => row('-c', n, { count: n }, ['-c', String(n)])),
    ...[0.5, 1, 3_600_000, 3_600_001].map((ms) => row('-i', `${ms} ms`, { intervalMs: ms }, ['-i', seconds(ms)])),
    ...[0, 0.1, 3_600_000, 3_600_001].map((ms) => row('-i', `${ms} ms with -f`, { flood: true, intervalMs: ms }, ['-f', '-i', seconds(ms)])),
    ...[65_507, 65_508].map((n) => row('-s', n, { size: n }, ['-s', String(n)])),
    ...[65_527, 65_528].map((n) => row('-s', `${n} to ::1`, { target: '::1', size: n }, ['-s', String(n)])),
    ...[16, 17, 64, 65].map((n) => row('-p', `${n} bytes`, { pattern: new Uint8Array(n) }, ['-p', '00'.repeat(n)])),
    ...[0, 1, 60_000, 60_001, 3_600_000, 3_600_001].map((ms) => row('-W', `${ms} ms`, { timeoutMs: ms }, ['-W', seconds(ms)])),
    ...[0, 1, 255, 256].map((n) => row('-t', n, { ttl: n }, ['-t', String(n)])),
    ...[0, 255, 256].map((n) => row('-Q', n, { tos: n }, ['-Q', String(n)])),
  ];

  it.each(cases)('%s: the CLI, Ping and the schema agree', (_title, flag, change, argv) => {
    const params = { ...base, ...change };
    const schema = schemaSays(PingParams, params);
    const cls = classSays(() => new Ping(noTransport, params as never));
    const cli = cliSays(['ping', ...argv, params.target]);
    expectSameVerdict(schema, cli, flag, cls);
  });
});

describe('traceroute: the contract decides every limit', () => {
  const base = { target: '127.0.0.1', mode: 'icmp', maxHops: 30, probesPerHop: 3, timeoutMs: 5000 } as const;
  const cases = [
    ...[0, 1, 64, 65, 255, 256].map((n) => row('-m', n, { maxHops: n }, ['-m', String(n)])),
    ...[0, 1, 5, 6, 10, 11].map((n) => row('-q', n, { probesPerHop: n }, ['-q', String(n)])),
    ...[1, 9, 10, 10_000, 10_001, 60_000, 60_001].map((ms) => row('-w', `${ms} ms`, { timeoutMs: ms }, ['-w', seconds(ms)])),
  ];

  it.each(cases)('%s: the CLI, Traceroute and the schema agree', (_title, flag, change, argv) => {
    const params = { ...base, ...change };
    const schema = schemaSays(TraceParams, params);
    const cls = classSays(() => new Traceroute(noTransport, params as never));
    const cli = cliSays(['traceroute', ...argv, params.target]);
    expectSameVerdict(schema, cli, flag, cls);
  });
});

describe('sweep: the contract decides every limit', () => {
  const base = { targets: '127.0.0.1', count: 1, intervalMs: 10, perTargetIntervalMs: 1000, timeoutMs: 500 };
  const cases = [
    ...[0, 1, 100, 101].map((n) => row('-c', n, { count: n }, ['-c', String(n)])),
    ...[0, 1, 60_000, 60_001].map((n) => row('-i', n, { intervalMs: n }, ['-i', String(n)])),
    ...[9, 10, 60_000, 60_001].map((n) => row('-p', n, { perTargetIntervalMs: n }, ['-p', String(n)])),
    ...[0, 1, 60_000, 60_001].map((n) => row('-t', n, { timeoutMs: n }, ['-t', String(n)])),
  ];

  it.each(cases)('%s: the CLI and the schema agree', (_title, flag, change, argv) => {
    const schema = schemaSays(SweepParams, { ...base, ...change });
    const cli = cliSays(['sweep', ...argv, base.targets]);
    expectSameVerdict(schema, cli, flag);
  });
});
