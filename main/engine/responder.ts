// What a session asks when it answers automatically (auto-reply rules):
// main/automation implements it, the workbench hands it to a session, and
// the engine knows nothing of rules, framing or templates.
import type { RulesStatus, SockAddr } from '../../shared/contract/index.js';

/** One automatic reply: the bytes, sent after `delayMs`, then the connection closed if `close`. */
export interface AutoReply {
  bytes: Uint8Array;
  delayMs?: number;
  close?: boolean;
  /** Which rule sent it, shown on the reply in the log. */
  rule?: string;
}

/** The replies to one chunk received, and anything the trace should say (a frame too long …). */
export interface Answer {
  replies: AutoReply[];
  notes: string[];
}

/**
 * One connection's (or one datagram socket's) responder: its own framing
 * buffer, counter and hit counts. `receive` is called with each read of a
 * stream or each datagram, in order.
 */
export interface Responder {
  receive(chunk: Uint8Array, from?: SockAddr): Answer;
  status(): RulesStatus;
}

/** What a session is given: it opens a responder for itself and, on a listener, one per accepted connection. */
export interface ResponderSource {
  readonly name: string;
  /** datagrams: each chunk is a message boundary (datagrams, SOCK_SEQPACKET); else a byte stream. */
  open(opts: { datagrams: boolean }): Responder;
  /** Over every responder it opened (a listener's counts). */
  status(): RulesStatus;
}
