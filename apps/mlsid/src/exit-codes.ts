import { LogInconsistent, ProofFailure, SignatureFailure } from '#tlog';

/** Exit codes of `mlsid log …`, stable for scripts and monitoring. */
export const EXIT = {
  ok: 0,
  /** Anything else: bad usage, authentication refused, malformed answers, another log. */
  other: 1,
  /** The log forked, rolled back, or serves entries/proofs its signed checkpoint does not cover. */
  inconsistent: 2,
  /** The checkpoint is not signed by the pinned log key. */
  badSignature: 3,
  /** The log could not be reached (network error, timeout, 5xx). */
  unreachable: 4,
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

/** The command line or the state file is unusable. */
export class UsageError extends Error {
  readonly code = 'ERR_USAGE';
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof SignatureFailure) return EXIT.badSignature;
  if (error instanceof LogInconsistent || error instanceof ProofFailure) return EXIT.inconsistent;
  if (error instanceof LogUnreachable) return EXIT.unreachable;
  return EXIT.other;
}
