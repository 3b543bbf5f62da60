import type { AdminRole } from './admin-roles.js';

/**
 * Who is calling, resolved by one of the passport strategies. Every principal but a platform
 * admin belongs to exactly one org, and every query it makes is scoped to it.
 */
export type Principal =
  | {
      kind: 'admin';
      actor: string;
      /** null only for a platform admin (the operator, or the break-glass token). */
      orgId: string | null;
      orgSlug: string | null;
      roles: readonly AdminRole[];
      /** How the admin authenticated: the break-glass ADMIN_TOKEN, a console session, a bearer token. */
      via: 'break-glass' | 'session' | 'bearer';
    }
  | { kind: 'scim'; actor: string; orgId: string; orgSlug: string; tokenId: string }
  | { kind: 'ds'; actor: string; orgId: string; orgSlug: string; clientId: string }
  | { kind: 'auditor'; actor: string; orgId: string; orgSlug: string; tokenId: string }
  | {
      kind: 'device';
      actor: string;
      orgId: string;
      orgSlug: string;
      deviceId: string;
      accountId: string;
      /** The certificate whose key signed the request. */
      certificateId: string;
    };

export type PrincipalKind = Principal['kind'];
export type AdminPrincipal = Extract<Principal, { kind: 'admin' }>;
