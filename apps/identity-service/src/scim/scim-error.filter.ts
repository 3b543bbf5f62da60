import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { renderScimError, ScimError } from '#scim';
import { DATA_EXCEPTION_DETAIL, isDataException } from '../common/database-input-error.js';
import { asDomainError, scimTypeOf, statusOf } from '../common/errors/http-mapping.js';

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

const UNIQUE_VIOLATION = '23505';

/** Any failure as an RFC 7644 §3.12 error; undefined for a server fault (500). */
export function toScimError(exception: unknown): ScimError | undefined {
  if (exception instanceof ScimError) return exception;
  const domain = asDomainError(exception);
  if (domain) return new ScimError(statusOf(domain), domain.message, scimTypeOf(domain.kind));
  if (exception instanceof HttpException) {
    const body = exception.getResponse();
    const message =
      typeof body === 'string'
        ? body
        : typeof (body as { message?: unknown })?.message === 'string'
          ? (body as { message: string }).message
          : exception.message;
    return new ScimError(exception.getStatus(), message);
  }
  const err = exception as {
    type?: unknown;
    status?: unknown;
    code?: unknown;
    constraint?: unknown;
    driverError?: { code?: unknown; constraint?: unknown };
  };
  const code = err?.code ?? err?.driverError?.code;
  const constraint = err?.constraint ?? err?.driverError?.constraint;
  if (code === UNIQUE_VIOLATION && constraint === 'account_org_user_name') {
    return ScimError.uniqueness('userName is already in use in this organisation');
  }
  if (isDataException(exception)) return ScimError.invalidValue(DATA_EXCEPTION_DETAIL);
  // body-parser failures carry their own 4xx status and a type.
  if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500) {
    if (err.type === 'entity.parse.failed') return ScimError.invalidSyntax('the body is not valid JSON');
    if (err.type === 'entity.too.large') return new ScimError(413, 'the body is larger than this service accepts');
    if (err.type === 'encoding.unsupported' || err.type === 'charset.unsupported') return new ScimError(415, 'unsupported body encoding');
    return new ScimError(err.status, 'the request body could not be read');
  }
  return undefined;
}

const log = new Logger('ScimErrors');

export function sendScimError(exception: unknown, req: Request, res: Response): void {
  const error = toScimError(exception) ?? new ScimError(500, 'the service failed to handle this request; it has been logged');
  if (error.status >= 500) {
    // The message and stack only: SCIM bodies hold personal data and tokens sit in headers.
    log.error(`${req.method} ${req.originalUrl.split('?')[0]}: ${(exception as Error)?.stack ?? String(exception)}`);
  }
  if (res.headersSent) return;
  if (error.status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
  res.status(error.status).setHeader('Content-Type', SCIM_CONTENT_TYPE);
  res.send(JSON.stringify(renderScimError(error)));
}

/** On the SCIM controllers: their errors are SCIM errors, never problem+json. */
@Catch()
export class ScimExceptionFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    sendScimError(exception, ctx.getRequest<Request>(), ctx.getResponse<Response>());
  }
}

/**
 * Body-parser failures (malformed JSON, oversize bodies) happen before routing, where no
 * controller filter applies; mounted on /scim right after the body parsers, this renders
 * them as SCIM errors too.
 */
export function scimBodyParserErrors(err: unknown, req: Request, res: Response, next: NextFunction): void {
  if (toScimError(err) === undefined) return next(err);
  sendScimError(err, req, res);
}
