import { randomUUID } from 'node:crypto';
import { Server, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { INestApplication } from '@nestjs/common';
import express, { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { AppConfig } from '../config/config';
import { pinoHttpOptions } from '../logging/logging.module';
import type { MetricsService } from '../metrics/metrics.service';
import type { AppRequest } from './request-context';

const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/** x-request-id: echoed when the client sent a sane one, generated otherwise; on every response. */
export function requestId(req: Request, res: Response, next: NextFunction): void {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
  (req as AppRequest).id = id;
  res.setHeader('x-request-id', id);
  next();
}

export function errorBody(status: number, message: string | string[], requestId: string) {
  return { statusCode: status, error: STATUS_CODES[status] ?? 'Error', message, requestId };
}

/**
 * Requests Node's HTTP parser refuses before any middleware runs (headers over 16 KiB, malformed
 * request lines): the same envelope and x-request-id as every other error, instead of Node's bare
 * status line.
 */
function answerUnparseableRequest(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'HPE_REQUEST_TIMEOUT' ? 408 : 400;
  const message =
    status === 431
      ? 'Request headers are too large'
      : status === 408
        ? 'Request timed out'
        : 'Malformed HTTP request';
  const id = randomUUID();
  const body = JSON.stringify(errorBody(status, message, id));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nx-request-id: ${id}\r\nConnection: close\r\n\r\n${body}`,
  );
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** A lone UTF-16 surrogate (`"\ud800"` is valid JSON): no database can store it as it was sent. */
const LONE_SURROGATE = /\p{Cs}/u;
const NOT_UNICODE = 'Request body must be valid Unicode (it contains a lone UTF-16 surrogate escape)';

/**
 * Refuses keys that could reach an object's prototype, wherever they sit in the document, and
 * strings that are not valid Unicode, which could not be stored as they were sent.
 */
function refusePrototypeKeys(key: string, value: unknown): unknown {
  if (FORBIDDEN_KEYS.has(key)) throw new SyntaxError(`property ${key} should not exist`);
  if (LONE_SURROGATE.test(key) || (typeof value === 'string' && LONE_SURROGATE.test(value)))
    throw new SyntaxError(NOT_UNICODE);
  return value;
}

interface BodyParserError {
  type?: string;
  status?: number;
  message?: string;
}

/**
 * Everything ahead of Nest's router, in order: request id, access log, metrics, security
 * headers, then body parsing, so malformed JSON, a body over the limit or a wrong content type
 * get the same error envelope (400, 413, 415) and are logged and counted like any request.
 */
export function installHttpPipeline(app: INestApplication, config: AppConfig, metrics: MetricsService): void {
  const bodyLimit = config.bodyLimit;
  (app.getHttpServer() as Server).on('clientError', answerUnparseableRequest);
  app.use(requestId);
  app.use(pinoHttp(pinoHttpOptions(config)));
  if (config.metricsEnabled) app.use(metrics.middleware());
  app.use(
    helmet({
      // Swagger UI at /docs loads its own script and styles from this origin, plus data: images.
      // No upgrade-insecure-requests: /docs must load over plain http on a LAN or Docker host name.
      contentSecurityPolicy: {
        directives: { 'img-src': ["'self'", 'data:'], 'upgrade-insecure-requests': null },
      },
    }),
  );
  app.use(express.json({ limit: bodyLimit, strict: true, reviver: refusePrototypeKeys }));
  app.use((req: Request, res: Response, next: NextFunction) => {
    const hasBody =
      Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (['POST', 'PUT', 'PATCH'].includes(req.method) && hasBody && !req.is('application/json')) {
      res.status(415).json(errorBody(415, 'Content-Type must be application/json', (req as AppRequest).id));
      return;
    }
    if (Array.isArray(req.body)) {
      res.status(400).json(errorBody(400, 'Request body must be a JSON object', (req as AppRequest).id));
      return;
    }
    next();
  });
  app.use((err: BodyParserError, req: Request, res: Response, next: NextFunction) => {
    if (!err || typeof err !== 'object' || !err.type) return next(err);
    const id = (req as AppRequest).id;
    switch (err.type) {
      case 'entity.too.large':
        res.status(413).json(errorBody(413, `Request body is larger than ${bodyLimit}`, id));
        return;
      case 'entity.parse.failed': {
        const known = err.message?.startsWith('property ') || err.message === NOT_UNICODE;
        const msg = known && err.message ? err.message : 'Malformed JSON in request body';
        res.status(400).json(errorBody(400, msg, id));
        return;
      }
      case 'encoding.unsupported':
      case 'charset.unsupported':
        res.status(415).json(errorBody(415, 'Unsupported content encoding or charset', id));
        return;
      default:
        res.status(err.status && err.status >= 400 && err.status < 500 ? err.status : 400);
        res.json(errorBody(res.statusCode, 'Invalid request body', id));
    }
  });
}
