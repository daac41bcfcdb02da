import type { IncomingMessage, ServerResponse } from 'node:http';
import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Options } from 'pino-http';
import type { AppRequest } from '../common/request-context';
import { APP_CONFIG, AppConfig } from '../config/config';

/** Paths pino must never print: credentials, in either header style. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-client-secret"]',
  'req.headers.cookie',
  'client_secret',
  'secret',
];

function prettyAvailable(): boolean {
  try {
    require.resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

/**
 * Structured JSON logs through pino: one line per request with request id, merchant id, route,
 * status and duration. Human-readable (pino-pretty) in development.
 */
export function pinoHttpOptions(config: AppConfig): Options {
  return {
    level: config.logLevel,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    genReqId: (req: IncomingMessage) => (req as AppRequest).id,
    customProps: (req: IncomingMessage) => {
      const r = req as AppRequest;
      const route = (r.route as { path?: string } | undefined)?.path;
      // Known only once the request is routed and authenticated, so they land on the final line.
      return { merchantId: r.principal?.merchantId, route };
    },
    customLogLevel: (_req: IncomingMessage, res: ServerResponse, err?: Error) =>
      err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    serializers: {
      req: (req: { id: string; method: string; url: string; headers: Record<string, unknown> }) => ({
        id: req.id,
        method: req.method,
        url: req.url,
        headers: req.headers,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    autoLogging: { ignore: (req: IncomingMessage) => req.url === '/health/live' || req.url === '/metrics' },
    ...(config.logFormat === 'pretty' && prettyAvailable()
      ? { transport: { target: 'pino-pretty', options: { singleLine: true, colorize: true } } }
      : {}),
  };
}

/**
 * The pino-http middleware itself is installed first thing in the HTTP pipeline (so even a 413
 * from the body parser is logged); this module gives Nest's own Logger the same pino.
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({ pinoHttp: pinoHttpOptions(config), useExisting: true }),
    }),
  ],
})
export class LoggingModule {}
