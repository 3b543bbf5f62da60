// Typed errors with stable codes: callers (controllers, the client SDK) map `code` to a
// problem+json type or a client-side reason without parsing messages.

export abstract class MlsGlueError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Untrusted bytes did not decode as the expected RFC 9420 structure. */
export class MlsDecodeError extends MlsGlueError {
  readonly code = 'ERR_MLS_DECODE';
  constructor(
    /** the structure that was being decoded, e.g. "MLSMessage", "external_senders" */
    readonly structure: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${structure}: ${message}`, options);
  }
}

/** A caller passed an argument that cannot be right (programming error, not untrusted input). */
export class MlsInvalidArgumentError extends MlsGlueError {
  readonly code = 'ERR_MLS_INVALID_ARGUMENT';
}

/** The message or structure decoded but is not the kind the operation needs. */
export class MlsUnexpectedContentError extends MlsGlueError {
  readonly code = 'ERR_MLS_UNEXPECTED_CONTENT';
}

/** The ciphersuite is not one ts-mls can run here. */
export class MlsUnsupportedCiphersuiteError extends MlsGlueError {
  readonly code = 'ERR_MLS_UNSUPPORTED_CIPHERSUITE';
}

/** The group's external_senders extension does not list the given signature key. */
export class MlsExternalSenderNotListedError extends MlsGlueError {
  readonly code = 'ERR_MLS_EXTERNAL_SENDER_NOT_LISTED';
}

/** A signature (GroupInfo, KeyPackage, FramedContent) did not verify. */
export class MlsSignatureInvalidError extends MlsGlueError {
  readonly code = 'ERR_MLS_SIGNATURE_INVALID';
}

/** The ratchet tree has no member at the leaf index asked for. */
export class MlsLeafNotFoundError extends MlsGlueError {
  readonly code = 'ERR_MLS_LEAF_NOT_FOUND';
}

/** The caller's credential policy refused leaves of a ratchet tree (RFC 9420 §5.3.1, §7.2). */
export class MlsLeafCredentialRejectedError extends MlsGlueError {
  readonly code = 'ERR_MLS_LEAF_CREDENTIAL_REJECTED';
  constructor(readonly leafIndexes: readonly number[]) {
    super(`the credential of leaf ${leafIndexes.join(', ')} is not acceptable (RFC 9420 §5.3.1)`);
  }
}
