import { ORG_ADMIN_ROLES, type OrgAdminRole } from '../common/access/index.js';
import { isEmailDomain } from '#x509-profile';
import { isBrowserOrigin } from './browser-origin.js';
import { OrgErrors } from './orgs.errors.js';

/**
 * Org policy as data (stored in org.settings, validated here with safe defaults), never as
 * per-org code paths. Each capability owns one section.
 */
export interface CertificatePolicy {
  /** Device certificate lifetime: short, so revocation matters less (max 30 days). */
  lifetimeDays: number;
  /** Key algorithm of new org CAs. */
  caAlgorithm: 'Ed25519' | 'P-256';
  /**
   * Renewal without a new IdP sign-in is refused once the last sign-in is older than this; the
   * device then re-authenticates (same device, same identity). null: never (an explicit choice).
   */
  reauthenticateAfterDays: number | null;
  /**
   * A device whose newest certificate ended this many days ago without a renewal or a
   * re-authentication becomes `expired`: removed from its groups, no longer counted.
   */
  expiredDeviceGraceDays: number;
  /**
   * A superseded certificate is revoked (reason superseded) once a group shows the device's
   * new certificate, or this many days after it was superseded, whichever comes first.
   */
  supersededGraceDays: number;
  /** nextUpdate - thisUpdate of the org's CRLs. */
  crlValidityMinutes: number;
  /**
   * The email domains the org has verified (lower case, exact: `example.com` does not cover
   * `mail.example.com`). When set, a device certificate certifies only an email in them:
   * enrollment and renewal of an account whose email is elsewhere are refused
   * (`email_domain_not_verified`), and new intermediates carry matching rfc822Name name
   * constraints. Empty: emails are certified as SCIM or the IdP supplied them.
   */
  verifiedEmailDomains: string[];
}

export interface RemovalPolicy {
  /** A removal not committed this long after it was planned is overdue (listed, counted, alerted). */
  overdueAfterMinutes: number;
  /**
   * A group with open removals whose delivery service has not reported it for this long (since
   * the later of its last report and its oldest open removal) is stale: listed, counted, alerted.
   */
  reportStaleAfterMinutes: number;
}

/**
 * Who may add members to an MLS group (issue 12 §4): `members`, any member may Add any active
 * account; `admins-only`, only a room admin may (a member may still add its own account's
 * other devices, as it may remove them).
 */
export const MEMBERSHIP_POLICIES = ['members', 'admins-only'] as const;
export type MembershipPolicy = (typeof MEMBERSHIP_POLICIES)[number];

/** MLS group policy defaults (the removals module reads them; a room admin may override them per group). */
export interface GroupPolicy {
  membershipPolicy: MembershipPolicy;
}

/** Who may enroll which device (the enrollment module reads it). */
export interface EnrollmentPolicy {
  /** Create the account at first sign-in when SCIM has not provisioned it. */
  allowJitAccounts: boolean;
  maxActiveDevicesPerAccount: number;
  /** At the limit: refuse the new device, or revoke the account's oldest active device. */
  onLimit: 'refuse' | 'revoke-oldest';
  /** RFC 9420 cipher suites a device may enroll with. */
  allowedCiphersuites: number[];
  /** null: any platform. */
  allowedPlatforms: string[] | null;
  /** The enrollment flows the org accepts (an org without a kiosk fleet may refuse the device flow). */
  allowedFlows: EnrollmentFlowName[];
  /**
   * Redirect and device flows send `max_age` with this many seconds and refuse an ID token whose
   * `auth_time` is older (an SSO session from last week does not enroll a device). Native-flow
   * tokens that carry `auth_time` are held to it too.
   */
  maxSignInAgeS: number;
  /** Redirect and device flows send `prompt=login`: the person types their credentials again. */
  promptLogin: boolean;
  /**
   * Redirect and device enrollments started (anonymously) and not yet ended or expired: a start
   * beyond this is refused (`pending_enrollments_limit`, 429), so nobody fills the table.
   */
  maxPendingSessions: number;
}

export type EnrollmentFlowName = 'native' | 'redirect' | 'device';

/** SCIM provisioning policy. */
export interface ScimPolicy {
  /**
   * The entitlement group (by SCIM id, or by displayName): when set, an account removed
   * from it is deprovisioned as if the IdP had deactivated it.
   */
  entitlementGroupId: string | null;
  entitlementGroupDisplayName: string | null;
}

