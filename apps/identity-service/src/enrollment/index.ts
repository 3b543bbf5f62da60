/** The enrollment module's public surface: other modules import only from here. */
export * from './enrollment.module.js';
export * from './device-certification.service.js';
export * from './enrollment.errors.js';
export * from './sessions/enrollment-session.entity.js';
export * from './sessions/sealed-columns.js';
export * from './sessions/session-org.js';
