/**
 * Driver error classification, kept in one place: which constraint a unique violation hit,
 * and whether an error means "the database is unreachable" (answered with 503).
 */

interface DriverError {
  code?: string;
  errno?: number;
  message?: string;
  driverError?: DriverError;
}

/** SQLite names the columns, not the index, in its message; map them back to our index names. */
const SQLITE_UNIQUE_COLUMNS: Record<string, string> = {
  'customers.merchant_id, customers.email_key': 'uq_customers_merchant_email',
  'api_keys.client_key': 'uq_api_keys_client_key',
  'api_keys.secret_hash': 'uq_api_keys_secret_hash',
  'idempotency_keys.merchant_id, idempotency_keys.idem_key': 'PRIMARY',
};

function driverError(err: unknown): DriverError | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as DriverError;
  return e.driverError ?? e;
}

/** The name of the unique index a write violated, or undefined if it was not a unique violation. */
export function uniqueViolation(err: unknown): string | undefined {
  const e = driverError(err);
  if (!e) return undefined;
  if (e.code === 'ER_DUP_ENTRY' || e.errno === 1062) {
    // Anchored at the end: the duplicated value itself may contain "for key '…'".
    const m = /for key '(?:[^'.]+\.)?([^']+)'$/.exec(e.message ?? '');
    return m?.[1] ?? 'unknown';
  }
  if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    const m = /UNIQUE constraint failed: (.+)$/.exec(e.message ?? '');
    return (m && SQLITE_UNIQUE_COLUMNS[m[1].trim()]) ?? 'unknown';
  }
  return undefined;
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_LOCK_WAIT_TIMEOUT',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  // A read worker died with the query in it, or the service is shutting down (sqlite-readers.ts).
  'SQLITE_READER_LOST',
]);

/** True when the error means the database could not be reached or is too busy: a 503, not a 500. */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = driverError(err);
  if (!e) return false;
  if (e.code && UNAVAILABLE_CODES.has(e.code)) return true;
  return /connection is in closed state|Pool is closed|Can't add new command when connection is in closed state/i.test(
    e.message ?? '',
  );
}

/**
 * MySQL refused a value wider than its column ("Data too long for column 'x'"): the column's name, or
 * undefined for any other error. Validation should catch these first; this keeps a miss a 400, not a 500.
 */
export function valueTooLong(err: unknown): string | undefined {
  const e = driverError(err);
  if (e?.code !== 'ER_DATA_TOO_LONG' && e?.errno !== 1406) return undefined;
  return /for column '([^']+)'/.exec(e.message ?? '')?.[1] ?? 'unknown';
}

/** MySQL deadlock: the transaction was rolled back and may simply be run again. */
export function isDeadlock(err: unknown): boolean {
  const e = driverError(err);
  return e?.code === 'ER_LOCK_DEADLOCK' || e?.errno === 1213;
}
