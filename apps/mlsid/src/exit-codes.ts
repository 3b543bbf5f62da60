import { ServiceUnavailable } from '#client-sdk';
import { LogInconsistent, ProofFailure, SignatureFailure } from '#tlog';

/** Exit codes of `mlsid`, stable for scripts and monitoring. */
export const EXIT = {
  ok: 0,
  /** Anything else: bad usage, authentication refused, malformed answers, another log. */
  other: 1,
  /** The log forked, rolled back, or serves entries/proofs its signed checkpoint does not cover. */
  inconsistent: 2,
  /** The checkpoint is not signed by the pinned log key. */
  badSignature: 3,
  /** The log or the service could not be reached (network error, timeout, 5xx). */
  unreachable: 4,
  /** The service said no: enrollment denied, renewal refused (device revoked, sign-in required). */
  refused: 5,
  /** `cert inspect`: the service reports the certificate as not valid (revoked, expired, unknown). */
  notValid: 6,
  /** `audit verify`: an audit entry was edited, deleted or reordered, or the chain disagrees with its KT log anchors. */
  auditChainBroken: 7,
} as const;

/** The log server could not be reached or failed (network, timeout, 5xx). */
export class LogUnreachable extends Error {
  readonly code = 'ERR_LOG_UNREACHABLE';
}

/** The server refused or rejected a request (4xx): wrong token, org or URL. */
export class LogRequestRefused extends Error {
  readonly code = 'ERR_LOG_REQUEST_REFUSED';
}

/** The server's account history leaves out or adds entries compared with the replayed log. */
export class AccountHistoryMismatch extends LogInconsistent {
  static override readonly code = 'ERR_ACCOUNT_HISTORY_MISMATCH';
}

/** The service refused a device command; the message says why and what to do. */
export class RefusedByService extends Error {
  readonly code = 'ERR_REFUSED_BY_SERVICE';
  constructor(
    message: string,
    readonly reason?: string,
  ) {
    super(message);
  }
}

/** `cert inspect` read the certificate, and the service says it is not valid. */
export class CertificateNotValid extends Error {
  readonly code = 'ERR_CERTIFICATE_NOT_VALID';
}

/** The audit chain does not verify; `reason` is edited, deleted, reordered or anchor_mismatch. */
export class AuditChainBroken extends Error {
  readonly code = 'ERR_AUDIT_CHAIN_BROKEN';
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

/** The command line or the state file is unusable. */
export class UsageError extends Error {
  readonly code = 'ERR_USAGE';
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof SignatureFailure) return EXIT.badSignature;
  if (error instanceof LogInconsistent || error instanceof ProofFailure) return EXIT.inconsistent;
  if (error instanceof LogUnreachable || error instanceof ServiceUnavailable) return EXIT.unreachable;
  if (error instanceof RefusedByService) return EXIT.refused;
  if (error instanceof CertificateNotValid) return EXIT.notValid;
  if (error instanceof AuditChainBroken) return EXIT.auditChainBroken;
  return EXIT.other;
}
