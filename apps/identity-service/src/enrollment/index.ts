/** The enrollment module's public surface: other modules import only from here. */
export * from './enrollment.module.js';
export * from './device-certification.service.js';
export * from './enrollment.errors.js';
export * from './sessions/enrollment-session.entity.js';
export * from './sessions/sealed-columns.js';
// Admin sign-in uses the same OIDC client and ID token validation (one implementation per protocol).
export * from './oidc/id-token-authenticator.js';
export * from './oidc/idp-metadata.js';
export { ENROLLMENT_SCOPE, idpClient, oauthErrorOf } from './oidc/idp-client.js';
export { mfaAuthorizationParameters } from './oidc/mfa-request.js';
export { enrollmentPolicyOf } from './policy/enrollment-policy.js';
// Admin sign-in's public routes are anonymous levers too: counted per client address the same way.
export { AnonymousLimit } from './limits/anonymous-limit.guard.js';
export { confirmationCodeHash, mintConfirmationCode } from './sessions/confirmation-code.js';
export { esc, HTML_HEADERS, page } from './pages/html.js';
export * from './sessions/session-org.js';
