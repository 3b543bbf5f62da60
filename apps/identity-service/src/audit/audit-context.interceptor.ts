import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Observable } from 'rxjs';
import type { Principal } from '../common/access/index.js';
import { runWithAuditContext, type AuditContext } from './audit-context.js';

/** What both HTTP adapters give a handler (no express import). */
type RequestLike = { id?: unknown; ip?: string; headers: Record<string, string | string[] | undefined>; user?: Principal };
type ResponseLike = { getHeader?: (name: string) => unknown };

const REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/;

function requestIdOf(req: RequestLike, res: ResponseLike): string | null {
  // pino-http assigned it (the caller's X-Request-Id when it looked like one) and echoed it.
  if (typeof req.id === 'string' && req.id !== '') return req.id;
  const echoed = res.getHeader?.('x-request-id');
  if (typeof echoed === 'string') return echoed;
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : null;
}

export function auditContextOf(req: RequestLike, res: ResponseLike): AuditContext {
  const p = req.user;
  return {
    requestId: requestIdOf(req, res),
    sourceIp: req.ip ?? null,
    principal: p
      ? p.kind === 'admin'
        ? { kind: p.kind, actor: p.actor, roles: [...p.roles], via: p.via }
        : { kind: p.kind, actor: p.actor, roles: [p.kind], via: null }
      : null,
  };
}

/**
 * Runs every HTTP handler (after the guards, so the principal is known) inside its request's
 * audit context. The handler is invoked on subscription, so subscribing inside the context
 * carries it through every await of the handler.
 */
@Injectable()
export class AuditContextInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const audit = auditContextOf(http.getRequest<RequestLike>(), http.getResponse<ResponseLike>());
    return new Observable((subscriber) => runWithAuditContext(audit, () => next.handle().subscribe(subscriber)));
  }
}
