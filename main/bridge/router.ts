// The one router both transports use: validate → handler → Reply.
// Main trusts nothing it receives, so every request passes its schema first.
import * as v from 'valibot';
import { isMethodName, methods, type AnyEvent, type BridgeError, type Handlers, type Reply } from '../../shared/contract/index.js';
import { capMessage, toBridgeError } from '../core/errors.js';
import { EventBatcher, type BatcherOptions } from './event-batcher.js';

/** What the router serves: the composition root (main/workbench.ts), or anything shaped like it in tests. */
export interface RouterTarget {
  handlers(): Handlers;
  onEvent(fn: (event: AnyEvent) => void): () => void;
}

/** A transport connection's events: acknowledge what the receiver applied, close when it goes. */
export interface Subscription {
  ack(seq: number): void;
  close(): void;
}

export interface Router {
  handle(method: unknown, params: unknown): Promise<Reply>;
  /** One subscriber per transport connection; each gets its own bounded batcher (event-batcher.ts). */
  subscribe(sink: (events: AnyEvent[], seq: number) => void, options?: Partial<BatcherOptions>): Subscription;
}

export function badRequest(message: string, field?: string): BridgeError {
  return field === undefined ? { code: 'BAD_REQUEST', message } : { code: 'BAD_REQUEST', message, field };
}

export function createRouter(target: RouterTarget): Router {
  const handlers = target.handlers();
  return {
    async handle(method, params) {
      if (!isMethodName(method)) {
        const shown = typeof method === 'string' ? JSON.stringify(method.slice(0, 80)) : typeof method;
        return { ok: false, error: { code: 'UNKNOWN_METHOD', message: `unknown method ${shown}` } };
      }
      const parsed = v.safeParse(methods[method].params, params ?? {});
      if (!parsed.success) {
        const issue = parsed.issues[0];
        const field = issue.path?.map((p) => String(p.key)).join('.') || undefined;
        const message = field ? `${field}: ${issue.message}` : issue.message;
        // The schema's message may quote the value sent (a 1 MiB string): it is quoted only so far.
        return { ok: false, error: badRequest(capMessage(message), field) };
      }
      try {
        const handler = handlers[method] as (p: never) => Promise<unknown> | unknown;
        return { ok: true, result: await handler(parsed.output as never) };
      } catch (err) {
        return { ok: false, error: toBridgeError(err) };
      }
    },
    subscribe(sink, options) {
      const batcher = new EventBatcher(sink, options);
      const off = target.onEvent((ev) => batcher.push(ev));
      return {
        ack: (seq) => batcher.ack(seq),
        close() {
          off();
          batcher.close();
        },
      };
    },
  };
}
