/**
 * Failures of key custody. None is a caller's fault, so none is a DomainError with a status:
 * each means the deployment is broken (a wrong KEK, a tampered row, a key id that a CA or log
 * row names but custody does not hold, a retired key still in use) and surfaces as a 500 that is
 * logged, never documented to clients. They are not in the error catalogue for that reason.
 */
export class KeyNotFoundError extends Error {
  readonly code = 'ERR_KEY_NOT_FOUND';
  constructor(keyId: string) {
    super(`no key ${keyId} in custody`);
  }
}

export class KeyRetiredError extends Error {
  readonly code = 'ERR_KEY_RETIRED';
  constructor(keyId: string) {
    super(`key ${keyId} is retired and can no longer sign`);
  }
}

export class SealedDataError extends Error {
  readonly code = 'ERR_SEALED_DATA';
  constructor() {
    // Deliberately says nothing about the content: the caller logs this, never the bytes.
    super('sealed data could not be opened (wrong KEK, tampered, or bound to another record)');
  }
}

export class KeyCustodyMismatchError extends Error {
  readonly code = 'ERR_KEY_CUSTODY_MISMATCH';
  constructor(keyId: string, custody: string) {
    super(`key ${keyId} is held in ${custody === 'pkcs11' ? 'a PKCS#11 token' : 'the database'}, which this key store does not use`);
  }
}

/** The configured PKCS#11 token cannot be used, or cannot hold a key type the service needs. */
export class KeyStoreUnavailableError extends Error {
  readonly code = 'ERR_KEY_STORE_UNAVAILABLE';
  constructor(message: string) {
    super(message);
  }
}
