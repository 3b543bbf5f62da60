import { defineErrors } from '../common/errors/domain-error.js';

/** Requests the delivery-service API cannot judge at all (judgements themselves are 200 answers, see delivery.reasons.ts). */
export const DeliveryErrors = defineErrors('delivery', {
  malformed_credential: ['invalid_input', 'the credential is not an RFC 9420 §5.3 x509 Credential'],
});
