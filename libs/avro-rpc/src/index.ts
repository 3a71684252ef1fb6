/**
 * @sluice/avro-rpc: Flume-compatible Avro RPC (AvroSourceProtocol) client and server, with
 * Netty framing, the Avro IPC handshake, `compression-type = deflate` and TLS layered as in
 * Flume 1.11. Batches travel as the encoded `array<AvroFlumeEvent>` bytes, never re-encoded.
 */
export { createAvroServer } from './avro-server.js';
export type {
  AppendBatchHandler,
  AppendContext,
  AvroServer,
  AvroServerCounters,
  AvroServerOptions,
  PeerInfo,
  ServerTlsOptions,
} from './avro-server.js';
export { createAvroClient } from './avro-client.js';
export type { AvroClient, AvroClientOptions, AvroClientStats, CallOptions, ClientTlsOptions } from './avro-client.js';
export { createIpFilter, parseIpFilterRules } from './ip-filter.js';
export type { IpFilter, IpFilterOptions, IpFilterRule } from './ip-filter.js';
export { AVRO_SOURCE_PROTOCOL_HASH, AVRO_SOURCE_PROTOCOL_TEXT, STATUS_SYMBOLS } from './protocol.js';
export type { MessageName, Status } from './protocol.js';
export type { Compression } from './transport.js';
export { DEFAULT_COMPRESSION_LEVEL } from './zlib-duplex.js';
export { DEFAULT_FRAME_LIMITS } from './netty-framing.js';
export { checkStoreType, FLUME_DEFAULT_STORE_TYPE, jceksRemedy, readKeystore, readPemKeyPair, readTruststore } from './tls-stores.js';
export type { StoreSpec } from './tls-stores.js';
export type { StoreRef } from './key-material.js';
export { readPkcs12Certificates } from './pkcs12-certs.js';
export { tlsVersionRange } from './tls-versions.js';
/** For tests: throwaway certificate files (PEM, PKCS12, a JCEKS-looking file; JKS with keytool) made with openssl. */
export { makeTestCertFiles, type TestCertFiles } from './testing/test-cert-files.js';
