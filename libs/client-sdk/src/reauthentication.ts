// Re-authentication of an enrolled device (`POST /v1/orgs/{org}/devices/{id}/reauthenticate`):
// the person signs in at the IdP again and the device keeps its id, identity and key, getting
// a new certificate. Used when renewal answers `reauthentication-required` (the org's
// `reauthenticateAfterDays`) or `expired` (the certificate lapsed while the device was
// offline, within the org's grace). The request is signed with the device key and the
// current (possibly expired) chain; the ID token's nonce binds the key and that signature.
import { reauthenticationNonce, type ReauthenticationRequest } from '#protocol';
import { parseIssuedCertificate, type DeviceCertificate, type EnrolledDevice } from './device-certificate.js';
import { EnrollmentFailed, ServiceRefusal } from './errors.js';
import type { ServiceTransport } from './service-transport.js';

/**
 * The app's IdP sign-in for re-authentication: sign the user in (the native app's own OIDC
 * flow, authorization code + PKCE) with exactly this `nonce`, and return the ID token.
 */
export type ReauthenticationSignIn = (nonce: string) => Promise<string>;

export interface ReauthenticateOptions {
  /** Name or id of the org's IdP connection, when it has several. */
  idpConnection?: string;
  /**
   * The signature's jti, when the sign-in already happened with reauthenticationNonce(key, jti)
   * (a CLI that prints the nonce and takes the ID token later). Default: a fresh one.
   */
  jti?: string;
  crypto?: Crypto;
}

/**
 * Signs in again and, on success, updates `device.certificate` in place. A refusal is
 * EnrollmentFailed with the service's reason (`not_device_owner`, `account_inactive`,
 * `device_revoked`, `device_expired`: enroll a new device; `device_key_proof_invalid`, `id_token_*`).
 */
export async function reauthenticate(
  transport: ServiceTransport,
  device: EnrolledDevice,
  signIn: ReauthenticationSignIn,
  options: ReauthenticateOptions = {},
): Promise<DeviceCertificate> {
  const jti = options.jti ?? freshJti(options.crypto);
  const idToken = await signIn(reauthenticationNonce(device.keys.subjectPublicKeyInfo, jti));
  const body: ReauthenticationRequest = { idToken, ...(options.idpConnection !== undefined && { idpConnection: options.idpConnection }) };
  const path = `/v1/orgs/${encodeURIComponent(device.org)}/devices/${encodeURIComponent(device.deviceId)}/reauthenticate`;
  let answer: unknown;
  try {
    answer = await transport.json('POST', path, { body, device: { keys: device.keys, chainDer: device.certificate.chainDer }, jti });
  } catch (e) {
    if (e instanceof ServiceRefusal && e.reason) throw new EnrollmentFailed(e.reason, e.message);
    throw e;
  }
  const certificate = parseIssuedCertificate(answer);
  if (certificate.deviceId !== device.deviceId) throw new EnrollmentFailed('device_mismatch', 'the service answered for another device');
  device.certificate = certificate;
  return certificate;
}

/** A request id for reauthenticate's `jti` option (16 random bytes, hex). */
export function freshJti(crypto: Crypto = globalThis.crypto): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}
