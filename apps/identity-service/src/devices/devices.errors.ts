import { defineErrors } from '../common/errors/domain-error.js';

export const DeviceErrors = defineErrors('devices', {
  device_not_found: ['not_found', 'no device with this id in the org'],
  device_revoked: ['conflict', 'the device is revoked: it gets no new certificate'],
  device_expired: ['conflict', 'the device expired (its certificate lapsed beyond the org grace) and left its groups: enroll it again'],
  certificate_is_current: ['conflict', "the certificate is the device's current one: nothing supersedes it"],
  signature_key_already_used: ['conflict', 'a device holds or held this signature key before; a device must make a new key'],
  invalid_account_id: ['invalid_input', 'the accountId filter is not a UUID'],
});
