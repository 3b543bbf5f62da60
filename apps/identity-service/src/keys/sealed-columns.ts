/**
 * A column of values sealed with the SecretBox (AES-256-GCM under the KEK), declared by the
 * module that owns its table, so that a KEK rotation re-wraps every sealed value without
 * anyone else knowing the table. `context` is the associated data the owner seals with.
 */
export interface SealedColumn {
  table: string;
  column: string;
  context(id: string): string;
}

export const KEYS_SEALED_COLUMNS: readonly SealedColumn[] = [
  { table: 'custody_key', column: 'private_key_sealed', context: (id) => `custody_key:${id}` },
];
