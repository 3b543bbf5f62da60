import { EnrollmentErrors } from './enrollment.errors.js';

/** For unit tests of enrollment rules: the refusal code `fn` throws, or undefined if it passes. */
export function refusalOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (EnrollmentErrors.is(e)) return e.code;
    throw e;
  }
  return undefined;
}
