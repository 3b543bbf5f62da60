/** The disclosure module's public surface: other modules import only from here. */
export * from './disclosure.module.js';
