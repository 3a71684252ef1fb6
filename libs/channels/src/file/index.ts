export { fileChannel } from './file-channel.js';
export { FileChannelStore, FILE_CHANNEL_COUNTERS, type FileStoreOptions, type FileStoreContext } from './file-store.js';
