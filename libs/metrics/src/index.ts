export * from './snapshot.js';
export * from './counter-totals.js';
export * from './gauges.js';
export * from './flume-names.js';
export * from './flume-json.js';
export * from './fill-percentage.js';
export * from './java-double.js';
export * from './prometheus.js';
