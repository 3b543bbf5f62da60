import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DATA_EXCEPTION_DETAIL, isDataException } from './database-input-error.js';
import { asDomainError, statusOf } from './errors/http-mapping.js';

/** RFC 9457 problem details for every error outside SCIM (which has its own format). */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: string[];
  [extension: string]: unknown;
}

export const PROBLEM_TYPE_BASE = 'https://mls-identity.dev/problems/';

/** Errors that carry their own 4xx status (body-parser's malformed JSON, too-large bodies). */
function clientErrorStatus(e: unknown): number | undefined {
  const err = e as { status?: unknown; statusCode?: unknown; expose?: unknown };
  const status = typeof err?.status === 'number' ? err.status : typeof err?.statusCode === 'number' ? err.statusCode : undefined;
  return status !== undefined && status >= 400 && status < 500 ? status : undefined;
}

function slug(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

export function toProblem(exception: unknown, instance?: string): ProblemDetails {
  const domain = asDomainError(exception);
  if (domain) {
    const status = statusOf(domain);
    const title = HttpStatus[status].replace(/_/g, ' ').toLowerCase();
    return {
      type: `${PROBLEM_TYPE_BASE}${domain.code.replace(/_/g, '-')}`,
      title,
      status,
      detail: domain.message,
      instance,
      ...domain.details,
      reason: domain.code,
    };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const body = exception.getResponse();
    const title = HttpStatus[status] ? HttpStatus[status].replace(/_/g, ' ').toLowerCase() : 'error';
    const problem: ProblemDetails = { type: `${PROBLEM_TYPE_BASE}${slug(title)}`, title, status, instance };
    if (typeof body === 'string') problem.detail = body;
    else if (body && typeof body === 'object') {
      const { message, error: _error, statusCode: _statusCode, ...rest } = body as Record<string, unknown>;
      if (Array.isArray(message)) {
        problem.detail = 'the request is not valid';
        problem.errors = message.map(String);
      } else if (typeof message === 'string') problem.detail = message;
      Object.assign(problem, rest);
    }
    return problem;
  }
  if (isDataException(exception)) {
    return {
      type: `${PROBLEM_TYPE_BASE}bad-request`,
      title: 'bad request',
      status: 400,
      detail: DATA_EXCEPTION_DETAIL,
      reason: 'invalid_value',
      instance,
    };
  }
  const status = clientErrorStatus(exception);
  if (status !== undefined) {
    const type = (exception as { type?: string }).type;
    const detail =
      type === 'entity.parse.failed'
        ? 'the body is not valid JSON'
        : type === 'entity.too.large'
          ? 'the body is larger than this service accepts'
          : ((exception as Error).message ?? 'bad request');
    const title = status === 413 ? 'payload too large' : 'bad request';
    return { type: `${PROBLEM_TYPE_BASE}${slug(title)}`, title, status, detail, instance };
  }
  return {
    type: `${PROBLEM_TYPE_BASE}internal-error`,
    title: 'internal error',
    status: 500,
    detail: 'the service failed to handle this request; it has been logged',
    instance,
  };
}

@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly log = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<Request>();
    const problem = toProblem(exception, req?.originalUrl?.split('?')[0]);
    if (problem.status >= 500) {
      // The message and stack only: request bodies and headers may hold tokens or keys.
      this.log.error(`${req?.method} ${problem.instance}: ${(exception as Error)?.stack ?? String(exception)}`);
    }
    if (res.headersSent) return;
    if (problem.status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
    if ((problem.status === 429 || problem.status === 503) && typeof problem.retryAfterSeconds === 'number') {
      res.setHeader('Retry-After', String(problem.retryAfterSeconds));
    }
    res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
  }
}
