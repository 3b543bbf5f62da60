import { defineErrors } from '../common/errors/domain-error.js';

export const CertificateErrors = defineErrors('certificates', {
  certificate_not_found: ['not_found', 'no certificate with this id in the org'],
  no_active_ca: ['not_found', 'the org has no active intermediate CA to sign with'],
  ca_hierarchy_missing: ['conflict', 'the org has no active CA hierarchy to rotate'],
  crl_not_found: ['not_found', 'no CRL at this address: CRLs are at /pki/{org}/crl/{caId}.crl or .pem'],
});
