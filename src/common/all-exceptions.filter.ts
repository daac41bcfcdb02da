import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { isDatabaseUnavailable, uniqueViolation } from '../database/db-errors';
import { errorBody } from './http-pipeline';
import type { AppRequest } from './request-context';

/**
 * One error envelope for every response: { statusCode, error, message, requestId }.
 * Anything that is not an HttpException is logged here and answered without detail: a 5xx never
 * shows a stack, SQL or a secret.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<AppRequest>();
    const res = ctx.getResponse<Response>();
    const requestId = req.id;
    if (res.headersSent) return;

    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      const message =
        typeof body === 'string'
          ? body
          : ((body as { message?: string | string[] }).message ?? exception.message);
      const headers = (exception as HttpException & { headers?: Record<string, string> }).headers;
      if (headers) for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
      res.status(status).json(errorBody(status, message, requestId));
      return;
    }
    if (isDatabaseUnavailable(exception)) {
      this.logger.warn(`database unavailable (request ${requestId}): ${(exception as Error).message}`);
      res.setHeader('Retry-After', '5');
      res.status(503).json(errorBody(503, 'Database unavailable, try again shortly', requestId));
      return;
    }
    if (uniqueViolation(exception)) {
      res.status(409).json(errorBody(409, 'Conflict with an existing record', requestId));
      return;
    }
    const err = exception as Error;
    this.logger.error(`unhandled error (request ${requestId}): ${err?.message}`, err?.stack);
    res.status(500).json(errorBody(500, 'Internal server error', requestId));
  }
}