/**
 * Admin roles from the IdP (issue 15): an admin signing in through one of the org's IdP
 * connections holds the roles its groups map to, evaluated at each sign-in. Okta sends group
 * names, Entra group object ids: the map's keys are whatever the claim carries.
 */
export interface AdminRolesPolicy {
  /** The ID token claim that lists the admin's groups. */
  groupsClaim: string;
  /** Group (name or id, as in the claim) -> org role. Empty: nobody signs in as admin. */
  map: Record<string, OrgAdminRole>;
}

/**
 * Browser apps of the org (issue 13 §8): the origins whose pages may call enrollment, renewal,
 * enrollment status and key-transparency reads cross-origin. Empty: none (nothing is open by
 * default).
 */
export interface CorsPolicy {
  allowedOrigins: string[];
}

export interface OrgSettings {
  certificates: CertificatePolicy;
  removals: RemovalPolicy;
  groups: GroupPolicy;
  enrollment: EnrollmentPolicy;
  scim: ScimPolicy;
  adminRoles: AdminRolesPolicy;
  cors: CorsPolicy;
}

export const DEFAULT_SETTINGS: OrgSettings = {
  certificates: {
    lifetimeDays: 7,
    caAlgorithm: 'Ed25519',
    // A fresh IdP sign-in each quarter: a person the IdP no longer knows loses the device even
    // when SCIM never told us, and a device re-authenticates in place (no new identity).
    reauthenticateAfterDays: 90,
    crlValidityMinutes: 60,
    expiredDeviceGraceDays: 14,
    supersededGraceDays: 2,
    verifiedEmailDomains: [],
  },
  removals: { overdueAfterMinutes: 5, reportStaleAfterMinutes: 10 },
  groups: { membershipPolicy: 'members' },
  // No account appears by itself, and a handful of devices per person.
  enrollment: {
    allowJitAccounts: false,
    maxActiveDevicesPerAccount: 10,
    onLimit: 'refuse',
    allowedCiphersuites: [0x0001, 0x0002, 0x0003, 0x0007],
    allowedPlatforms: null,
    allowedFlows: ['native', 'redirect', 'device'],
    maxSignInAgeS: 600,
    promptLogin: false,
    maxPendingSessions: 200,
  },
  scim: { entitlementGroupId: null, entitlementGroupDisplayName: null },
  adminRoles: { groupsClaim: 'groups', map: {} },
  cors: { allowedOrigins: [] },
};

type Check = (value: unknown) => string | null;

const intIn =
  (min: number, max: number): Check =>
  (v) =>
    Number.isInteger(v) && (v as number) >= min && (v as number) <= max ? null : `must be a whole number from ${min} to ${max}`;
const oneOf =
  (...options: string[]): Check =>
  (v) =>
    options.includes(v as string) ? null : `must be one of ${options.join(', ')}`;
const nullable =
  (check: Check): Check =>
  (v) =>
    v === null ? null : check(v);
const boolean: Check = (v) => (typeof v === 'boolean' ? null : 'must be true or false');
const listOf =
  (what: string, item: (x: unknown) => boolean, max = 64): Check =>
  (v) =>
    Array.isArray(v) && v.length > 0 && v.length <= max && v.every(item) ? null : `must be a non-empty list of ${what}`;
const domainList: Check = (v) =>
  Array.isArray(v) && v.length <= 64 && v.every(isEmailDomain) && new Set(v).size === v.length
    ? null
    : 'must be a list of at most 64 distinct lower-case domain names (e.g. "example.com")';
const originList: Check = (v) =>
  Array.isArray(v) && v.length <= 32 && v.every(isBrowserOrigin) && new Set(v).size === v.length
    ? null
    : 'must be a list of at most 32 distinct origins, each exactly scheme://host[:port] (https, or http on localhost)';
const uuid: Check = (v) =>
  typeof v === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v) ? null : 'must be a UUID';
const text =
  (max: number): Check =>
  (v) =>
    typeof v === 'string' && v.length > 0 && v.length <= max ? null : `must be a string of 1 to ${max} characters`;

