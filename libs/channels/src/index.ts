export * from './file/index.js';
export * from './memory/memory-channel.js';
export * from './memory/memory-store.js';

import { fileChannel } from './file/index.js';
import { memoryChannel } from './memory/memory-channel.js';

/** Every channel type, for the agent's registry. */
export const CHANNEL_FACTORIES = [memoryChannel, fileChannel] as const;
