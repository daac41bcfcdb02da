import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Inject, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { isDatabaseUnavailable, uniqueViolation, valueTooLong } from '../database/db-errors';
import { APP_CONFIG, AppConfig } from '../config/config';
import { errorBody } from './error.view';
import type { AppRequest } from './app-request';
import { bodyLimitBytes } from './http-pipeline';

export interface ErrorResponse {
  status: number;
  body: ReturnType<typeof errorBody>;
  headers: Record<string, string>;
}

/** A response to send exactly as stored (an idempotent replay), rather than an error to render. */
export class StoredResponse extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string>,
  ) {
    super('stored response');
  }
}

/**
 * The `x-should-retry` header for an error status. Stainless-generated SDKs (Devdraft's among
 * them) retry 408, 409, 429 and every 5xx unless this header says otherwise: `true` where waiting
 * can change the answer (it comes with Retry-After: an idempotency key still in flight, the rate
 * limit, the database away), `false` for any other 4xx (a taken email, a stale If-Match, a reused
 * idempotency key, a missing scope, an unknown id, a bad body). Other 5xx get none: the SDK's own
 * judgement stands.
 */
export function shouldRetry(status: number, headers: Record<string, string>): 'true' | 'false' | undefined {
  if ('Retry-After' in headers || status === 408 || status === 429 || status === 503) return 'true';
  if (status >= 400 && status < 500) return 'false';
  return undefined;
}

/** The error response with its retry advice (see shouldRetry). */
export function errorResponse(exception: unknown, requestId: string, bodyLimit?: string): ErrorResponse {
  const out = renderError(exception, requestId, bodyLimit);
  const advice = shouldRetry(out.status, out.headers);
  return advice === undefined ? out : { ...out, headers: { ...out.headers, 'x-should-retry': advice } };
}

/**
 * What the client sees for an exception. Anything that is not an HttpException is answered
 * without detail: a 5xx never shows a stack, SQL or a secret.
 */
function renderError(exception: unknown, requestId: string, bodyLimit = 'the limit'): ErrorResponse {
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    // Only Fastify's bodyLimit answers 413 (Nest hands its error over as an HttpException).
    if (status === 413)
      return { status, body: errorBody(status, bodyTooLarge(bodyLimit), requestId), headers: {} };
    const raw = exception.getResponse();
    const message =
      typeof raw === 'string' ? raw : ((raw as { message?: string | string[] }).message ?? exception.message);
    const headers = (exception as HttpException & { headers?: Record<string, string> }).headers ?? {};
    return { status, body: errorBody(status, message, requestId), headers };
  }
  const early = fastifyClientError(exception, bodyLimit);
  if (early)
    return { status: early.status, body: errorBody(early.status, early.message, requestId), headers: {} };
  if (isDatabaseUnavailable(exception)) {
    return {
      status: 503,
      body: errorBody(503, 'Database unavailable, try again shortly', requestId),
      headers: { 'Retry-After': '5' },
    };
  }
  const tooLong = valueTooLong(exception);
  if (tooLong) {
    // email_key is the lower-cased email, which can be longer than the email itself (İ → i̇).
    const field = tooLong === 'email_key' ? 'email' : tooLong;
    return {
      status: 400,
      body: errorBody(400, [`${field} is too long to be stored`], requestId),
      headers: {},
    };
  }
  if (uniqueViolation(exception)) {
    return { status: 409, body: errorBody(409, 'Conflict with an existing record', requestId), headers: {} };
  }
  return { status: 500, body: errorBody(500, 'Internal server error', requestId), headers: {} };
}

/** BODY_LIMIT is enforced by Fastify alone (fastifyOptions), for announced and chunked bodies alike. */
function bodyTooLarge(bodyLimit: string): string {
  return `Request body is larger than ${bodyLimit}`;
}

/**
 * Errors Fastify raises itself before a route runs (body over BODY_LIMIT, whether announced by
 * Content-Length or grown past it in chunks; a bad Content-Length): the client's fault, so their
 * 4xx status in the envelope rather than a 500.
 */
function fastifyClientError(
  exception: unknown,
  bodyLimit: string,
): { status: number; message: string } | undefined {
  const e = exception as { code?: unknown; statusCode?: unknown } | null;
  if (!e || typeof e.code !== 'string' || !e.code.startsWith('FST_')) return undefined;
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status < 400 || status >= 500) return undefined;
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, message: bodyTooLarge(bodyLimit) };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, message: 'Content-Type must be application/json' };
    default:
      return { status, message: 'Invalid request' };
  }
}

/** One error envelope for every response: { statusCode, error, message, requestId }. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<AppRequest>();
    const res = ctx.getResponse<FastifyReply>();
    if (res.sent) return;

    if (exception instanceof StoredResponse) {
      // A replayed error (a taken email, 404, 403, 412) is as final as it was the first time.
      const advice = shouldRetry(exception.status, exception.headers);
      const headers =
        advice === undefined ? exception.headers : { ...exception.headers, 'x-should-retry': advice };
      res.headers(headers).status(exception.status).send(exception.body);
      return;
    }
    const limit = req.routeOptions?.bodyLimit;
    const bodyLimit =
      limit !== undefined && limit !== bodyLimitBytes(this.config.bodyLimit)
        ? `${Math.round(limit / 1024 / 1024)}mb`
        : this.config.bodyLimit;
    const out = errorResponse(exception, req.id, bodyLimit);
    if (out.status >= 500) {
      const err = exception as Error;
      if (out.status === 503) this.logger.warn(`database unavailable (request ${req.id}): ${err?.message}`);
      else this.logger.error(`unhandled error (request ${req.id}): ${err?.message}`, err?.stack);
    }
    res.headers(out.headers).status(out.status).send(out.body);
  }
}
