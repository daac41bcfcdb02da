import { randomUUID } from 'node:crypto';
import { IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import helmet from '@fastify/helmet';
import { HttpException } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/config';
import type { MetricsService } from '../metrics/metrics.service';
import type { AppRequest } from './app-request';
import { errorBody } from './error.view';

const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (headers over 16 KiB, malformed
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

/** The body limit of the bulk routes (or BODY_LIMIT, when that is larger). */
export const BULK_BODY_LIMIT = 5 * 1024 * 1024;

/** BODY_LIMIT ("100kb", "1mb", "512b") in bytes. */
export function bodyLimitBytes(limit: string): number {
  const m = /^(\d+)(b|kb|mb)$/i.exec(limit);
  if (!m) throw new Error(`bad body limit ${limit}`);
  const unit = m[2].toLowerCase();
  return Number(m[1]) * (unit === 'mb' ? 1024 * 1024 : unit === 'kb' ? 1024 : 1);
}

/**
 * Fastify's own options: the client's x-request-id when it is sane (else a new UUID) as the
 * request id, the body limit, trust proxy, and Express's routing leniency (a trailing slash and
 * letter case do not change the route), which clients of the earlier Express build relied on.
 */
export function fastifyOptions(config: AppConfig): FastifyServerOptions {
  return {
    bodyLimit: bodyLimitBytes(config.bodyLimit),
    trustProxy: config.trustProxy,
    genReqId: (req: IncomingMessage) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    clientErrorHandler: answerUnparseableRequest,
    // A path Fastify cannot decode (a stray "%"): answered before any hook runs, so here.
    frameworkErrors: (_error, req, reply) => {
      void (reply as FastifyReply)
        .header('x-request-id', req.id)
        .status(400)
        .send(errorBody(400, 'Malformed URL (bad percent-encoding)', req.id));
    },
    routerOptions: { ignoreTrailingSlash: true, caseSensitive: false, maxParamLength: 1000 },
  };
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** A lone UTF-16 surrogate (`"\ud800"` is valid JSON): no database can store it as it was sent. */
const LONE_SURROGATE = /\p{Cs}/u;
const NOT_UNICODE = 'Request body must be valid Unicode (it contains a lone UTF-16 surrogate escape)';
/** Text that could spell a forbidden key or a surrogate: only then is the slower reviver needed. */
const NEEDS_REVIVER = /\\u|__proto__|constructor|prototype/;

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

/** Deeper than this is refused: no field nests past a few levels, and deep documents overflow recursive walks. */
export const MAX_JSON_DEPTH = 64;

/** Whether the JSON text nests objects and arrays deeper than MAX_JSON_DEPTH (brackets in strings do not count). */
function nestsTooDeep(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_JSON_DEPTH) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

function clientError(status: number, message: string): HttpException {
  return new HttpException(message, status);
}

/** The request body as a JSON object; the error it deserves otherwise. */
export function parseJsonBody(text: string): Record<string, unknown> {
  const first = /\S/.exec(text)?.[0];
  if (first === undefined) return {};
  // Like Express's strict JSON parser: an object or an array, never a bare value.
  if (first !== '{' && first !== '[') throw clientError(400, 'Malformed JSON in request body');
  if (nestsTooDeep(text)) throw clientError(400, `Request body nests deeper than ${MAX_JSON_DEPTH} levels`);
  let value: unknown;
  try {
    value = NEEDS_REVIVER.test(text) ? JSON.parse(text, refusePrototypeKeys) : JSON.parse(text);
  } catch (err) {
    const msg = (err as Error).message;
    const known = msg.startsWith('property ') || msg === NOT_UNICODE;
    throw clientError(400, known ? msg : 'Malformed JSON in request body');
  }
  if (Array.isArray(value)) throw clientError(400, 'Request body must be a JSON object');
  return value as Record<string, unknown>;
}

/** Routes polled by orchestrators and scrapers: their access lines are debug level. */
const PROBES = new Set(['/health/live', '/health/ready', '/metrics']);

const JSON_CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)/i;
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Everything around Nest's router: the request id on every response, security headers, JSON
 * bodies only (a malformed body, one over the limit or of another type is 400, 413, 415 in the
 * error envelope), and one access log line and one metrics observation per response.
 */
export async function installHttpPipeline(
  app: NestFastifyApplication,
  config: AppConfig,
  metrics: MetricsService,
  logger: Logger,
): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();

  fastify.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id);
    done();
  });

  await app.register(helmet, {
    // Swagger UI at /docs loads its own script and styles from this origin, plus data: images.
    // No upgrade-insecure-requests: /docs must load over plain http on a LAN or Docker host name.
    contentSecurityPolicy: {
      directives: { 'img-src': ["'self'", 'data:'], 'upgrade-insecure-requests': null },
    },
  });

  // Bulk routes take batches of up to 500 customers: a larger body than one customer's.
  const bulkLimit = Math.max(bodyLimitBytes(config.bodyLimit), BULK_BODY_LIMIT);
  fastify.addHook('onRoute', (route) => {
    if (route.url.endsWith('/bulk')) route.bodyLimit = bulkLimit;
  });

  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const charset = JSON_CHARSET.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      done(clientError(415, 'Unsupported content encoding or charset'), undefined);
      return;
    }
    try {
      done(null, parseJsonBody(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  // Any other type (or none) with a body: 415 where a body means something, ignored elsewhere.
  fastify.addContentTypeParser('*', (req, payload, done) => {
    if (BODY_METHODS.has(req.method)) {
      done(clientError(415, 'Content-Type must be application/json'), undefined);
      return;
    }
    payload.resume();
    payload.on('end', () => done(null, undefined));
  });
  // BODY_LIMIT itself is Fastify's bodyLimit (fastifyOptions): it refuses a body announced larger
  // before reading it, and a chunked one once it grows past; the error filter answers 413.
  fastify.addHook('preParsing', (req, _reply, payload, done) => {
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
      done(clientError(415, 'Unsupported content encoding or charset'), payload);
      return;
    }
    done(null, payload);
  });

  fastify.addHook('onResponse', (req: FastifyRequest, reply: FastifyReply, done) => {
    const route = req.routeOptions.url;
    const status = reply.statusCode;
    if (config.metricsEnabled) metrics.observe(req.method, route ?? 'unmatched', status, reply.elapsedTime);
    // Health and metrics probes come every few seconds from machines: debug, whatever the status.
    const level = PROBES.has(route ?? '')
      ? 'debug'
      : status >= 500
        ? 'error'
        : status >= 400
          ? 'warn'
          : 'info';
    if (logger.isLevelEnabled(level)) {
      logger[level](
        {
          req: { id: req.id, method: req.method, url: req.url },
          merchantId: (req as AppRequest).principal?.merchantId,
          route,
          res: { statusCode: status },
          responseTime: Math.round(reply.elapsedTime * 1000) / 1000,
        },
        'request completed',
      );
    }
    done();
  });
}
