export * from './channel-client.js';
export * from './channel-server.js';
export * from './codec.js';
export * from './endpoint.js';
