/** The admin module's public surface: other modules import only from here. */
export * from './admin.module.js';
