/**
 * PostgreSQL's SQLSTATE class 22, "data exception": the database refused a value the
 * request supplied (a NUL character in text, a malformed uuid, a number out of range...).
 * That is bad input, so callers answer 400 rather than 500; anything else stays a fault.
 */
export function isDataException(error: unknown): boolean {
  const err = error as { code?: unknown; driverError?: { code?: unknown } } | undefined;
  const code = err?.driverError?.code ?? err?.code;
  return typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code);
}

export const DATA_EXCEPTION_DETAIL = 'a value in the request cannot be stored or compared (e.g. a NUL character or a malformed identifier)';
