import { ADMIN_AUTH_SEALED_COLUMNS } from './admin-auth/index.js';
import { ENROLLMENT_SEALED_COLUMNS } from './enrollment/index.js';
import { KEYS_SEALED_COLUMNS, type SealedColumn } from './keys/index.js';
import { ORGS_SEALED_COLUMNS } from './orgs/index.js';

/** Every column sealed under the KEK, each declared by the module that owns its table (KEK rotation). */
export const SEALED_COLUMNS: readonly SealedColumn[] = [
  ...KEYS_SEALED_COLUMNS,
  ...ORGS_SEALED_COLUMNS,
  ...ENROLLMENT_SEALED_COLUMNS,
  ...ADMIN_AUTH_SEALED_COLUMNS,
];
