/**
 * Every failure this library reports is a TlogError with a stable `code`, so that callers
 * (HTTP controllers, the CLI's exit codes, the client SDK) branch on codes and classes, never
 * on messages. Untrusted input never makes this library throw anything else.
 *
 * The intermediate classes group the codes by what the caller must do about them:
 * MalformedInput (reject the input), SignatureFailure (the log is not who it claims to be),
 * ProofFailure (the proof does not prove the claim), LogInconsistent (the log forked or
 * rolled back: evidence of misbehaviour worth keeping).
 */
export class TlogError extends Error {
  static readonly code: string = 'ERR_TLOG';
  readonly code: string = 'ERR_TLOG';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = (new.target as unknown as { code: string }).code;
  }
}

/** Base class of all "this input does not follow the format" errors. */
export class MalformedInput extends TlogError {
  static override readonly code: string = 'ERR_TLOG_MALFORMED';
}

/** A signed note violates c2sp.org/signed-note (layout, encoding, signature lines, limits). */
export class NoteMalformed extends MalformedInput {
  static override readonly code = 'ERR_NOTE_MALFORMED';
}

/** A verifier key string is not `name+hex(keyid)+base64(type ‖ key)` with a consistent key id. */
export class VerifierKeyMalformed extends MalformedInput {
  static override readonly code = 'ERR_VERIFIER_KEY_MALFORMED';
}

/** A note text is not a c2sp.org/tlog-checkpoint body. */
export class CheckpointMalformed extends MalformedInput {
  static override readonly code = 'ERR_CHECKPOINT_MALFORMED';
}

/** A hash tile has the wrong length for its width (for example, a truncated tile). */
export class TileMalformed extends MalformedInput {
  static override readonly code = 'ERR_TILE_MALFORMED';
}

/** A `tile/L/N[.p/W]` or `tile/entries/N[.p/W]` path does not follow c2sp.org/tlog-tiles. */
export class TilePathMalformed extends MalformedInput {
  static override readonly code = 'ERR_TILE_PATH_MALFORMED';
}

/** An entry bundle is not a sequence of uint16 length-prefixed entries of the expected count. */
export class EntryBundleMalformed extends MalformedInput {
  static override readonly code = 'ERR_ENTRY_BUNDLE_MALFORMED';
}

/** A log entry is not a canonical encoding of a key lifecycle event (see README). */
export class EntryMalformed extends MalformedInput {
  static override readonly code = 'ERR_ENTRY_MALFORMED';
}

/** A hash (from a proof, a HashReader or a caller) is not 32 bytes, or a reader answered the wrong count. */
export class HashMalformed extends MalformedInput {
  static override readonly code = 'ERR_HASH_MALFORMED';
}

/** Base class of signature failures: the note was not (validly) signed by a trusted key. */
export class SignatureFailure extends TlogError {
  static override readonly code: string = 'ERR_TLOG_SIGNATURE';
}

/** A signature by a known key (matching name and key id) failed to verify. */
export class NoteSignatureInvalid extends SignatureFailure {
  static override readonly code = 'ERR_NOTE_SIGNATURE_INVALID';
}

/** No signature in the note is by a known key; c2sp.org/signed-note says to reject it. */
export class NoteUnverified extends SignatureFailure {
  static override readonly code = 'ERR_NOTE_UNVERIFIED';
}

/** Base class of proofs that do not prove what they claim. */
export class ProofFailure extends TlogError {
  static override readonly code: string = 'ERR_TLOG_PROOF';
}

/** RFC 9162 §2.1.3.2 verification failed. */
export class InclusionProofInvalid extends ProofFailure {
  static override readonly code = 'ERR_INCLUSION_PROOF_INVALID';
}

/** RFC 9162 §2.1.4.2 verification failed. */
export class ConsistencyProofInvalid extends ProofFailure {
  static override readonly code = 'ERR_CONSISTENCY_PROOF_INVALID';
}

/**
 * An index or tree size outside what the tree holds (index ≥ size, first > second, negative,
 * not a safe integer). HTTP callers map it to 400: these usually come from query strings.
 */
export class TreeRangeInvalid extends TlogError {
  static override readonly code = 'ERR_TREE_RANGE_INVALID';
}

/** A checkpoint names another log than the one the verifier follows. */
export class CheckpointOriginMismatch extends TlogError {
  static override readonly code = 'ERR_CHECKPOINT_ORIGIN_MISMATCH';
}

/**
 * Two checkpoints signed by the log cannot both be true: a smaller tree than already seen
 * (rollback), the same size with another root, or no valid consistency proof between them.
 */
export class LogInconsistent extends TlogError {
  static override readonly code: string = 'ERR_LOG_INCONSISTENT';
}

/** The entries the log serves do not hash to the root it signed. */
export class LogEntriesMismatch extends LogInconsistent {
  static override readonly code = 'ERR_LOG_ENTRIES_MISMATCH';
}
