/** The admin-auth module's public surface: the app module, and the auth module's admin strategies. */
export * from './admin-auth.module.js';
export * from './admin-auth.errors.js';
export * from './admin-cookies.js';
export { AdminCredentialsService, csrfTokenOf, type ResolvedCredential } from './admin-credentials.service.js';
export * from './sealed-columns.js';
