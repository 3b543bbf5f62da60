// How the API accepts a device's PKCS#10 request (enrollment and renewal alike): PEM text,
// or the DER in base64, standard or URL-safe alphabet (one per value), padding optional,
// whitespace ignored (DER copied out of a file is often line-wrapped). The CSR itself is
// checked by x509-profile's checkCertificationRequest, which takes both forms returned here.
import { decodeBase64AnyAlphabet } from './base64.js';

/** PEM text or DER bytes for checkCertificationRequest; undefined when the text is neither. */
export function csrInput(text: string): string | Uint8Array | undefined {
  if (typeof text !== 'string') return undefined;
  const trimmed = text.trim();
  if (trimmed.startsWith('-----BEGIN')) return trimmed;
  const der = decodeBase64AnyAlphabet(trimmed.replace(/\s+/g, ''));
  return der && der.length > 0 ? der : undefined;
}
