import type { JWTPayload } from 'jose';
import type { IdpConnection } from '../../orgs/index.js';
import { refuse } from '../enrollment.errors.js';
import { amrShowsMultiFactor, optionalString, requiredString, stringList } from './claim-values.js';
import type { IdpClaimStrategy, IdpIdentity } from './idp-identity.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Microsoft Entra ID (v2.0 tokens). The person is `tid` + `oid`: `sub` is pairwise per
 * application, so it would differ between the native app and the service. `groups` may be
 * replaced by an overage indicator (`_claim_names.groups`) when the user has too many.
 */
export class EntraClaims implements IdpClaimStrategy {
  readonly kind = 'entra' as const;

  identify(claims: JWTPayload, connection: IdpConnection): IdpIdentity {
    const tid = requiredString(claims, 'tid');
    const oid = requiredString(claims, 'oid');
    if (!GUID.test(tid) || !GUID.test(oid)) refuse('id_token_claim_missing', 'the Entra tid and oid claims must be GUIDs');
    if (connection.allowedTenants.length > 0 && !connection.allowedTenants.some((t) => t.toLowerCase() === tid.toLowerCase())) {
      refuse('tenant_not_allowed', `tenant ${tid} may not enroll devices in this org`, { tenant: tid });
    }
    const upn = optionalString(claims, 'upn');
    const names = claims._claim_names as Record<string, unknown> | undefined;
    return {
      subject: `${tid.toLowerCase()}:${oid.toLowerCase()}`,
      // Entra's SCIM provisioning sends objectId as externalId unless remapped.
      externalIds: [oid.toLowerCase()],
      userName: optionalString(claims, 'preferred_username') ?? upn,
      email: optionalString(claims, 'email') ?? upn,
      // Entra's email is mutable and unverified unless the optional claim xms_edov says its domain owner verified it.
      emailVerified: claims.xms_edov === true || claims.xms_edov === 'true' || claims.xms_edov === '1',
      displayName: optionalString(claims, 'name'),
      tenant: tid.toLowerCase(),
      multiFactor: amrShowsMultiFactor(claims),
      groups: stringList(claims, 'groups'),
      groupsOverage: typeof names === 'object' && names !== null && 'groups' in names,
    };
  }
}
