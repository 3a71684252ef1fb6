import type { KeySpecs, ProcessorFactory } from '@sluice/config';
import { SluiceError } from '@sluice/core';

export const DEFAULT_PROCESSOR_KEYS = {} as const satisfies KeySpecs;

/** `default`: a group of exactly one sink; every batch goes to it, with its batch size. */
export const defaultProcessor: ProcessorFactory<typeof DEFAULT_PROCESSOR_KEYS> = {
  kind: 'processor',
  type: 'default',
  aliases: ['org.apache.flume.sink.DefaultSinkProcessor'],
  doc: 'Passes every batch to the single sink of the group.',
  keys: DEFAULT_PROCESSOR_KEYS,
  create(_config, sinks) {
    if (sinks.length !== 1) {
      const names = sinks.map((s) => s.name).join(' ');
      throw new SluiceError('SLUICE_ERR_CONFIG', `the default sink processor takes exactly one sink, got ${sinks.length}${names ? ` (${names})` : ''}`);
    }
    const { sink } = sinks[0]!;
    return { batchSize: sink.batchSize, deliver: (batch, signal) => sink.deliver(batch, signal) };
  },
};
