// A router over a fresh workbench, with the events it emitted, for tests that
// drive it exactly as the renderer does (through validated calls).
import { createRouter } from '../../main/bridge/router.js';
import { Workbench, type WorkbenchOptions } from '../../main/workbench.js';
import { CallError, type AnyEvent, type EventPayload, type MethodName, type Params, type Result } from '../../shared/contract/index.js';

export function harness(opts: WorkbenchOptions = {}) {
  const workbench = new Workbench(opts);
  const { engine } = workbench;
  const router = createRouter(workbench);
  const events: AnyEvent[] = [];
  workbench.onEvent((e) => events.push(e));
  async function call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> {
    const reply = await router.handle(method, params);
    if (!reply.ok) throw new CallError(reply.error);
    return reply.result as Result<M>;
  }
  /** The error a call must fail with, as the bridge sends it; params are untyped, so malformed ones can be sent. */
  async function error(method: MethodName, params: unknown) {
    const reply = await router.handle(method, params);
    if (reply.ok) throw new Error(`${method} ${JSON.stringify(params)} should have failed`);
    return reply.error;
  }
  /** The payloads of the events called `name` so far; with `id`, only those of that session or probe. */
  const of = <N extends AnyEvent['name']>(name: N, id?: number) =>
    events
      .filter((e): e is Extract<AnyEvent, { name: N }> => e.name === name)
      .map((e) => e.payload as EventPayload<N>)
      .filter((p) => id === undefined || (p as { id?: number }).id === id);
  /** Bytes received so far by a session, concatenated. */
  function received(id: number): Buffer {
    return Buffer.concat(engine.get(id).data.toArray().filter((d) => d.dir === 'in').map((d) => d.bytes));
  }
  return { workbench, engine, router, events, call, error, of, received, close: () => workbench.close() };
}

export async function until<T>(probe: () => T | undefined | false, what: string, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const text = (s: string) => new TextEncoder().encode(s);

/** The typed error of a call that must fail (a call that succeeds fails the test). */
export async function rejection(p: Promise<unknown>): Promise<CallError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof CallError) return e;
    throw e;
  }
  throw new Error('expected the call to fail');
}
