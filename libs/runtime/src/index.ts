export * from './dirs.js';
export * from './pid-lock.js';
export * from './registry.js';
export * from './restart-policy.js';
export * from './supervisor.js';
export * from './worker-spec.js';
export * from './components-doc.js';
export * from './control-protocol.js';
