import type { SealedColumn } from '../../keys/index.js';

/** Enrollment sessions' sealed PKCE verifiers and device codes, for KEK rotation. */
export const ENROLLMENT_SEALED_COLUMNS: readonly SealedColumn[] = [
  { table: 'enrollment_session', column: 'code_verifier_sealed', context: (id) => `enrollment_session:${id}:pkce` },
  { table: 'enrollment_session', column: 'device_code_sealed', context: (id) => `enrollment_session:${id}:device_code` },
];
