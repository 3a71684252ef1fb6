export { slowDiskFileChannel } from './slow-disk.js';
export { bodies, describeStoreContract, numbered, type StoreHarness } from './store-contract.js';
