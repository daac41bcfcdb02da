import { randomUUID } from 'node:crypto';
import { DataSource, QueryFailedError } from 'typeorm';
import { dataSourceOptions } from './data-source-options';
import { isDatabaseUnavailable, isDeadlock, uniqueViolation, valueTooLong } from './db-errors';

/** A driver error as TypeORM hands it over: wrapped in QueryFailedError, the driver's own error inside. */
function wrapped(driverError: { message?: string; [field: string]: unknown }): QueryFailedError {
  const err = Object.assign(new Error(driverError.message ?? 'driver error'), driverError);
  return new QueryFailedError('INSERT INTO customers ...', [], err);
}

describe('uniqueViolation: MySQL / MariaDB', () => {
  it('reads the index name from a MariaDB ER_DUP_ENTRY message', () => {
    const err = wrapped({
      code: 'ER_DUP_ENTRY',
      errno: 1062,
      message:
        "Duplicate entry 'c9f5d2a1-1111-4222-8333-444455556666-john@example.com' for key 'uq_customers_merchant_email'",
    });
    expect(uniqueViolation(err)).toBe('uq_customers_merchant_email');
  });

  it('reads the index name when MySQL 8 prefixes it with the table', () => {
    const err = wrapped({
      code: 'ER_DUP_ENTRY',
      errno: 1062,
      message: "Duplicate entry 'abc' for key 'api_keys.uq_api_keys_client_key'",
    });
    expect(uniqueViolation(err)).toBe('uq_api_keys_client_key');
  });

  it('reads the right index when the email holds an apostrophe', () => {
    const err = wrapped({
      code: 'ER_DUP_ENTRY',
      errno: 1062,
      message:
        "Duplicate entry 'c9f5d2a1-1111-4222-8333-444455556666-o'brien@example.com' for key 'uq_customers_merchant_email'",
    });
    expect(uniqueViolation(err)).toBe('uq_customers_merchant_email');
  });

  // A quoted local part such as "x for key 'y'"@example.com passes IsEmail, and MariaDB does not
  // escape the duplicated value in its message: the index name is the last "for key '…'".
  it('reads the index name, not text inside the duplicated value', () => {
    const err = wrapped({
      code: 'ER_DUP_ENTRY',
      errno: 1062,
      message:
        "Duplicate entry 'c9f5d2a1-1111-4222-8333-444455556666-\"x for key 'y'\"@example.com' " +
        "for key 'uq_customers_merchant_email'",
    });
    expect(uniqueViolation(err)).toBe('uq_customers_merchant_email');
  });

  it('recognises the errno alone', () => {
    expect(
      uniqueViolation({ errno: 1062, message: "Duplicate entry 'x' for key 'uq_api_keys_secret_hash'" }),
    ).toBe('uq_api_keys_secret_hash');
  });

  it('looks inside driverError even when the outer error carries no code', () => {
    const err = {
      message: 'Query failed',
      driverError: { code: 'ER_DUP_ENTRY', message: "Duplicate entry 'x' for key 'uq_api_keys_client_key'" },
    };
    expect(uniqueViolation(err)).toBe('uq_api_keys_client_key');
    expect(isDatabaseUnavailable({ message: 'Query failed', driverError: { code: 'ECONNRESET' } })).toBe(
      true,
    );
    expect(isDeadlock({ message: 'Query failed', driverError: { errno: 1213 } })).toBe(true);
  });

  it('says "unknown" for a duplicate whose message names no index', () => {
    expect(uniqueViolation({ code: 'ER_DUP_ENTRY', message: 'Duplicate entry' })).toBe('unknown');
  });
});

describe('uniqueViolation: SQLite, with errors raised by the real schema', () => {
  let ds: DataSource;
  const merchantId = randomUUID();

  beforeAll(async () => {
    ds = new DataSource({ ...dataSourceOptions('sqlite::memory:'), migrationsRun: false });
    await ds.initialize();
    await ds.runMigrations();
  });
  afterAll(async () => {
    await ds.destroy();
  });

  async function insertCustomer(emailKey: string, merchant = merchantId): Promise<unknown> {
    const now = new Date();
    try {
      await ds
        .createQueryBuilder()
        .insert()
        .into('customers')
        .values({
          id: randomUUID(),
          merchant_id: merchant,
          email: emailKey,
          email_key: emailKey,
          created_at: now,
          updated_at: now,
        })
        .execute();
      return undefined;
    } catch (err) {
      return err;
    }
  }

  it('maps "UNIQUE constraint failed: customers.merchant_id, customers.email_key" to uq_customers_merchant_email', async () => {
    expect(await insertCustomer('dup@example.com')).toBeUndefined();
    const err = await insertCustomer('dup@example.com');
    expect(err).toBeInstanceOf(QueryFailedError);
    expect((err as QueryFailedError).driverError).toMatchObject({
      code: 'SQLITE_CONSTRAINT_UNIQUE',
      message: 'UNIQUE constraint failed: customers.merchant_id, customers.email_key',
    });
    expect(uniqueViolation(err)).toBe('uq_customers_merchant_email');
  });

  it('lets the same email live at another merchant (the index leads with merchant_id)', async () => {
    expect(await insertCustomer('shared@example.com')).toBeUndefined();
    expect(await insertCustomer('shared@example.com', randomUUID())).toBeUndefined();
  });

  it('maps a duplicate client_key to uq_api_keys_client_key', async () => {
    const row = (secret: string) => ({
      id: randomUUID(),
      merchant_id: merchantId,
      client_key: 'ck_same',
      secret_hash: secret,
      scopes: 'customers:read',
      created_at: new Date(),
    });
    await ds
      .createQueryBuilder()
      .insert()
      .into('api_keys')
      .values(row('a'.repeat(64)))
      .execute();
    const err: unknown = await ds
      .createQueryBuilder()
      .insert()
      .into('api_keys')
      .values(row('b'.repeat(64)))
      .execute()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(uniqueViolation(err)).toBe('uq_api_keys_client_key');
  });

  it('says "unknown" for a unique violation on columns it has no name for', () => {
    expect(
      uniqueViolation({ code: 'SQLITE_CONSTRAINT_UNIQUE', message: 'UNIQUE constraint failed: other.col' }),
    ).toBe('unknown');
  });

  it('covers a primary key violation', () => {
    expect(
      uniqueViolation({
        code: 'SQLITE_CONSTRAINT_PRIMARYKEY',
        message: 'UNIQUE constraint failed: customers.id',
      }),
    ).toBe('unknown');
  });
});

