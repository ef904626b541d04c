// The contract's part for the packet crafter: send crafted layer stacks
// through the raw helper (or as the payload of a session), with fields that
// vary per packet, and hear the packets that answer. The stacks are checked
// twice: their shape here, their meaning by the codecs (buildStack) in main,
// whose error names the packet, layer and field.
import * as v from 'valibot';
import { LAYER_KINDS, type FieldValue as CodecFieldValue } from '../packet/index.js';
import { AnyBytes, intInRange, IpAddress, RunRef } from './schemas.js';

export const CraftId = intInRange('id', 1, Number.MAX_SAFE_INTEGER);

/** At most this many packets in one send (a template's list: a fragment pair is two). */
export const MAX_CRAFT_PACKETS = 16;
export const MAX_CRAFT_LAYERS = 32;

const OptionValue = v.object({
  kind: v.union([v.pipe(v.string(), v.maxLength(32)), v.number()]),
  data: v.optional(v.pipe(AnyBytes, v.check((b) => b.byteLength <= 65535, 'option data holds at most 65535 bytes'))),
  value: v.optional(v.number()),
  blocks: v.optional(v.pipe(v.array(v.tuple([v.number(), v.number()])), v.maxLength(4))),
  tsval: v.optional(v.number()),
  tsecr: v.optional(v.number()),
  lladdr: v.optional(v.pipe(v.string(), v.maxLength(64))),
});

/**
 * A field's value as the codecs take it; what it means is checked by buildStack.
 * Typed as the codecs' FieldValue, so a codec Layer is a contract layer as it is.
 */
const FieldValue: v.GenericSchema<CodecFieldValue> = v.union([
  v.number(),
  v.pipe(v.string(), v.maxLength(1024)),
  v.pipe(AnyBytes, v.check((b) => b.byteLength <= 65535, 'a field holds at most 65535 bytes (a whole IP packet)')),
  v.pipe(v.array(v.pipe(v.string(), v.maxLength(64))), v.maxLength(64)),
  v.pipe(v.array(v.number()), v.maxLength(64)),
  v.pipe(v.array(OptionValue), v.maxLength(40)),
], 'a field value must be a number, text, bytes, or a list of names, numbers or options');

export const CraftLayer = v.object({
  kind: v.picklist(LAYER_KINDS, `layer kind must be one of ${LAYER_KINDS.join(', ')}`),
  fields: v.pipe(v.record(v.pipe(v.string(), v.maxLength(32)), FieldValue), v.check((f) => Object.keys(f).length <= 64, 'at most 64 fields a layer')),
});

export const CraftPacket = v.pipe(v.array(CraftLayer), v.minLength(1, 'a packet needs at least one layer'), v.maxLength(MAX_CRAFT_LAYERS, `at most ${MAX_CRAFT_LAYERS} layers a packet`));

/** A field that changes from one packet sent to the next (Ostinato's variable fields). */
export const CraftVariable = v.object({
  /** Which packet of the list, which layer, which numeric field. */
  packet: intInRange('packet', 0, MAX_CRAFT_PACKETS - 1),
  layer: intInRange('layer', 0, MAX_CRAFT_LAYERS - 1),
  field: v.pipe(v.string(), v.maxLength(32)),
  /** increment: start + n × step (wrapping in the field's range); random: uniform in [min, max]; list: values[n mod length]. */
  mode: v.picklist(['increment', 'random', 'list'], 'mode must be increment, random or list'),
  start: v.optional(v.number()),
  step: v.optional(v.number()),
  min: v.optional(v.number()),
  max: v.optional(v.number()),
  values: v.optional(v.pipe(v.array(v.number()), v.minLength(1), v.maxLength(1024))),
});

export const CraftSendParams = v.object({
  /** The caller's name for this run, carried by its events (see RunRef). */
  ref: v.optional(RunRef),
  packets: v.pipe(v.array(CraftPacket), v.minLength(1, 'nothing to send'), v.maxLength(MAX_CRAFT_PACKETS, `at most ${MAX_CRAFT_PACKETS} packets`)),
  /**
   * Where to: 'raw' sends through the raw helper (a stack starting with ipv4 / ipv6 goes
   * with IP_HDRINCL, its dst is the destination; otherwise `address` is, and the kernel
   * writes the IP header); a session id sends the built bytes as that session's data
   * (send on a datagram session, sendall on a stream: it must be connected). Replies are
   * captured only for 'raw': what comes back to a session shows in that session's log.
   */
  via: v.union([v.literal('raw'), v.object({ session: intInRange('session', 1, Number.MAX_SAFE_INTEGER) })]),
  /** Needed when the stack has no IP layer (the kernel's header goes to this address). */
  address: v.optional(IpAddress),
  /** Times the whole list is sent. */
  count: v.optional(intInRange('count', 1, 1_000_000), 1),
  /** Between packets, ms (0: as fast as possible). */
  intervalMs: v.optional(v.pipe(v.number('interval must be a number'), v.minValue(0, 'interval must be 0 ms or more'), v.maxValue(3_600_000, 'interval must be at most 1 hour')), 0),
  variables: v.optional(v.pipe(v.array(CraftVariable), v.maxLength(8, 'at most 8 variable fields')), []),
  /** How long to keep listening for answers after the last packet, ms. */
  listenMs: v.optional(intInRange('listen', 0, 60_000), 1000),
});

export const craftMethods = {
  /** Starts sending; progress and answers come as craft.sent / craft.reply, the end as craft.done. */
  'craft.send': { params: CraftSendParams, result: v.object({ id: CraftId }) },
  'craft.stop': { params: v.object({ id: CraftId }), result: v.object({}) },
} as const;

export const craftEvents = {
  /** A packet went out (thinned like ping.reply in a flood: `skipped` counts those not shown). */
  'craft.sent': v.object({
    id: CraftId,
    ref: v.optional(RunRef),
    /** 0-based over the whole run (count × packets). */
    index: v.number(),
    /** Which packet of the list. */
    packet: v.number(),
    bytes: AnyBytes,
    tUs: v.number(),
    /** The send failed: errno name and sentence. */
    error: v.optional(v.object({ code: v.string(), message: v.string() })),
    /** What went out differs from `bytes` (e.g. Linux fills in the IPv4 checksum and length): said on this packet's first send. */
    note: v.optional(v.string()),
    skipped: v.optional(v.number()),
  }),
  /** A packet that answers a sent one (by protocol, addresses, ports, ICMP id/seq or the datagram an ICMP error quotes). */
  'craft.reply': v.object({
    id: CraftId,
    ref: v.optional(RunRef),
    /** The sent packet it answers (index as in craft.sent), or null when it could not be told which. */
    answers: v.nullable(v.number()),
    bytes: AnyBytes,
    /** The layer to parse the bytes from ('ipv4' when the raw socket gives the IP header, else the protocol's). */
    first: v.picklist(LAYER_KINDS),
    from: v.string(),
    tUs: v.number(),
    /** tUs − the answered packet's send tUs. */
    rttUs: v.optional(v.number()),
    skipped: v.optional(v.number()),
  }),
  'craft.done': v.object({
    id: CraftId,
    ref: v.optional(RunRef),
    sent: v.number(),
    errors: v.number(),
    replies: v.number(),
    stopped: v.boolean(),
    /** Why it ended early, or a note a person should read (e.g. what the kernel overwrote). */
    error: v.optional(v.string()),
  }),
} as const;
