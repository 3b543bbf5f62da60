/** The metrics module's public surface: other modules import only from here. */
export * from './metrics.module.js';
export * from './metrics.js';
export * from './metrics-server.js';
