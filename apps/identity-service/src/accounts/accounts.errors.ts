import { defineErrors } from '../common/errors/domain-error.js';

export const AccountErrors = defineErrors('accounts', {
  unknown_account: ['not_found', 'no account with this id in the org'],
});
