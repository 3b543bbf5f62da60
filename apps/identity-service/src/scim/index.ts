/** The scim module's public surface: other modules import only from here. */
export * from './scim.module.js';
