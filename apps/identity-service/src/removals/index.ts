/** The removals module's public surface: other modules import only from here. */
export * from './removals.module.js';
export * from './device-memberships.service.js';
export * from './external-sender.entity.js';
export * from './external-sender.service.js';
export * from './group-registry.service.js';
export * from './leaf-credentials.js';
export * from './mls-group.entity.js';
export * from './membership-policy.service.js';
export * from './mls-input.js';
export { GROUP_REPORT_BODY_LIMIT, isGroupReportRequest } from './dto/removals.dto.js';
export * from './removals.errors.js';
export * from './removal.entity.js';
export * from './webhook-delivery.entity.js';
export * from './webhook-events.js';
