import { defineErrors } from '../common/errors/domain-error.js';

export const CertificateErrors = defineErrors('certificates', {
  certificate_not_found: ['not_found', 'no certificate with this id in the org'],
  no_active_ca: ['not_found', 'the org has no active intermediate CA to sign with'],
  ca_hierarchy_missing: ['conflict', 'the org has no active CA hierarchy to rotate'],
  empty: ['invalid_input', 'a status request named no chain and no fingerprint'],
  too_many: ['invalid_input', 'a status request named more chains and fingerprints than one request may'],
  crl_not_found: ['not_found', 'no CRL at this address: CRLs are at /pki/{org}/crl/{caId}.crl or .pem'],
});
