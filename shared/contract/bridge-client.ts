// The typed client the renderer uses: call(method, params) and on(event, fn).
// It knows nothing about how messages travel; a Transport does that.
import {
  CallError, type AnyEvent, type EventName, type EventPayload, type MethodName, type Params, type Reply, type Result,
} from './index.js';

export interface Transport {
  request(method: string, params: unknown): Promise<Reply>;
  /** Receives batches of events; returns an unsubscribe function. */
  onEvents(fn: (events: AnyEvent[]) => void): () => void;
}

export interface Client {
  call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>>;
  on<E extends EventName>(event: E, fn: (payload: EventPayload<E>) => void): () => void;
  /** All events of one batch at once (cheaper for floods). */
  onBatch(fn: (events: AnyEvent[]) => void): () => void;
}

export function createClient(transport: Transport): Client {
  const listeners = new Map<string, Set<(payload: never) => void>>();
  const batchListeners = new Set<(events: AnyEvent[]) => void>();
  transport.onEvents((batch) => {
    for (const fn of batchListeners) fn(batch);
    for (const ev of batch) {
      const set = listeners.get(ev.name);
      if (set) for (const fn of set) (fn as (p: unknown) => void)(ev.payload);
    }
  });
  return {
    async call(method, params) {
      const reply = await transport.request(method, params);
      if (!reply.ok) throw new CallError(reply.error);
      return reply.result as never;
    },
    on(event, fn) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(fn as (payload: never) => void);
      return () => set.delete(fn as (payload: never) => void);
    },
    onBatch(fn) {
      batchListeners.add(fn);
      return () => batchListeners.delete(fn);
    },
  };
}
