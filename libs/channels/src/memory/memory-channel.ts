import { getHeapStatistics } from 'node:v8';
import { defineFactory } from '@sluice/config';
import { MemoryStore } from './memory-store.js';

/** Flume's default byteCapacity: 80% of the process's heap limit. */
const DEFAULT_BYTE_CAPACITY = Math.floor(getHeapStatistics().heap_size_limit * 0.8);

export const memoryChannel = defineFactory({
  kind: 'channel',
  type: 'memory',
  aliases: ['org.apache.flume.channel.MemoryChannel'],
  doc: 'Keeps events in the channel worker\'s memory: fast, and lost if that process dies.',
  keys: {
    capacity: { format: 'int', default: 100, min: 1, doc: 'Most events the channel holds.' },
    transactionCapacity: { format: 'int', default: 100, min: 1, doc: 'Most events one put or take may carry.' },
    byteCapacity: {
      format: 'int',
      default: DEFAULT_BYTE_CAPACITY,
      defaultDoc: '80% of the worker heap',
      min: 0,
      doc: 'Most body bytes the channel holds (bodies only, as Flume); 0 means no limit. Default: 80% of the worker heap.',
    },
    byteCapacityBufferPercentage: {
      format: 'int',
      default: 20,
      min: 0,
      max: 100,
      doc: 'Percentage of byteCapacity kept in reserve for headers.',
    },
    'keep-alive': { format: 'int', default: 3, min: 0, doc: 'Seconds a put waits for room in a full channel before the sender is told it is full (as Flume); at most half the data-plane request timeout.' },
  },
  check(config) {
    return config.transactionCapacity > config.capacity
      ? [`transactionCapacity (${config.transactionCapacity}) must not exceed capacity (${config.capacity})`]
      : [];
  },
  create(config) {
    return new MemoryStore({
      capacity: config.capacity,
      byteBudget: Math.floor((config.byteCapacity * (100 - config.byteCapacityBufferPercentage)) / 100),
    });
  },
});
