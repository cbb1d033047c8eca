import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { QueryFailedError } from 'typeorm';
import { DomainError, ERROR_STATUS, type ErrorCode, type ErrorDetail } from '@hgtrace/common';
import { Env } from '@hgtrace/config';
import { isConnectionError, pgCode, pgConstraint } from '@hgtrace/database';

export interface ErrorBody {
  statusCode: number;
  code: ErrorCode;
  message: string;
  details: ErrorDetail[];
  requestId: string | null;
}

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'BAD_REQUEST',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'BUSINESS_RULE',
  429: 'RATE_LIMITED',
  503: 'DEPENDENCY_DOWN',
};

/**
 * The one place that turns errors into the error body of API.md. Domain errors carry their code;
 * framework, database and Redis errors are mapped here; anything else is a 500 that is logged with
 * the request id and says nothing about internals.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(
    private readonly env: Env,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const context = host.switchToHttp();
    // A Fastify request and reply (or Node's, were a Nest middleware to fail): replied to through the adapter.
    const request = context.getRequest<{ id?: unknown; method?: string; url?: string } | undefined>();
    const response: unknown = context.getResponse();
    const http = this.adapterHost.httpAdapter;
    const requestId = request?.id !== undefined ? String(request.id) : null;
    const body = { ...this.toBody(exception, requestId), requestId };
    if (body.statusCode >= 500 && body.code === 'INTERNAL') {
      this.logger.error({ err: exception, requestId, path: request?.url }, `unhandled error on ${request?.method} ${request?.url}`);
    }
    if (http.isHeadersSent(response)) {
      http.end(response);
      return;
    }
    if (body.statusCode === 503) http.setHeader(response, 'Retry-After', '5');
    http.reply(response, body, body.statusCode);
  }

  private toBody(exception: unknown, requestId: string | null): ErrorBody {
    if (exception instanceof DomainError) {
      return { statusCode: exception.status, code: exception.code, message: exception.message, details: exception.details, requestId };
    }
    if (exception instanceof HttpException) {
      const cause = (exception as { cause?: unknown }).cause;
      return isFastifyError(cause) ? this.fromFastify(cause, requestId) : this.fromHttpException(exception, requestId);
    }
    if (isFastifyError(exception)) return this.fromFastify(exception, requestId);
    if (isConnectionError(exception) || isRedisUnavailable(exception)) {
      return { statusCode: 503, code: 'DEPENDENCY_DOWN', message: 'A service hgtrace depends on is unavailable; try again shortly', details: [], requestId };
    }
    if (exception instanceof QueryFailedError) {
      const mapped = fromQueryFailed(exception);
      if (mapped) return { ...mapped, requestId };
    }
    return { statusCode: 500, code: 'INTERNAL', message: 'Something went wrong on our side; quote the request id when reporting it', details: [], requestId };
  }

  private fromHttpException(exception: HttpException, requestId: string | null): ErrorBody {
    const statusCode = exception.getStatus();
    const code = CODE_BY_STATUS[statusCode] ?? (statusCode >= 500 ? 'INTERNAL' : 'BAD_REQUEST');
    const payload = exception.getResponse();
    let message = exception.message;
    let details: ErrorDetail[] = [];
    if (statusCode === HttpStatus.SERVICE_UNAVAILABLE && typeof payload === 'object' && payload && 'error' in payload) {
      // Terminus: list the components that are down.
      const down = (payload as { error?: Record<string, { status: string; message?: string }> }).error ?? {};
      details = Object.entries(down).map(([path, info]) => ({ path, message: info.message ?? info.status }));
      message = 'Not ready: a dependency is down';
    } else if (typeof payload === 'object' && payload && 'message' in payload) {
      const m = (payload as { message: unknown }).message;
      message = Array.isArray(m) ? m.join('; ') : String(m);
    }
    if (statusCode === 404 && /^Cannot (GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)/.test(message)) message = 'No such endpoint';
    if (statusCode === 429) message = 'Too many requests; wait a minute and try again';
    return { statusCode, code, message, details, requestId };
  }

  /** Fastify's own refusals of a request (its body, its content type), before any handler runs. */
  private fromFastify(error: FastifyError, requestId: string | null): ErrorBody {
    switch (error.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return { statusCode: 413, code: 'PAYLOAD_TOO_LARGE', message: `The request body is larger than the ${this.env.BODY_LIMIT_BYTES} bytes allowed`, details: [], requestId };
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
        return invalidJson(requestId);
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return { statusCode: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Send the request body as application/json', details: [], requestId };
    }
    const statusCode = error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
    return { statusCode, code: CODE_BY_STATUS[statusCode] ?? 'BAD_REQUEST', message: error.message, details: [], requestId };
  }
}

/** A body Fastify's JSON parser could not parse, or that request-bodies.ts refused. */
function invalidJson(requestId: string | null): ErrorBody {
  return { statusCode: 400, code: 'VALIDATION_FAILED', message: 'The request body is not valid JSON', details: [{ path: '', message: 'is not valid JSON' }], requestId };
}

interface FastifyError extends Error {
  code: string;
  statusCode: number;
}

function isFastifyError(error: unknown): error is FastifyError {
  return error instanceof Error && error.name === 'FastifyError' && typeof (error as FastifyError).code === 'string' && typeof (error as FastifyError).statusCode === 'number';
}

function isRedisUnavailable(error: unknown): boolean {
  const message = (error as Error)?.message ?? '';
  return (error as Error)?.name === 'MaxRetriesPerRequestError' || /enableOfflineQueue|Connection is closed|Stream isn't writeable/i.test(message);
}

/** Database refusals that come from input the validators let through: answered as 4xx, never 500. */
function fromQueryFailed(error: QueryFailedError): Omit<ErrorBody, 'requestId'> | null {
  const code = pgCode(error) ?? '';
  const constraint = pgConstraint(error);
  if (code === '23505') {
    return { statusCode: 409, code: 'CONFLICT', message: 'A record with the same key exists', details: constraint ? [{ path: constraint, message: 'duplicate' }] : [] };
  }
  if (code === '23503') {
    return { statusCode: 409, code: 'CONFLICT', message: 'The record refers to, or is referred to by, another record', details: constraint ? [{ path: constraint, message: 'reference' }] : [] };
  }
  if (code === '23514' || code === '23P01' || code === '23502') {
    return { statusCode: 400, code: 'VALIDATION_FAILED', message: 'The request breaks a rule of the data', details: constraint ? [{ path: constraint, message: 'violated' }] : [] };
  }
  if (code.startsWith('22')) {
    return { statusCode: 400, code: 'VALIDATION_FAILED', message: 'A value in the request is out of range or malformed', details: [] };
  }
  if (code === '40001' || code === '40P01' || code === '55P03') {
    return { statusCode: 409, code: 'CONFLICT', message: 'The record was changed at the same time by another request; try again', details: [] };
  }
  return null;
}

export { ERROR_STATUS };
