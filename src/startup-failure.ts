import type { AppConfig } from './config/config';
import { databaseKind } from './database/data-source-options';

function codeOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; errors?: unknown[] };
  if (typeof e.code === 'string') return e.code;
  // Node reports a refused connection to every address of a host name as an AggregateError.
  return e.errors?.length ? codeOf(e.errors[0]) : undefined;
}

/** user, host:port and database of a MySQL URL; never its password. */
function mysqlTarget(url: string): { user: string; address: string; database: string } {
  try {
    const u = new URL(url.replace(/^mariadb:/, 'mysql:'));
    return {
      user: decodeURIComponent(u.username) || '(none)',
      address: `${u.hostname}:${u.port || '3306'}`,
      database: decodeURIComponent(u.pathname.replace(/^\//, '')) || '(none)',
    };
  } catch {
    return { user: '?', address: '?', database: '?' };
  }
}

/**
 * Why the service could not start, as one line that names the cause and the setting to change.
 * The stack trace is for LOG_LEVEL=debug only: these are problems of the environment, not bugs.
 */
export function describeStartupFailure(err: unknown, config: AppConfig): string {
  const code = codeOf(err);
  const message = err instanceof Error ? err.message : String(err);
  switch (code) {
    case 'EADDRINUSE':
      return `Port ${config.port} on ${config.host} is already in use: set PORT to a free port, or stop the process holding it`;
    case 'EACCES':
    case 'EPERM':
      if (/listen/i.test(message))
        return `Not allowed to listen on port ${config.port} (${code}): set PORT to 1024 or above`;
      break;
    case 'EADDRNOTAVAIL':
      return `Cannot listen on ${config.host}: no such local address; set HOST (0.0.0.0 for every interface)`;
  }
  if (databaseKind(config.databaseUrl) === 'sqlite') {
    if (code?.startsWith('SQLITE_') || code === 'EACCES' || code === 'EROFS' || code === 'ENOTDIR')
      return `Cannot open the SQLite database ${config.databaseUrl} (${code}: ${message}): check DATABASE_URL and the folder's permissions`;
    return `Start-up failed: ${message.split('\n')[0]}`;
  }
  const db = mysqlTarget(config.databaseUrl);
  switch (code) {
    case 'ECONNREFUSED':
      return `Cannot reach the database at ${db.address} (connection refused): check the host and port in DATABASE_URL and that the server is running`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `Cannot reach the database at ${db.address} (unknown host): check the host in DATABASE_URL`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `Cannot reach the database at ${db.address} (${code}): check the host and port in DATABASE_URL and the network between`;
    case 'ER_ACCESS_DENIED_ERROR':
    case 'ER_DBACCESS_DENIED_ERROR':
      return `The database at ${db.address} refused user "${db.user}" (${message}): check the user and password in DATABASE_URL`;
    case 'ER_BAD_DB_ERROR':
      return `Database "${db.database}" does not exist on ${db.address}: create it (CREATE DATABASE) or fix its name in DATABASE_URL`;
  }
  return `Start-up failed: ${message.split('\n')[0]}`;
}

/** Errors a retry cannot fix: start-up gives up at once instead of retrying the connection. */
export function isPermanentDatabaseError(err: unknown): boolean {
  const code = codeOf(err);
  return (
    code === 'ER_ACCESS_DENIED_ERROR' || code === 'ER_DBACCESS_DENIED_ERROR' || code === 'ER_BAD_DB_ERROR'
  );
}
