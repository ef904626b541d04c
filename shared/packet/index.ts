// The packet codecs: one family for everything that builds or reads packets
// (ping, traceroute, the raw helper's flood, the crafter, the packet views).
// A packet is a stack of layers ({ kind, fields }); each layer kind is a
// table of fields (ipv4.ts, ipv6.ts, icmp.ts, icmpv6.ts, transport.ts) that
// one walker builds and parses (buildStack, stackBytes, parseStack) with
// field spans, checksums and metadata for the crafter's views and CLI,
// never throwing on bad input. The hot paths stay in the family: keyOf
// (answers.ts) reads what a packet is straight from its bytes, for every
// packet a raw socket hears; echo.ts turns one built echo request into a
// run's probes; checksum.ts is the only Internet checksum and icmp-names.ts
// the only table of ICMP names. syntax.ts and templates.ts are the
// crafter's line syntax and starting points; pcapng.ts writes captures.
export {
  FieldError, type ChecksumStatus, type FieldSpec, type FieldType, type FieldValue, type Fields, type Layer, type LayerCodec,
  type LayerKind, type OptionListKind, type OptionValue, type Span,
} from './spec.js';
export { LAYER_SPECS, LAYER_KINDS, canFollow, fieldsOf, fieldRange, isLayerKind } from './layers.js';
export { buildStack, resolveStack, stackBytes, type BuildResult, type ResolveResult, type StackContext, type StackError } from './build.js';
export { parseStack, type ParseResult } from './parse.js';
export { formatValue } from './values.js';
export { spanAt } from './wire.js';
export { TEMPLATES, type Template } from './templates.js';
export { formatFieldValue, formatOptions, formatStack, parseLayerWords, parseLayers, parseOptions, type LineError, type LineResult } from './syntax.js';
export { keyOf, type PacketKey } from './answers.js';
export { ECHO, icmpCodeName, icmpTypeName } from './icmp-names.js';
export { echoLayers, setEchoSequence, type EchoFields } from './echo.js';
export { checksumValid, internetChecksum } from './checksum.js';
