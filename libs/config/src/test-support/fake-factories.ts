/**
 * Small stand-ins for the real component factories, for the config lib's own tests (which cannot
 * depend on the component libs): the declarations of the real factories (keys, formats, defaults,
 * aliases, batch size keys, resources) without their implementation. A test of the runtime's
 * registry checks that each declares what its real factory declares.
 */
import type {
  AnyFactory,
  ChannelFactory,
  InterceptorFactory,
  KeySpecs,
  ProcessorFactory,
  SelectorFactory,
  SinkFactory,
  SourceFactory,
} from '../spec.js';
import { channelKeys } from '../channel-keys.js';

export function notInConfigTests(): never {
  throw new Error('fake factory: components are not created in the config tests');
}

const MEMORY_KEYS = {
  ...channelKeys({ capacity: 100, transactionCapacity: 100 }),
  byteCapacity: { format: 'int', default: 0, defaultDoc: '80% of the worker heap', doc: 'Most body bytes held (0 = no limit).', min: 0 },
  byteCapacityBufferPercentage: { format: 'int', default: 20, min: 0, max: 100, doc: 'Reserve for headers.' },
} as const satisfies KeySpecs;

export const fakeMemoryChannel: ChannelFactory<typeof MEMORY_KEYS> = {
  kind: 'channel',
  type: 'memory',
  aliases: ['org.apache.flume.channel.MemoryChannel'],
  doc: 'In-memory queue.',
  durability: 'volatile',
  keys: MEMORY_KEYS,
  create: notInConfigTests,
};

const SEQ_KEYS = {
  batchSize: { format: 'int', default: 1, doc: 'Events per batch.', min: 1 },
  totalEvents: { format: 'int', default: Number.MAX_SAFE_INTEGER, doc: 'Events to generate.', min: 0, max: Number.MAX_SAFE_INTEGER },
} as const satisfies KeySpecs;

export const fakeSeqSource: SourceFactory<typeof SEQ_KEYS> = {
  kind: 'source',
  type: 'seq',
  aliases: ['org.apache.flume.source.SequenceGeneratorSource'],
  doc: 'Counter events.',
  keys: SEQ_KEYS,
  batchSizeKey: 'batchSize',
  create: notInConfigTests,
};

const EXEC_KEYS = {
  command: { format: 'string', default: undefined, doc: 'Command to run.' },
  shell: { format: 'string', default: '', doc: 'Shell to run the command with.' },
  restart: { format: 'bool', default: false, doc: 'Restart the command when it exits.' },
  restartThrottle: { format: 'int', default: 10000, min: 0, doc: 'Milliseconds before a restart.' },
  logStdErr: { format: 'bool', default: false, doc: 'Log the command\'s stderr.' },
  batchSize: { format: 'int', default: 20, doc: 'Lines per batch.', min: 1 },
  batchTimeout: { format: 'int', default: 3000, min: 1, doc: 'Milliseconds before a partial batch goes.' },
  charset: { format: 'string', default: 'UTF-8', doc: 'Charset of the output.' },
  maxLineLength: { format: 'int', default: 16777216, min: 1, doc: 'Longest line.' },
} as const satisfies KeySpecs;

export const fakeExecSource: SourceFactory<typeof EXEC_KEYS> = {
  kind: 'source',
  type: 'exec',
  aliases: ['org.apache.flume.source.ExecSource'],
  doc: 'Reads the output of a command.',
  keys: EXEC_KEYS,
  batchSizeKey: 'batchSize',
  create: notInConfigTests,
};

const NETCAT_KEYS = {
  bind: { format: 'host', default: undefined, doc: 'Address to listen on.' },
  port: { format: 'port', default: undefined, doc: 'Port to listen on.' },
  'max-line-length': { format: 'int', default: 512, doc: 'Longest line in bytes.', min: 1 },
  'ack-every-event': { format: 'bool', default: true, doc: 'Answer OK per line.' },
  encoding: { format: 'string', default: 'utf-8', doc: 'Charset of the lines.' },
  maxConnections: { format: 'int', default: 1000, min: 1, doc: 'Most connections at once.' },
  batchSize: { format: 'int', default: 100, min: 1, doc: 'Lines per batch.' },
} as const satisfies KeySpecs;

export const fakeNetcatSource: SourceFactory<typeof NETCAT_KEYS> = {
  kind: 'source',
  type: 'netcat',
  aliases: ['org.apache.flume.source.NetcatSource'],
  doc: 'Lines over TCP.',
  keys: NETCAT_KEYS,
  batchSizeKey: 'batchSize',
  resources: (c) => [{ kind: 'tcp-port', host: c.bind, port: c.port, key: 'port' }],
  create: notInConfigTests,
};

const LOGGER_KEYS = {
  maxBytesToLog: { format: 'int', default: 16, doc: 'Body bytes shown per event.', min: 0 },
  batchSize: { format: 'int', default: 100, min: 1, doc: 'Events per delivery.' },
} as const satisfies KeySpecs;

export const fakeLoggerSink: SinkFactory<typeof LOGGER_KEYS> = {
  kind: 'sink',
  type: 'logger',
  aliases: ['org.apache.flume.sink.LoggerSink'],
  doc: 'Logs events.',
  keys: LOGGER_KEYS,
  batchSizeKey: 'batchSize',
  create: notInConfigTests,
};

