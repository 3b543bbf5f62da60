/**
 * How a route declares who may call it (`@Authenticated`, `@Public`), who is calling
 * (`Principal`, `@CurrentPrincipal`) and the org-scope rule. A shared kernel: every feature's
 * controllers use it, while the auth module, which checks the credentials, depends on features
 * (devices, certificates) — so these declarations cannot live in auth without a cycle.
 */
export * from './admin-roles.js';
export * from './auth.errors.js';
export * from './authenticated.decorator.js';
export * from './current-principal.decorator.js';
export * from './org-scope.guard.js';
export * from './principal.js';
export * from './public-route.js';
