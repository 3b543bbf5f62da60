/** The orgs module's public surface: other modules import only from here. */
export * from './orgs.module.js';
export * from './auditor-token.entity.js';
export * from './auditor-tokens.service.js';
export * from './bearer-token.js';
export * from './connection-admin.service.js';
export * from './browser-origin.js';
export * from './credentials.service.js';
export * from './ds-client.entity.js';
export * from './idp-connection.entity.js';
export * from './org-settings.js';
export * from './org.entity.js';
export * from './orgs.service.js';
export * from './scim-token.entity.js';
export * from './org-param.js';
export * from './orgs.errors.js';
export * from './removal-sla.js';
export * from './sealed-columns.js';
