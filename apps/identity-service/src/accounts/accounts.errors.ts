import { defineErrors } from '../common/errors/domain-error.js';

export const AccountErrors = defineErrors('accounts', {
  unknown_account: ['not_found', 'no account with this id in the org'],
  idp_link_exists: ['conflict', 'the account is already linked to this IdP connection (unlink it first to change the subject)'],
  idp_subject_taken: ['conflict', 'another account of the org is bound to this subject of the IdP connection'],
  idp_link_not_found: ['not_found', 'the account has no IdP link with this id'],
  account_not_suspended: ['conflict', 'the account is not suspended by an admin: only a manual suspension is resumed by hand'],
  account_not_active: ['conflict', 'the account is not active (the IdP deprovisioned it, or it is suspended already): there is nothing to suspend'],
  account_not_entitled: [
    'forbidden',
    "the account is not a member of the org's entitlement group: it may not be reactivated, enroll a device or renew",
  ],
});
