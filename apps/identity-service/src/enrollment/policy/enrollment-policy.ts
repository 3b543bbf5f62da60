import { effectiveSettings, settingsProblems, type EnrollmentPolicy } from '../../orgs/org-settings.js';
import { refuse } from '../enrollment.errors.js';

export type { EnrollmentPolicy };

/**
 * The org's enrollment policy (`org.settings.enrollment` over the defaults). Settings are
 * validated when written; a stored document that fails validation anyway (written by hand,
 * or by an older version) refuses enrollment rather than being half-applied.
 */
export function enrollmentPolicyOf(settings: Record<string, unknown> | null | undefined): EnrollmentPolicy {
  const stored = settings?.enrollment;
  if (stored !== undefined) {
    const problems = settingsProblems({ enrollment: stored });
    if (problems.length > 0) refuse('policy_invalid', `the org's enrollment policy is invalid: ${problems.join('; ')}`);
  }
  return effectiveSettings(settings).enrollment;
}

/** The checks that need only the request: cipher suite and platform. */
export function checkDeviceAllowed(policy: EnrollmentPolicy, device: { ciphersuite: number; platform: string }): void {
  if (!policy.allowedCiphersuites.includes(device.ciphersuite)) {
    refuse('ciphersuite_not_allowed', `cipher suite 0x${device.ciphersuite.toString(16).padStart(4, '0')} is not allowed in this org`);
  }
  if (policy.allowedPlatforms !== null && !policy.allowedPlatforms.includes(device.platform)) {
    refuse('platform_not_allowed', `platform ${device.platform} is not allowed in this org`);
  }
}
