/** @sluice/testkit: what the libs' tests share; never part of the product. */
export { ControlledSourceContext, type RecordedEmit } from './controlled-source-context.js';
export { fakeContext, NO_ABORT, type FakeContext } from './fake-context.js';
export { LEVEL, logged, memoryLogger, type LogRecord } from './memory-logger.js';
export { describeSinkContract, type SinkContractOptions, type SinkUnderTest } from './sink-contract.js';
export { describeSourceContract, type SourceContractOptions, type SourceUnderTest, type UpstreamAck } from './source-contract.js';
export { waitUntil } from './wait-until.js';
