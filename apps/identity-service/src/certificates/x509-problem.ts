import { BadRequestException, HttpException, UnprocessableEntityException } from '@nestjs/common';
import { ChainValidationError, X509ProfileError } from '#x509-profile';

/**
 * One place that turns certificate-library errors into HTTP problems with a stable,
 * machine-readable `reason`: malformed input is a 400, input that parses but breaks the
 * profile or policy a 422. Anything else is rethrown (a real 500).
 */
export function x509Problem(error: unknown): HttpException {
  if (error instanceof ChainValidationError) {
    return new UnprocessableEntityException({ message: error.message, reason: error.reason });
  }
  if (error instanceof X509ProfileError) {
    const reason = error.code.replace(/^ERR_/, '').toLowerCase();
    if (error.code === 'ERR_X509_MALFORMED' || error.code === 'ERR_X509_TOO_LARGE') {
      return new BadRequestException({ message: error.message, reason });
    }
    return new UnprocessableEntityException({ message: error.message, reason });
  }
  throw error;
}

/** Runs `fn`, mapping library errors to problems. */
export async function withX509Problems<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw x509Problem(e);
  }
}