describe('uniqueViolation: anything else', () => {
  it.each([
    [
      'a NOT NULL violation',
      { code: 'SQLITE_CONSTRAINT_NOTNULL', message: 'NOT NULL constraint failed: x.y' },
    ],
    [
      'a missing table',
      { code: 'ER_NO_SUCH_TABLE', errno: 1146, message: "Table 'db.customers' doesn't exist" },
    ],
    ['a connection error', { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:3306' }],
    ['a plain Error', new Error('boom')],
    ['null', null],
    ['a string', 'UNIQUE constraint failed: customers.merchant_id, customers.email_key'],
  ])('is undefined for %s', (_label, err) => {
    expect(uniqueViolation(err)).toBeUndefined();
  });
});

describe('isDatabaseUnavailable', () => {
  it.each([
    'ECONNREFUSED',
    'ECONNRESET',
    'ETIMEDOUT',
    'PROTOCOL_CONNECTION_LOST',
    'ER_CON_COUNT_ERROR',
    'ER_SERVER_SHUTDOWN',
    'ER_LOCK_WAIT_TIMEOUT',
    'SQLITE_BUSY',
    'SQLITE_LOCKED',
    'SQLITE_READER_LOST',
  ])('is true for %s', (code) => {
    expect(isDatabaseUnavailable({ code, message: code })).toBe(true);
  });

  it('looks inside a TypeORM QueryFailedError', () => {
    expect(isDatabaseUnavailable(wrapped({ code: 'PROTOCOL_CONNECTION_LOST', message: 'gone' }))).toBe(true);
  });

  it.each([
    'Pool is closed.',
    "Can't add new command when connection is in closed state",
    'Connection is in closed state',
  ])('is true for the message %p', (message) => {
    expect(isDatabaseUnavailable(new Error(message))).toBe(true);
  });

  it.each([
    ['a unique violation', { code: 'ER_DUP_ENTRY', errno: 1062, message: 'Duplicate entry' }],
    ['a deadlock (retried, not a 503)', { code: 'ER_LOCK_DEADLOCK', errno: 1213, message: 'Deadlock found' }],
    ['a SQL syntax error', { code: 'ER_PARSE_ERROR', message: 'You have an error in your SQL syntax' }],
    ['a plain Error', new Error('boom')],
    ['undefined', undefined],
  ])('is false for %s', (_label, err) => {
    expect(isDatabaseUnavailable(err)).toBe(false);
  });
});

describe('isDeadlock', () => {
  it('is true for ER_LOCK_DEADLOCK, by code or errno, wrapped or not', () => {
    expect(isDeadlock({ code: 'ER_LOCK_DEADLOCK' })).toBe(true);
    expect(isDeadlock({ errno: 1213 })).toBe(true);
    expect(isDeadlock(wrapped({ code: 'ER_LOCK_DEADLOCK', errno: 1213, message: 'Deadlock found' }))).toBe(
      true,
    );
  });

  it('is false for other errors', () => {
    expect(isDeadlock({ code: 'ER_LOCK_WAIT_TIMEOUT', errno: 1205 })).toBe(false);
    expect(isDeadlock({ code: 'SQLITE_BUSY' })).toBe(false);
    expect(isDeadlock(new Error('Deadlock'))).toBe(false);
    expect(isDeadlock(null)).toBe(false);
  });
});

describe('valueTooLong', () => {
  it('names the column of a MySQL ER_DATA_TOO_LONG, wrapped or not', () => {
    const driver = {
      code: 'ER_DATA_TOO_LONG',
      errno: 1406,
      message: "Data too long for column 'address_zip' at row 1",
    };
    expect(valueTooLong(driver)).toBe('address_zip');
    expect(valueTooLong(wrapped(driver))).toBe('address_zip');
    expect(valueTooLong({ errno: 1406, message: "Data too long for column 'notes' at row 1" })).toBe('notes');
  });

  it('says "unknown" when the message names no column', () => {
    expect(valueTooLong({ code: 'ER_DATA_TOO_LONG', message: 'Data too long' })).toBe('unknown');
  });

  it('is undefined for other errors', () => {
    expect(valueTooLong({ code: 'ER_DUP_ENTRY', errno: 1062, message: "for column 'x'" })).toBeUndefined();
    expect(valueTooLong(new Error("Data too long for column 'x'"))).toBeUndefined();
    expect(valueTooLong(null)).toBeUndefined();
  });
});
