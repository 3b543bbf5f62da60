// `Authorization: MLS-Device <JWS>`: a compact JWS (RFC 7515) signed with the device's
// certified key, header {alg, typ: mls-device-request+jwt, x5c: chain leaf first}, payload
// binding the request {htm, htu (path with query), iat, jti, bh = base64url SHA-256(body)}.
import { CompactSign } from 'jose';
import { encodeBase64, encodeBase64Url, encodeHex, utf8 } from './base64.js';
import { ciphersuiteKeyParams } from './ciphersuite.js';
import type { DeviceKeys } from './device-keys.js';
import { randomBytes, sha256 } from './web-crypto.js';

export const DEVICE_AUTH_SCHEME = 'MLS-Device';
export const DEVICE_REQUEST_TYP = 'mls-device-request+jwt';

export interface DeviceRequest {
  readonly method: string;
  /** The path below the service root with its query, exactly as sent (`/v1/...?...`). */
  readonly pathWithQuery: string;
  /** The exact body bytes sent; absent for none. */
  readonly body?: Uint8Array;
}

export interface SigningDevice {
  readonly keys: DeviceKeys;
  /** The device's current chain, leaf first (DER). */
  readonly chainDer: readonly Uint8Array[];
}

/** The Authorization header value for one request. Each call makes a fresh `jti`: never reuse a header. */
export async function signDeviceRequest(
  device: SigningDevice,
  request: DeviceRequest,
  options: { now?: number; crypto?: Crypto } = {},
): Promise<string> {
  const claims = {
    htm: request.method.toUpperCase(),
    htu: request.pathWithQuery,
    iat: Math.floor((options.now ?? Date.now()) / 1000),
    jti: encodeHex(randomBytes(16, options.crypto)),
    bh: encodeBase64Url(await sha256(request.body ?? new Uint8Array(), options.crypto)),
  };
  const jws = await new CompactSign(utf8(JSON.stringify(claims)))
    .setProtectedHeader({
      alg: ciphersuiteKeyParams(device.keys.ciphersuite).jwsAlg,
      typ: DEVICE_REQUEST_TYP,
      x5c: device.chainDer.map(encodeBase64),
    })
    .sign(device.keys.keyPair.privateKey);
  return `${DEVICE_AUTH_SCHEME} ${jws}`;
}
