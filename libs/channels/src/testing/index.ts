export { slowDiskFileChannel } from './slow-disk.js';
