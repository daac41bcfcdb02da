import { loadConfig } from './config/config';
import { describeStartupFailure, isPermanentDatabaseError } from './startup-failure';

const mysql = loadConfig({ DATABASE_URL: 'mysql://shop:s3cret@db.internal:3307/customers', PORT: '8080' });
const sqlite = loadConfig({ DATABASE_URL: 'sqlite:data/x.sqlite' });
const err = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('describeStartupFailure', () => {
  it('names the cause and the setting, never the password', () => {
    expect(describeStartupFailure(err('EADDRINUSE'), mysql)).toMatch(
      /^Port 8080 on 0\.0\.0\.0 is already in use: set PORT/,
    );
    expect(describeStartupFailure(err('ECONNREFUSED'), mysql)).toMatch(
      /^Cannot reach the database at db\.internal:3307 \(connection refused\).*DATABASE_URL/,
    );
    expect(describeStartupFailure(err('ENOTFOUND'), mysql)).toMatch(
      /unknown host\): check the host in DATABASE_URL/,
    );
    expect(describeStartupFailure(err('ER_ACCESS_DENIED_ERROR', 'Access denied'), mysql)).toMatch(
      /refused user "shop".*user and password in DATABASE_URL/,
    );
    expect(describeStartupFailure(err('ER_BAD_DB_ERROR'), mysql)).toMatch(
      /^Database "customers" does not exist/,
    );
    for (const code of ['ECONNREFUSED', 'ER_ACCESS_DENIED_ERROR', 'ER_BAD_DB_ERROR', 'OTHER'])
      expect(describeStartupFailure(err(code), mysql)).not.toContain('s3cret');
  });

  it('reads the code of an AggregateError (every address of a host refused)', () => {
    const aggregate = new AggregateError([err('ECONNREFUSED'), err('ECONNREFUSED')], '');
    expect(describeStartupFailure(aggregate, mysql)).toMatch(/^Cannot reach the database/);
  });

  it('names an SQLite file it cannot open, and falls back to the first line of anything else', () => {
    expect(describeStartupFailure(err('SQLITE_CANTOPEN', 'unable to open'), sqlite)).toMatch(
      /^Cannot open the SQLite database sqlite:data\/x\.sqlite .*DATABASE_URL/,
    );
    expect(describeStartupFailure(new Error('boom\nmore'), sqlite)).toBe('Start-up failed: boom');
  });

  it('does not retry a wrong password or an unknown database', () => {
    expect(isPermanentDatabaseError(err('ER_ACCESS_DENIED_ERROR'))).toBe(true);
    expect(isPermanentDatabaseError(err('ER_BAD_DB_ERROR'))).toBe(true);
    expect(isPermanentDatabaseError(err('ECONNREFUSED'))).toBe(false);
  });
});
