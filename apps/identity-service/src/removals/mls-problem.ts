import { BadRequestException, HttpException, UnprocessableEntityException } from '@nestjs/common';
import { MlsGlueError } from '#mls';

/**
 * MLS glue errors as HTTP problems with a stable `reason`: bytes that are not the structure
 * asked for are a 400; structures that decode but are the wrong kind, carry a bad signature
 * or use an unsupported suite are a 422. Anything else is rethrown (a real 500).
 */
export function mlsProblem(error: unknown): HttpException {
  if (error instanceof MlsGlueError) {
    const reason = error.code.replace(/^ERR_/, '').toLowerCase();
    if (error.code === 'ERR_MLS_DECODE') return new BadRequestException({ message: error.message, reason });
    return new UnprocessableEntityException({ message: error.message, reason });
  }
  throw error;
}

export async function withMlsProblems<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof HttpException) throw e;
    throw mlsProblem(e);
  }
}

/** Strict base64 (standard or url alphabet) of at most `maxBytes` decoded bytes; 400/413 otherwise. */
export function decodeBase64Field(value: unknown, field: string, maxBytes: number): Uint8Array {
  if (typeof value !== 'string' || value.length === 0 || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) {
    throw new BadRequestException({ message: `${field} must be base64`, reason: 'not_base64' });
  }
  if (Math.floor((value.length * 3) / 4) > maxBytes + 2) {
    throw new HttpException({ message: `${field} is larger than ${maxBytes} bytes`, reason: 'too_large' }, 413);
  }
  return new Uint8Array(Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
}

/** Group ids travel in paths as unpadded base64url of the RFC 9420 group_id bytes. */
export function groupIdFromPath(value: string): Buffer {
  if (!/^[A-Za-z0-9_-]{1,344}$/.test(value)) {
    throw new BadRequestException({ message: 'the group id must be base64url (at most 255 bytes)', reason: 'bad_group_id' });
  }
  const bytes = Buffer.from(value, 'base64url');
  if (bytes.length === 0 || bytes.length > 255 || bytes.toString('base64url') !== value) {
    throw new BadRequestException({ message: 'the group id must be canonical unpadded base64url', reason: 'bad_group_id' });
  }
  return bytes;
}
