// The JSON of enrollment and renewal as it crosses the wire, written once for the service
// (which produces and validates it) and the SDK (which sends and parses it).

/** `POST /v1/orgs/{org}/enrollments`. */
export interface EnrollmentRequest {
  /** PKCS#10 CSR of the MLS signature key: PEM, or base64/base64url DER (see csrInput). */
  csr: string;
  deviceName: string;
  /** Lower-case platform tag, e.g. `ios`, `android`, `macos`, `web`. */
  platform: string;
  /** RFC 9420 cipher suite of the key. */
  ciphersuite: number;
  /** Native flow: an ID token whose nonce is keyBoundNonce(CSR SubjectPublicKeyInfo). */
  idToken?: string;
  /** Without idToken: which sign-in flow the service runs. */
  flow?: 'redirect' | 'device';
  /** Name or id of the IdP connection, when the org has several. */
  idpConnection?: string;
}

/** `POST /v1/devices/{id}/certificate/renew` (signed with the current certificate's key). */
export interface RenewalRequest {
  /** PKCS#10 CSR for the same key or a new one (key rotation), in a form csrInput accepts. */
  csr: string;
}

/**
 * `POST /v1/orgs/{org}/devices/{id}/reauthenticate`: an enrolled device signs in at the IdP
 * again and keeps its id and identity. Sent with `Authorization: MLS-Device <JWS>` signed by
 * the device's current key (any certificate of this device for that key, even expired); the
 * ID token's nonce is reauthenticationNonce(key SPKI, the JWS jti).
 */
export interface ReauthenticationRequest {
  idToken: string;
  /** Name or id of the IdP connection, when the org has several. */
  idpConnection?: string;
}

/** A newly issued device certificate (enrollment, enrollment status, renewal). */
export interface IssuedCertificateView {
  deviceId: string;
  certificate: { id: string; serial: string; sha256: string; notBefore: string; notAfter: string };
  /** Leaf first, then the org intermediate. */
  chainPem: string;
  /** base64 DER of each certificate, leaf first. */
  chainDer: string[];
  /** base64 of the RFC 9420 §5.3 Credential (x509), ready for the MLS library. */
  credential: string;
  /** Renew from here on: two thirds into the lifetime, leaving a third for retries. */
  renewAfter: string;
}

/** What an enrolled device receives: everything it needs to join MLS groups and to renew. */
export interface EnrollmentResult extends IssuedCertificateView {
  accountId: string;
  notAfter: string;
}
