import type { SealedColumn } from '../keys/index.js';

/** The orgs module's sealed secrets (IdP client secrets, DS webhook secrets and their predecessors during a rotation's overlap), for KEK rotation. */
export const ORGS_SEALED_COLUMNS: readonly SealedColumn[] = [
  { table: 'idp_connection', column: 'client_secret_sealed', context: (id) => `idp_connection:${id}` },
  { table: 'ds_client', column: 'webhook_secret_sealed', context: (id) => `ds_client:${id}` },
  { table: 'ds_client', column: 'previous_webhook_secret_sealed', context: (id) => `ds_client:${id}:previous` },
];
