import { AsyncLocalStorage } from 'node:async_hooks';

/** Who is acting and from where, for the audit entries written while serving one request. */
export interface AuditContext {
  requestId: string | null;
  sourceIp: string | null;
  /** The authenticated caller, when the route has one. */
  principal: { kind: string; actor: string; roles: readonly string[]; via: string | null } | null;
}

const storage = new AsyncLocalStorage<AuditContext>();

/**
 * Runs `fn` with `context` as the request's audit context: every `AuditService.record` in the
 * async work it starts reads the caller, IP and request id from here, so no service threads
 * them through its parameters.
 */
export function runWithAuditContext<T>(context: AuditContext, fn: () => T): T {
  return storage.run(context, fn);
}

export function currentAuditContext(): AuditContext | undefined {
  return storage.getStore();
}
