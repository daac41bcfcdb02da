import type { LoggerService } from '@nestjs/common';
import pino, { Logger, LoggerOptions } from 'pino';
import type { AppConfig } from '../config/config';

/**
 * Paths pino must never print: credentials, in either header style, wherever a log call puts
 * them. Access log lines carry no headers at all (see http-pipeline.ts); this guards the rest.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-client-secret"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-client-secret"]',
  'headers.cookie',
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

/** The process's one pino logger: JSON lines, or pino-pretty's single lines in development. */
export function createLogger(config: AppConfig): Logger {
  const options: LoggerOptions = {
    level: config.logLevel,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  if (config.logFormat === 'pretty' && prettyAvailable()) {
    options.transport = {
      target: 'pino-pretty',
      options: {
        singleLine: true,
        // Colour only for a person at a terminal: piped into a file or a log collector, ANSI
        // escape codes are noise. (pino-pretty runs in a worker thread, so decide here.)
        colorize: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
        ignore: 'pid,hostname,context',
        messageFormat: '{if context}[{context}] {end}{msg}',
      },
    };
  }
  return pino(options);
}

type Level = 'info' | 'warn' | 'debug' | 'trace' | 'fatal';

/**
 * Nest's own start-up chatter (modules initialised, every route mapped) and its start-up error
 * reports (a stack per connection retry, then the same error again): debug level. A failed
 * start-up is reported once, in one line, by main.ts.
 */
const FRAMEWORK_CONTEXTS = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
  'ExceptionHandler',
  'TypeOrmModule',
]);

/** Nest's Logger calls (`new Logger('Errors').warn(…)`) written through pino, with their context. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write(FRAMEWORK_CONTEXTS.has(contextOf(rest) ?? '') ? 'debug' : 'info', message, rest);
  }

  /** Nest calls it as (message, stack, context), or (message, context) with a one-line context. */
  error(message: unknown, ...rest: unknown[]): void {
    const fields: Record<string, unknown> = {};
    const [a, b] = rest.map((x) => (typeof x === 'string' ? x : undefined));
    if (rest.length >= 2) Object.assign(fields, { stack: a, context: b });
    else if (a !== undefined) fields[a.includes('\n') ? 'stack' : 'context'] = a;
    const level = FRAMEWORK_CONTEXTS.has((fields.context as string | undefined) ?? '') ? 'debug' : 'error';
    if (message instanceof Error) this.logger[level]({ ...fields, err: message }, message.message);
    else this.logger[level](fields, String(message));
  }

  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }

  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }

  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }

  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(level: Level, message: unknown, rest: unknown[]): void {
    const context = contextOf(rest);
    if (typeof message === 'object' && message !== null && !(message instanceof Error)) {
      this.logger[level]({ context, ...(message as Record<string, unknown>) });
    } else {
      this.logger[level]({ context }, String(message));
    }
  }
}

/** Nest passes the logger's context as the last argument. */
function contextOf(rest: unknown[]): string | undefined {
  const last = rest[rest.length - 1];
  return typeof last === 'string' ? last : undefined;
}
