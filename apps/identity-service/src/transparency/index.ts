/** The transparency module's public surface: other modules import only from here. */
export * from './transparency.module.js';
export * from './kt-event.js';
export * from './kt-log.entity.js';
export * from './kt-reader.service.js';
export * from './transparency.errors.js';
export * from './audit-anchors.service.js';
export * from './kt-logs.service.js';
