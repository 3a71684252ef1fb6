export * from './spec.js';
export { channelKeys, type ChannelKeyDefaults } from './channel-keys.js';
export { parseProperties, type ParsedProperties, type PropertiesIssue, type PropertyEntry } from './properties.js';
export { checkValue, describeFormat, parseValue, type FormatSpec, type ParseResult } from './formats.js';
export { FLUME_TYPES_NOT_IMPLEMENTED, findFlumeTypeNotImplemented, type FlumeType } from './flume-types.js';
export { createRegistry, type FactoryByKind, type Registry } from './registry.js';
export { suggest } from './suggest.js';
export type { Diagnostic } from './diagnostic.js';
export {
  buildTopology,
  type BuildTopologyOptions,
  type ChannelDef,
  type ResolvedComponent,
  type SinkDef,
  type SinkGroupDef,
  type SourceDef,
  type Topology,
  type TopologyResult,
} from './topology.js';
export { ENV_VAR_RESOLVER, type Environment } from './substitution.js';
export { loadAgentConfig, topologyOrThrow, type LoadAgentConfigOptions } from './load.js';
export { formatDiagnostics, formatTopology, type FormatTopologyOptions } from './format-topology.js';
export { isSecretKey, maskSecrets, maskValue, SECRET_MASK } from './secrets.js';
