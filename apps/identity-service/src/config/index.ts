/** The config module's public surface: other modules import only from here. */
export * from './config.module.js';
export * from './app-config.js';
