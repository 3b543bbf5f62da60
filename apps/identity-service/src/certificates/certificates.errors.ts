import { defineErrors } from '../common/errors/domain-error.js';

export const CertificateErrors = defineErrors('certificates', {
  certificate_not_found: ['not_found', 'no certificate with this id in the org'],
  no_active_ca: ['not_found', 'the org has no active intermediate CA to sign with'],
  ca_hierarchy_missing: ['conflict', 'the org has no active CA hierarchy to rotate'],
  ca_not_found: ['not_found', 'no CA with this id in the org'],
  ca_not_revocable: ['conflict', 'only an org intermediate CA that is not already revoked can be revoked; a root is replaced by rotating it'],
  crl_not_found: ['not_found', 'no CRL at this address: CRLs are at /pki/{org}/crl/{caId}.crl or .pem'],
});
