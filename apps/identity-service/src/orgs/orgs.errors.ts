import { defineErrors } from '../common/errors/domain-error.js';

export const OrgErrors = defineErrors('orgs', {
  org_not_found: ['not_found', 'no org has the slug in the path'],
  org_exists: ['conflict', 'an org with this slug already exists'],
  invalid_settings: ['invalid_input', 'the settings patch names an unknown setting or a value out of range; `errors` lists each problem'],
  idp_connection_exists: ['conflict', 'the org already has an IdP connection of this name'],
  idp_connection_not_found: ['not_found', 'the org has no IdP connection with this id (or none that the request can use)'],
  scim_token_not_found: ['not_found', 'the org has no SCIM token with this id'],
  ds_client_not_found: ['not_found', 'the org has no delivery-service client with this id'],
  credential_revoked: ['conflict', 'the SCIM token or delivery-service client is revoked: nothing to rotate, create a new one'],
  invalid_claim_mapping: [
    'invalid_input',
    'claimMapping must map claim names to claim names (letters, digits, `_ . : / -`, at most 100 characters; at most 32 entries)',
  ],
  auditor_token_not_found: ['not_found', 'the org has no auditor token with this id'],
});

export const orgNotFound = (slug: string) => OrgErrors.error('org_not_found', `no org "${slug}"`);
