/** The delivery module's public surface: other modules import only from here. */
export * from './delivery.module.js';
export * from './delivery.errors.js';
export * from './delivery.reasons.js';
