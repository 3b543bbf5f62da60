// `Authorization: MLS-Device <JWS>` for the SDK's device: the one signer of libs/protocol
// (which the service verifies with), given the device's keys and current chain.
import { signDeviceRequest as signWithDeviceKey, type DeviceRequest } from '#protocol';
import type { DeviceKeys } from './device-keys.js';

export { DEVICE_AUTH_SCHEME, DEVICE_REQUEST_TYP, type DeviceRequest } from '#protocol';

export interface SigningDevice {
  readonly keys: DeviceKeys;
  /** The device's current chain, leaf first (DER). */
  readonly chainDer: readonly Uint8Array[];
}

/**
 * The Authorization header value for one request. Each call makes a fresh `jti` unless one is
 * given (re-authentication binds its ID token to a jti chosen first): never reuse a header.
 */
export function signDeviceRequest(
  device: SigningDevice,
  request: DeviceRequest,
  options: { now?: number; crypto?: Crypto; jti?: string } = {},
): Promise<string> {
  return signWithDeviceKey(
    { ciphersuite: device.keys.ciphersuite, privateKey: device.keys.keyPair.privateKey, chainDer: device.chainDer },
    request,
    options,
  );
}
