import { ProfileParameterError } from './errors.js';

/**
 * The client identity carried in a device certificate's SAN URI. The org slug is the URI
 * host, which is what RFC 5280 §4.2.1.10 URI name constraints (and OpenSSL) match on.
 */
export interface DeviceIdentity {
  readonly kind: 'device';
  readonly org: string;
  readonly accountId: string;
  readonly deviceId: string;
}

/** A service acting in the org's groups, e.g. the external sender of removals (RFC 9420 §12.1.8.1). */
export interface ServiceIdentity {
  readonly kind: 'service';
  readonly org: string;
  readonly service: ServiceName;
}

export type ServiceName = 'removal';
export type IdentityUri = DeviceIdentity | ServiceIdentity;

export const IDENTITY_URI_SCHEME = 'mls-identity';
const SERVICES: readonly ServiceName[] = ['removal'];

/** One DNS label (RFC 1035 §2.3.1, lowercase), so that the slug is a valid URI host to constrain. */
const ORG_SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/**
 * RFC 3986 unreserved characters only: no percent-encoding, ':' or '@', so the URI has one
 * spelling, compares byte for byte, and every parser agrees on where its host ends.
 */
const PATH_ID = /^[A-Za-z0-9._~-]{1,128}$/;
const DEVICE_URI = /^mls-identity:\/\/([^/]+)\/accounts\/([^/]+)\/devices\/([^/]+)$/;
const SERVICE_URI = /^mls-identity:\/\/([^/]+)\/service\/([^/]+)$/;

export function isOrgSlug(value: string): boolean {
  return ORG_SLUG.test(value);
}

export function requireOrgSlug(value: string): string {
  if (!isOrgSlug(value)) {
    throw new ProfileParameterError(`org slug "${value}" is not a lowercase DNS label`);
  }
  return value;
}

/** Dot segments are excluded because URI normalisation (RFC 3986 §5.2.4) would remove them. */
function isPathId(value: string): boolean {
  return PATH_ID.test(value) && value !== '.' && value !== '..';
}

function requirePathId(value: string, what: string): string {
  if (!isPathId(value)) {
    throw new ProfileParameterError(`${what} "${value}" must be 1-128 RFC 3986 unreserved characters`);
  }
  return value;
}

/** `mls-identity://{org}/accounts/{accountId}/devices/{deviceId}` */
export function deviceIdentityUri(org: string, accountId: string, deviceId: string): string {
  return `${IDENTITY_URI_SCHEME}://${requireOrgSlug(org)}/accounts/${requirePathId(accountId, 'account id')}/devices/${requirePathId(deviceId, 'device id')}`;
}

/** `mls-identity://{org}/service/{service}` */
export function serviceIdentityUri(org: string, service: ServiceName): string {
  if (!SERVICES.includes(service)) {
    throw new ProfileParameterError(`unknown service "${service}"`);
  }
  return `${IDENTITY_URI_SCHEME}://${requireOrgSlug(org)}/service/${service}`;
}

/** Parses an identity URI in its one canonical spelling; anything else is undefined. */
export function parseIdentityUri(uri: string): IdentityUri | undefined {
  const device = DEVICE_URI.exec(uri);
  if (device) {
    const [, org, accountId, deviceId] = device;
    if (isOrgSlug(org) && isPathId(accountId) && isPathId(deviceId)) {
      return { kind: 'device', org, accountId, deviceId };
    }
    return undefined;
  }
  const service = SERVICE_URI.exec(uri);
  if (service) {
    const [, org, name] = service;
    if (isOrgSlug(org) && (SERVICES as readonly string[]).includes(name)) {
      return { kind: 'service', org, service: name as ServiceName };
    }
  }
  return undefined;
}
