import { defineErrors } from '../common/errors/domain-error.js';

/** Refusals of the key-transparency read API. */
export const TransparencyErrors = defineErrors('transparency', {
  missing_parameter: ['invalid_input', 'a required tree size or index query parameter is absent'],
  invalid_tree_number: ['invalid_input', 'a tree size or index is not a plain non-negative decimal safe integer'],
  tree_range_invalid: ['invalid_input', 'the index or sizes are out of range (index ≥ size, from > to, or beyond the latest checkpoint)'],
  tile_path_malformed: ['invalid_input', 'the tile or entry-bundle path is not canonical c2sp.org/tlog-tiles'],
  tile_not_found: ['not_found', 'the tile or entry bundle is not in the tree of the latest checkpoint (yet)'],
  invalid_account: ['invalid_input', 'the account id is longer than 255 characters'],
  invalid_source: ['invalid_input', 'the source id is not an outbox message id'],
  entry_not_found: ['not_found', 'no log entry, staged or sequenced, comes from this outbox message'],
  invalid_sha256: ['invalid_input', 'the certificate digest is not 64 lower-case hex digits'],
  log_key_rotation_in_progress: ['conflict', 'a log key rotation is still in its overlap: finish it before starting another'],
  no_log_key_rotation: ['conflict', 'there is no log key rotation to finish'],
});
