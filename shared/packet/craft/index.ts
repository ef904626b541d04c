// The packet crafter's codecs: layer stacks built and parsed field by field,
// with the metadata the crafter view and `sockbench craft` show.
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
export { checksumValid, internetChecksum } from './sum.js';