/** A group -> role map: keys as IdPs send them (names or GUIDs), values org roles (never platform-admin). */
const roleMap: Check = (v) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'must be an object of group -> role';
  const entries = Object.entries(v);
  if (entries.length > 256) return 'must map at most 256 groups';
  for (const [group, role] of entries) {
    // Keys become object members: nothing that would reach a prototype.
    if (group.length === 0 || group.length > 256 || ['__proto__', 'constructor', 'prototype'].includes(group)) {
      return `has an unusable group key "${group.slice(0, 64)}"`;
    }
    if (!(ORG_ADMIN_ROLES as readonly string[]).includes(role as string)) {
      return `maps "${group.slice(0, 64)}" to "${String(role)}": roles are ${ORG_ADMIN_ROLES.join(', ')}`;
    }
  }
  return null;
};
const claimName: Check = (v) => (typeof v === 'string' && /^[A-Za-z_][A-Za-z0-9_.:/-]{0,127}$/.test(v) ? null : 'must be a claim name');

const RULES: { [S in keyof OrgSettings]: { [K in keyof OrgSettings[S]]: Check } } = {
  certificates: {
    lifetimeDays: intIn(1, 30),
    caAlgorithm: oneOf('Ed25519', 'P-256'),
    reauthenticateAfterDays: nullable(intIn(1, 3650)),
    crlValidityMinutes: intIn(5, 7 * 24 * 60),
    expiredDeviceGraceDays: intIn(0, 365),
    supersededGraceDays: intIn(0, 30),
    verifiedEmailDomains: domainList,
  },
  removals: {
    overdueAfterMinutes: intIn(1, 7 * 24 * 60),
    reportStaleAfterMinutes: intIn(1, 7 * 24 * 60),
  },
  groups: {
    membershipPolicy: oneOf(...MEMBERSHIP_POLICIES),
  },
  enrollment: {
    allowJitAccounts: boolean,
    maxActiveDevicesPerAccount: intIn(1, 1000),
    onLimit: oneOf('refuse', 'revoke-oldest'),
    allowedCiphersuites: listOf('cipher suite numbers', (c) => Number.isInteger(c) && (c as number) > 0 && (c as number) <= 0xffff),
    allowedPlatforms: nullable(listOf('lower-case platform names', (p) => typeof p === 'string' && /^[a-z0-9][a-z0-9._-]{0,31}$/.test(p))),
    allowedFlows: listOf('flows (native, redirect, device)', (f) => f === 'native' || f === 'redirect' || f === 'device', 3),
    maxSignInAgeS: intIn(60, 24 * 60 * 60),
    promptLogin: boolean,
    maxPendingSessions: intIn(1, 100_000),
  },
  scim: {
    entitlementGroupId: nullable(uuid),
    entitlementGroupDisplayName: nullable(text(256)),
  },
  adminRoles: {
    groupsClaim: claimName,
    map: roleMap,
  },
  cors: {
    allowedOrigins: originList,
  },
};

/** Problems with a settings document (partial allowed), as `section.key must ...` lines. */
export function settingsProblems(input: unknown): string[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return ['settings must be an object'];
  const problems: string[] = [];
  for (const [section, values] of Object.entries(input)) {
    const rules = (RULES as Record<string, Record<string, Check>>)[section];
    if (!rules) {
      problems.push(`unknown settings section "${section}"`);
      continue;
    }
    if (typeof values !== 'object' || values === null || Array.isArray(values)) {
      problems.push(`${section} must be an object`);
      continue;
    }
    for (const [key, value] of Object.entries(values)) {
      const check = rules[key];
      const problem = check ? check(value) : 'is not a known setting';
      if (problem) problems.push(`${section}.${key} ${problem}`);
    }
  }
  return problems;
}

/** The effective settings: stored values over defaults (stored values were validated on write). */
export function effectiveSettings(stored: Record<string, unknown> | null | undefined): OrgSettings {
  const out = structuredClone(DEFAULT_SETTINGS) as unknown as Record<string, Record<string, unknown>>;
  for (const [section, values] of Object.entries(stored ?? {})) {
    if (out[section] && typeof values === 'object' && values !== null) Object.assign(out[section], values);
  }
  return out as unknown as OrgSettings;
}

/** Merges a validated partial update into stored settings; 400 with every problem otherwise. */
export function mergeSettings(stored: Record<string, unknown>, patch: unknown): Record<string, unknown> {
  const problems = settingsProblems(patch);
  if (problems.length > 0) OrgErrors.raise('invalid_settings', 'the request is not valid', { errors: problems });
  const merged: Record<string, Record<string, unknown>> = structuredClone(stored) as Record<string, Record<string, unknown>>;
  for (const [section, values] of Object.entries(patch as Record<string, Record<string, unknown>>)) {
    merged[section] = { ...(merged[section] ?? {}), ...values };
  }
  return merged;
}
