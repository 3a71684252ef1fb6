import { getHeapStatistics } from 'node:v8';
import { channelKeys, defineFactory } from '@sluice/config';
import { MemoryStore } from './memory-store.js';

/** Flume's default byteCapacity: 80% of the process's heap limit. */
const DEFAULT_BYTE_CAPACITY = Math.floor(getHeapStatistics().heap_size_limit * 0.8);

export const memoryChannel = defineFactory({
  kind: 'channel',
  type: 'memory',
  aliases: ['org.apache.flume.channel.MemoryChannel'],
  doc: 'Keeps events in the channel worker\'s memory: fast, and lost if that process dies.',
  durability: 'volatile',
  keys: {
    ...channelKeys({ capacity: 100, transactionCapacity: 100 }),
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
  },
  create(config) {
    return new MemoryStore({
      capacity: config.capacity,
      byteBudget: Math.floor((config.byteCapacity * (100 - config.byteCapacityBufferPercentage)) / 100),
    });
  },
});
