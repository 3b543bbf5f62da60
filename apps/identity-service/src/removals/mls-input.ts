import { RemovalErrors } from './removals.errors.js';
import { RequestErrors } from '../common/errors/request.errors.js';

/** Strict base64 (standard or url alphabet) of at most `maxBytes` decoded bytes. */
export function decodeBase64Field(value: unknown, field: string, maxBytes: number): Uint8Array {
  if (typeof value !== 'string' || value.length === 0 || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) {
    throw RequestErrors.error('not_base64', `${field} must be base64`);
  }
  if (Math.floor((value.length * 3) / 4) > maxBytes + 2) {
    throw RequestErrors.error('too_large', `${field} is larger than ${maxBytes} bytes`);
  }
  return new Uint8Array(Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
}

/** Group ids travel in paths as unpadded base64url of the RFC 9420 group_id bytes. */
export function groupIdFromPath(value: string): Buffer {
  if (!/^[A-Za-z0-9_-]{1,344}$/.test(value)) {
    throw RemovalErrors.error('bad_group_id', 'the group id must be base64url (at most 255 bytes)');
  }
  const bytes = Buffer.from(value, 'base64url');
  if (bytes.length === 0 || bytes.length > 255 || bytes.toString('base64url') !== value) {
    throw RemovalErrors.error('bad_group_id', 'the group id must be canonical unpadded base64url');
  }
  return bytes;
}
