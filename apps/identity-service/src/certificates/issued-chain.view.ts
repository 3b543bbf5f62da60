import type { IssuedCertificateView } from '#protocol';
import type { IssuedChain } from './certificate-authority.service.js';

/** The response shape for a new certificate (enrollment and renewal), as #protocol defines it. */
export function issuedChainView(chain: IssuedChain, deviceId: string): IssuedCertificateView {
  const lifetime = chain.notAfter.getTime() - chain.notBefore.getTime();
  return {
    deviceId,
    certificate: {
      id: chain.certificateId,
      serial: chain.serial,
      sha256: chain.sha256,
      notBefore: chain.notBefore.toISOString(),
      notAfter: chain.notAfter.toISOString(),
    },
    chainPem: chain.chainPem,
    chainDer: chain.chainDer.map((d) => Buffer.from(d).toString('base64')),
    /** RFC 9420 Credential (x509), base64: ready for the MLS library. */
    credential: Buffer.from(chain.credential).toString('base64'),
    /** Renew once two thirds of the lifetime have passed. */
    renewAfter: new Date(chain.notBefore.getTime() + (lifetime * 2) / 3).toISOString(),
  };
}
