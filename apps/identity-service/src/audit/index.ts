/** The audit module's public surface: other modules import only from here. */
export * from './audit.module.js';
export * from './audit-event.entity.js';
export * from './audit.service.js';
