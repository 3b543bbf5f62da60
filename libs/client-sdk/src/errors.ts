/**
 * Typed errors with stable codes, like jose's `ERR_...`: an app branches on `code` (or on
 * `reason` for a service refusal), never on message text. Untrusted input (service answers,
 * credentials of peers, MLS messages) only ever produces these.
 */
export abstract class ClientSdkError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The service answered with an error status; `reason` is its problem+json `reason` member. */
export class ServiceRefusal extends ClientSdkError {
  readonly code = 'ERR_SERVICE_REFUSED';
  constructor(
    readonly status: number,
    readonly reason: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** The service could not be reached, or failed (5xx): worth retrying later. */
export class ServiceUnavailable extends ClientSdkError {
  readonly code = 'ERR_SERVICE_UNAVAILABLE';
}

/** A service answer that is not what the API promises. */
export class ResponseMalformed extends ClientSdkError {
  readonly code = 'ERR_RESPONSE_MALFORMED';
}

export class UnsupportedCiphersuite extends ClientSdkError {
  readonly code = 'ERR_CIPHERSUITE_UNSUPPORTED';
}

/** An enrollment ended without a certificate: the IdP or the user said no, or it expired. */
export class EnrollmentFailed extends ClientSdkError {
  readonly code = 'ERR_ENROLLMENT_FAILED';
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** The caller's AbortSignal fired. */
export class OperationAborted extends ClientSdkError {
  readonly code = 'ERR_ABORTED';
}

/** The key-transparency log showed this device a view that does not extend what it saw before. */
export class LogInconsistent extends ClientSdkError {
  readonly code = 'ERR_LOG_INCONSISTENT';
}

/** A log answer failed verification: bad checkpoint signature, bad proof or entry. */
export class LogVerificationFailed extends ClientSdkError {
  readonly code = 'ERR_LOG_VERIFICATION_FAILED';
}

/** The service's external sender is not certified by the org's trust bundle as its removal service. */
export class ExternalSenderUntrusted extends ClientSdkError {
  readonly code = 'ERR_EXTERNAL_SENDER_UNTRUSTED';
}

/** A stored value (device keys, verifier state) that cannot be read back. */
export class StoredStateMalformed extends ClientSdkError {
  readonly code = 'ERR_STORED_STATE_MALFORMED';
}

/** A peer credential that is not an x509 chain this SDK can read. */
export class CredentialUnreadable extends ClientSdkError {
  readonly code = 'ERR_CREDENTIAL_UNREADABLE';
}
