export * from './batch-codec.js';
export * from './batch.js';
export * from './component.js';
export * from './counters.js';
export * from './errors.js';
export * from './event.js';
export * from './logger.js';
export * from './protocol.js';
