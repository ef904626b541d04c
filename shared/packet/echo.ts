// Echo requests as ping, traceroute and the raw helper's flood send them.
// The stack is the ICMP or ICMPv6 codec's (build it with stackBytes);
// a run then sends copies with only the sequence changed, and
// setEchoSequence writes it and mends the ICMP checksum (RFC 1624) instead
// of building each probe again. This module imports no codec table, so the
// raw helper bundles it without them.
import { put16, u16 } from './bytes.js';
import { ECHO } from './icmp-names.js';
import type { Layer } from './spec.js';
import { mendChecksum } from './checksum.js';

export interface EchoFields {
  identifier: number;
  sequence: number;
  payload?: Uint8Array;
  /** An echo reply instead of a request. */
  reply?: boolean;
}

/**
 * An echo request (or reply) as layers: ICMP with its checksum, or ICMPv6
 * with checksum 0 for the kernel to fill (a raw ICMPv6 socket always
 * computes it on Linux).
 */
export function echoLayers(family: 4 | 6, e: EchoFields): Layer[] {
  const type = e.reply ? ECHO[family].reply : ECHO[family].request;
  const head: Layer = family === 4
    ? { kind: 'icmp', fields: { type, id: e.identifier, seq: e.sequence } }
    : { kind: 'icmpv6', fields: { type, id: e.identifier, seq: e.sequence, chksum: 0 } };
  return e.payload ? [head, { kind: 'payload', fields: { load: e.payload } }] : [head];
}

/**
 * Writes the sequence number into an echo message (`b` starts at its ICMP
 * header) and mends the ICMP checksum, giving the bytes a full build would;
 * an ICMPv6 checksum is left as it is (the kernel's to fill).
 */
export function setEchoSequence(b: Uint8Array, sequence: number, family: 4 | 6): void {
  const from = u16(b, 6);
  put16(b, 6, sequence);
  if (family === 4) put16(b, 2, mendChecksum(u16(b, 2), from, sequence));
}
