// The packet crafter's codecs: layer stacks built and parsed field by field,
// with the metadata the crafter view and `sockbench craft` show.
export {
  FieldError, type ChecksumStatus, type FieldSpec, type FieldType, type FieldValue, type Fields, type Layer, type LayerCodec,
  type LayerKind, type OptionListKind, type OptionValue, type Span,
} from './spec.js';
export { LAYER_SPECS, LAYER_KINDS, canFollow, fieldsOf, fieldRange, isLayerKind } from './layers.js';
export { buildStack, resolveStack, MAX_PACKET, type BuildResult, type ResolveResult, type StackContext, type StackError } from './build.js';
export { parseStack, type ParseResult } from './parse.js';
export { formatOption } from './options.js';
export { formatValue } from './values.js';
export { spanAt } from './wire.js';
export { IP_PROTOCOLS } from './ipv4.js';
export { ICMP_TYPES } from './icmp.js';
export { ICMPV6_TYPES } from './icmpv6.js';
export { TCP_FLAGS } from './transport.js';
export { TEMPLATES, type Template } from './templates.js';
export { formatFieldValue, formatLayer, formatOptionItem, formatOptions, formatStack, parseLayerWords, parseLayers, parseOption, parseOptions, type LineError, type LineResult } from './syntax.js';
