import type { SealedColumn } from '../keys/index.js';
import { signInVerifierContext } from './admin-sign-in.service.js';

/** Pending admin sign-ins' sealed PKCE verifiers, for KEK rotation. */
export const ADMIN_AUTH_SEALED_COLUMNS: readonly SealedColumn[] = [
  { table: 'admin_sign_in', column: 'code_verifier_sealed', context: signInVerifierContext },
];
