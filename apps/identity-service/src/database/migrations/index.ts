import { Foundation1732600000000 } from './1732600000000-foundation.js';
import { AccountsDevicesCertificates1732600001000 } from './1732600001000-accounts-devices-certificates.js';
import { DeviceCa1732600002000 } from './1732600002000-device-ca.js';
import { ScimGroups1732600004000 } from './1732600004000-scim-groups.js';
import { Enrollment1732600040000 } from './1732600040000-enrollment.js';
import { KeyTransparency1732600060000 } from './1732600060000-key-transparency.js';
import { CrlStaleness1732600070000 } from './1732600070000-crl-staleness.js';
import { MlsRemovals1732600080000 } from './1732600080000-mls-removals.js';
import { MlsGroupTrust1733100000000 } from './1733100000000-mls-group-trust.js';
import { DeviceLifecycle1733200000000 } from './1733200000000-device-lifecycle.js';
import { OutboxLeases1733300000000 } from './1733300000000-outbox-leases.js';
import { WebhookSubscriptions1733300001000 } from './1733300001000-webhook-subscriptions.js';
import { EnrollmentConfirmation1733400000000 } from './1733400000000-enrollment-confirmation.js';
import { IdpVerifiedEmailBinding1733400001000 } from './1733400001000-idp-verified-email-binding.js';
import { EnrollmentSessionExpiryIndex1733400002000 } from './1733400002000-enrollment-session-expiry-index.js';
import { GroupMembershipPolicy1733500000000 } from './1733500000000-group-membership-policy.js';
import { TokenCustody1733600000000 } from './1733600000000-token-custody.js';
import { AccountIdpBindings1734000000000 } from './1734000000000-account-idp-bindings.js';
import { EnrollmentLimits1734100000000 } from './1734100000000-enrollment-limits.js';
import { AdminSignIn1734200000000 } from './1734200000000-admin-sign-in.js';
import { AdminManagement1734300000000 } from './1734300000000-admin-management.js';
import { AuditChain1734400000000 } from './1734400000000-audit-chain.js';
import { KeyRotations1734500000000 } from './1734500000000-key-rotations.js';
import { CredentialChangeNotify1734600000000 } from './1734600000000-credential-change-notify.js';
import { KtLogChangeNotify1734600001000 } from './1734600001000-kt-log-change-notify.js';

/** Every migration, oldest first. Schema changes are made only through these (no synchronize). */
export const migrations = [
  Foundation1732600000000,
  AccountsDevicesCertificates1732600001000,
  DeviceCa1732600002000,
  ScimGroups1732600004000,
  Enrollment1732600040000,
  KeyTransparency1732600060000,
  CrlStaleness1732600070000,
  MlsRemovals1732600080000,
  MlsGroupTrust1733100000000,
  DeviceLifecycle1733200000000,
  OutboxLeases1733300000000,
  WebhookSubscriptions1733300001000,
  EnrollmentConfirmation1733400000000,
  IdpVerifiedEmailBinding1733400001000,
  EnrollmentSessionExpiryIndex1733400002000,
  GroupMembershipPolicy1733500000000,
  TokenCustody1733600000000,
  AccountIdpBindings1734000000000,
  EnrollmentLimits1734100000000,
  AdminSignIn1734200000000,
  AdminManagement1734300000000,
  AuditChain1734400000000,
  KeyRotations1734500000000,
  CredentialChangeNotify1734600000000,
  KtLogChangeNotify1734600001000,
];
