import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import { compactVerify, decodeProtectedHeader, errors as joseErrors } from 'jose';

/**
 * A request signed with a device's MLS signature key, as `Authorization: MLS-Device <JWS>`:
 * a compact JWS (RFC 7515) whose protected header carries `x5c` = the device's current
 * chain (leaf first) and `typ: mls-device-request+jwt`, and whose payload binds the request:
 *   { htm: method, htu: path (with query), iat: seconds, jti: unique, bh: base64url SHA-256(body) }
 * So a captured header replays nothing: it is single-use (jti), short-lived (iat) and bound
 * to one method, path and body.
 */
export const DEVICE_AUTH_SCHEME = 'MLS-Device';
export const DEVICE_REQUEST_TYP = 'mls-device-request+jwt';
export const MAX_REQUEST_AGE_SECONDS = 120;

export interface DeviceRequestClaims {
  htm: string;
  htu: string;
  iat: number;
  jti: string;
  bh: string;
}

export class DeviceSignatureError extends Error {
  constructor(readonly reason: string, message: string) {
    super(message);
  }
}

const ALG_FOR_KEY: Record<string, string> = { ed25519: 'EdDSA', 'ec:prime256v1': 'ES256', 'ec:secp384r1': 'ES384' };

function keyAlgorithm(key: KeyObject): string | undefined {
  const type = key.asymmetricKeyType;
  if (type === 'ed25519') return ALG_FOR_KEY.ed25519;
  if (type === 'ec') return ALG_FOR_KEY[`ec:${key.asymmetricKeyDetails?.namedCurve}`];
  return undefined;
}

export function bodyHash(body: Uint8Array | undefined): string {
  return createHash('sha256').update(body ?? new Uint8Array()).digest('base64url');
}

/** Reads the leaf certificate from the JWS header without trusting anything yet. */
export function leafOf(jws: string): { leafDer: Buffer; chainDer: Buffer[] } {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jws);
  } catch {
    throw new DeviceSignatureError('malformed', 'the device signature is not a compact JWS');
  }
  if (header.typ !== DEVICE_REQUEST_TYP) throw new DeviceSignatureError('malformed', `typ must be ${DEVICE_REQUEST_TYP}`);
  if (!Array.isArray(header.x5c) || header.x5c.length === 0 || header.x5c.length > 4) {
    throw new DeviceSignatureError('malformed', 'x5c must hold the device certificate chain');
  }
  const chainDer = header.x5c.map((c) => Buffer.from(String(c), 'base64'));
  return { leafDer: chainDer[0], chainDer };
}

/** Verifies the signature with the leaf's key and the binding to this request. */
export async function verifyDeviceRequest(
  jws: string,
  leafDer: Buffer,
  request: { method: string; pathWithQuery: string; body: Uint8Array | undefined; now?: number },
): Promise<DeviceRequestClaims> {
  let key: KeyObject;
  try {
    key = new X509Certificate(leafDer).publicKey;
  } catch {
    throw new DeviceSignatureError('malformed', 'x5c[0] is not a certificate');
  }
  const alg = keyAlgorithm(key);
  if (!alg) throw new DeviceSignatureError('malformed', 'unsupported device key type');
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(jws, key, { algorithms: [alg] }));
  } catch (e) {
    if (e instanceof joseErrors.JOSEAlgNotAllowed) throw new DeviceSignatureError('bad_signature', `alg must be ${alg}`);
    throw new DeviceSignatureError('bad_signature', 'the request signature does not verify with the certificate key');
  }
  let claims: DeviceRequestClaims;
  try {
    claims = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    throw new DeviceSignatureError('malformed', 'the signed payload is not JSON');
  }
  const now = request.now ?? Math.floor(Date.now() / 1000);
  if (typeof claims.iat !== 'number' || Math.abs(now - claims.iat) > MAX_REQUEST_AGE_SECONDS) {
    throw new DeviceSignatureError('stale', 'the request signature is too old or from the future');
  }
  if (typeof claims.jti !== 'string' || claims.jti.length < 16 || claims.jti.length > 128) {
    throw new DeviceSignatureError('malformed', 'jti must be a unique string of 16-128 characters');
  }
  if (claims.htm !== request.method) throw new DeviceSignatureError('wrong_request', 'the signature is for another method');
  if (claims.htu !== request.pathWithQuery) throw new DeviceSignatureError('wrong_request', 'the signature is for another path');
  if (claims.bh !== bodyHash(request.body)) throw new DeviceSignatureError('wrong_request', 'the signature is for another body');
  return claims;
}
