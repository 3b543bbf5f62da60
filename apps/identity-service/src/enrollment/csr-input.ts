import { checkCertificationRequest, X509ProfileError, type CheckedCsr } from '#x509-profile';
import { refuse } from './enrollment.errors.js';

/**
 * The device's PKCS#10 request, as PEM or base64 DER, checked by the device-certificate
 * profile: proof of possession (its self-signature) and the key type of the cipher suite.
 */
export async function checkDeviceCsr(csr: string, ciphersuite: number): Promise<CheckedCsr & { der: Buffer }> {
  const trimmed = csr.trim();
  let input: string | Uint8Array = trimmed;
  if (!trimmed.startsWith('-----BEGIN')) {
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) refuse('csr_invalid', 'csr must be PEM or base64 DER');
    input = Buffer.from(trimmed, /[-_]/.test(trimmed) ? 'base64url' : 'base64');
  }
  try {
    const checked = await checkCertificationRequest(input, { ciphersuite });
    return { ...checked, der: Buffer.from(typeof input === 'string' ? pemBody(input) : input) };
  } catch (e) {
    if (e instanceof X509ProfileError) refuse('csr_invalid', e.message, { code: e.code });
    throw e;
  }
}

function pemBody(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----(BEGIN|END)[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}
