import { defineErrors } from '../common/errors/domain-error.js';

export const OrgErrors = defineErrors('orgs', {
  org_not_found: ['not_found', 'no org has the slug in the path'],
});

export const orgNotFound = (slug: string) => OrgErrors.error('org_not_found', `no org "${slug}"`);
