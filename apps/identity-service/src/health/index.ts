/** The health module's public surface: other modules import only from here. */
export * from './health.module.js';
export * from './shutdown-state.js';
export * from './readiness-checks.js';
export * from './health.errors.js';