const FILE_ROLL_KEYS = {
  'sink.directory': { format: 'string', default: undefined, doc: 'Output directory.' },
  'sink.rollInterval': { format: 'int', default: 30, doc: 'Seconds per file (0 = never roll).', min: 0 },
  'sink.batchSize': { format: 'int', default: 100, doc: 'Events per batch.', min: 1 },
  'sink.pathManager': {
    format: ['default', 'org.apache.flume.formatter.output.DefaultPathManager$Builder', 'rolltime', 'org.apache.flume.formatter.output.RollTimePathManager$Builder'],
    default: 'default',
    doc: 'File naming.',
  },
  'sink.pathManager.prefix': { format: 'string', default: '', doc: 'File name prefix.' },
  'sink.pathManager.extension': { format: 'string', default: '', doc: 'File name extension.' },
  'sink.serializer': {
    format: [
      'TEXT',
      'org.apache.flume.serialization.BodyTextEventSerializer$Builder',
      'header_and_text',
      'org.apache.flume.serialization.HeaderAndBodyTextEventSerializer$Builder',
      'avro_event',
      'org.apache.flume.serialization.FlumeEventAvroEventSerializer$Builder',
    ],
    default: 'TEXT',
    doc: 'How events are written.',
  },
  'sink.serializer.appendNewline': { format: 'bool', default: true, doc: 'A newline after each body.' },
} as const satisfies KeySpecs;

export const fakeFileRollSink: SinkFactory<typeof FILE_ROLL_KEYS> = {
  kind: 'sink',
  type: 'file_roll',
  aliases: ['org.apache.flume.sink.RollingFileSink'],
  doc: 'Rolling files.',
  keys: FILE_ROLL_KEYS,
  batchSizeKey: 'sink.batchSize',
  create: notInConfigTests,
};

const REPLICATING_KEYS = {
  optional: { format: 'list-ws', default: [], doc: 'Channels written best-effort.' },
} as const satisfies KeySpecs;

export const fakeReplicatingSelector: SelectorFactory<typeof REPLICATING_KEYS> = {
  kind: 'selector',
  type: 'replicating',
  aliases: ['org.apache.flume.channel.ReplicatingChannelSelector'],
  doc: 'Every event to every channel.',
  keys: REPLICATING_KEYS,
  checkChannels: (config, channels) =>
    config.optional.filter((c) => !channels.includes(c)).map((c) => ({ key: 'optional', message: `${c} is not a channel of this source (its channels: ${channels.join(' ')})` })),
  create: notInConfigTests,
};

const MULTIPLEXING_KEYS = {
  header: { format: 'string', default: 'flume.selector.header', doc: 'Header to route on.' },
  default: { format: 'list-ws', default: [], doc: 'Channels for unmapped values.' },
} as const satisfies KeySpecs;

export const fakeMultiplexingSelector: SelectorFactory<typeof MULTIPLEXING_KEYS> = {
  kind: 'selector',
  type: 'multiplexing',
  aliases: ['org.apache.flume.channel.MultiplexingChannelSelector'],
  doc: 'Routes on a header.',
  keys: MULTIPLEXING_KEYS,
  dynamicKeys: {
    'mapping.': { format: 'list-ws', default: [], doc: 'Channels for one header value.' },
    'optional.': { format: 'list-ws', default: [], doc: 'Optional channels for one header value.' },
  },
  create: notInConfigTests,
};

export const fakeDefaultProcessor: ProcessorFactory<Record<never, never>> = {
  kind: 'processor',
  type: 'default',
  aliases: ['org.apache.flume.sink.DefaultSinkProcessor'],
  doc: 'One sink.',
  keys: {},
  create: notInConfigTests,
};

const FAILOVER_KEYS = {
  maxpenalty: { format: 'int', default: 30000, doc: 'Longest back-off of a failed sink, in ms.', min: 0 },
} as const satisfies KeySpecs;

export const fakeFailoverProcessor: ProcessorFactory<typeof FAILOVER_KEYS> = {
  kind: 'processor',
  type: 'failover',
  aliases: ['org.apache.flume.sink.FailoverSinkProcessor'],
  doc: 'Highest priority live sink.',
  keys: FAILOVER_KEYS,
  dynamicKeys: { 'priority.': { format: 'int', default: 0, doc: 'Priority of one sink (higher first).' } },
  create: notInConfigTests,
};

const TIMESTAMP_KEYS = {
  headerName: { format: 'string', default: 'timestamp', doc: 'Header to set.' },
  preserveExisting: { format: 'bool', default: false, doc: 'Keep an existing header.' },
} as const satisfies KeySpecs;

export const fakeTimestampInterceptor: InterceptorFactory<typeof TIMESTAMP_KEYS> = {
  kind: 'interceptor',
  type: 'timestamp',
  aliases: ['org.apache.flume.interceptor.TimestampInterceptor$Builder'],
  doc: 'Sets the time.',
  keys: TIMESTAMP_KEYS,
  create: notInConfigTests,
};

const STATIC_KEYS = {
  key: { format: 'string', default: 'key', doc: 'Header name.' },
  value: { format: 'string', default: 'value', doc: 'Header value.' },
  preserveExisting: { format: 'bool', default: true, doc: 'Keep an existing header.' },
} as const satisfies KeySpecs;

export const fakeStaticInterceptor: InterceptorFactory<typeof STATIC_KEYS> = {
  kind: 'interceptor',
  type: 'static',
  aliases: ['org.apache.flume.interceptor.StaticInterceptor$Builder'],
  doc: 'Sets a fixed header.',
  keys: STATIC_KEYS,
  create: notInConfigTests,
};

/** Every fake, as an agent would list its factories. */
export const fakeFactories: readonly AnyFactory[] = [
  fakeMemoryChannel,
  fakeSeqSource,
  fakeExecSource,
  fakeNetcatSource,
  fakeLoggerSink,
  fakeFileRollSink,
  fakeReplicatingSelector,
  fakeMultiplexingSelector,
  fakeDefaultProcessor,
  fakeFailoverProcessor,
  fakeTimestampInterceptor,
  fakeStaticInterceptor,
];
