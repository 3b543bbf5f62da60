/**
 * The database could not be reached or dropped the connection: not the request's fault and
 * not a bug, so callers answer 503 (retry later) rather than 500. Recognised by the SQLSTATE
 * of a server refusal (class 08 connection exception; 57P01-57P03 shutting down or starting;
 * 53300 too many connections), by the socket error of the driver, or by the messages node-pg
 * gives a connection that ended or a pool that timed out waiting for one. Whatever ran the
 * query (TypeORM, or a library such as rate-limiter-flexible on the same pool) is unwrapped.
 */
const SERVER_CODES = /^(08[0-9A-Z]{3}|57P0[123]|53300)$/;
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);
const MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Connection terminated unexpectedly',
];

export function isDatabaseUnavailable(error: unknown): boolean {
  for (
    let e = error as { code?: unknown; message?: unknown; driverError?: unknown; errors?: unknown } | undefined, depth = 0;
    e && depth < 4;
    depth++
  ) {
    const code = e.code;
    if (typeof code === 'string' && (SERVER_CODES.test(code) || SOCKET_CODES.has(code))) return true;
    if (typeof e.message === 'string' && MESSAGES.some((m) => (e!.message as string).startsWith(m))) return true;
    // An AggregateError (a host name resolving to several addresses) fails when all of them do.
    if (Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every((inner) => isDatabaseUnavailable(inner))) return true;
    e = e.driverError as typeof e;
  }
  return false;
}
