/** The audit module's public surface: other modules import only from here. */
export * from './audit.module.js';
export * from './audit-event.entity.js';
export * from './audit.service.js';
export { chainEntryOf } from './audit-chain-row.js';
export { runWithAuditContext, type AuditContext } from './audit-context.js';
export * from './audit.errors.js';
export * from './audit-query.js';
