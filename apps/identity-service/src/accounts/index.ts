/** The accounts module's public surface: other modules import only from here. */
export * from './accounts.module.js';
export * from './account-admin.service.js';
export * from './account-deprovisioning.service.js';
export { ACCOUNT_SEARCH_FIELDS, ACCOUNT_STATUSES, type AccountSearchField, type AccountStatus } from './account-search.queries.js';
export * from './account-directory.service.js';
export * from './account-sql-attributes.js';
export * from './account.entity.js';
export * from './accounts.errors.js';
export * from './group-directory.service.js';
export * from './scim-group.entity.js';
