import { defineErrors } from '../common/errors/domain-error.js';

export const AccountErrors = defineErrors('accounts', {
  unknown_account: ['not_found', 'no account with this id in the org'],
  account_not_suspended: ['conflict', 'the account is not suspended by an admin: only a manual suspension is resumed by hand'],
  account_not_active: ['conflict', 'the account is not active (the IdP deprovisioned it, or it is suspended already): there is nothing to suspend'],
  account_not_entitled: [
    'forbidden',
    "the account is not a member of the org's entitlement group: it may not be reactivated, enroll a device or renew",
  ],
});
