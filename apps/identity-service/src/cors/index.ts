/** The cors module's public surface: other modules import only from here. */
export * from './cors.module.js';
export * from './cors.errors.js';
