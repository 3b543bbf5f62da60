/** The auth module's public surface: other modules import only from here. */
export * from './auth.module.js';
export * from './authenticated.decorator.js';
export * from './current-principal.decorator.js';
export * from './principal.js';
export * from './auth.errors.js';
