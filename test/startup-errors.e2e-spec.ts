import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { AuthService } from '../src/auth/auth.service';
import { dataSourceOptions } from '../src/database/data-source-options';
import { freePort, runServiceToExit } from './support/service-process';

/**
 * A start-up that cannot succeed is one line on stderr naming the cause and the setting to
 * change, nothing else at the default log level, and a non-zero exit; the stack only at debug.
 */
function expectOneLine(r: { code: number | null; stdout: string; stderr: string }, pattern: RegExp) {
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

/** A MySQL server to be refused by: the e2e database's server, or the local one on 3306. */
async function mysqlServer(): Promise<URL | undefined> {
  const e2e = process.env.E2E_DATABASE_URL;
  const url = new URL(e2e?.startsWith('mysql') ? e2e : 'mysql://root@127.0.0.1:3306/');
  try {
    const conn = await createConnection({
      host: url.hostname,
      port: Number(url.port || 3306),
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
    });
    await conn.end();
    return url;
  } catch {
    return undefined;
  }
}

/** Settings a configured deployment has, so start-up has no warning to give before it fails. */
const CONFIGURED = { WEBHOOK_SECRET_KEY: '5a'.repeat(32) };

describe('start-up failures', () => {
  const sqliteFile = join(tmpdir(), `mc-startup-${randomUUID()}.sqlite`);
  const sqlite = `sqlite:${sqliteFile}`;
  let mysql: URL | undefined;
  let holder: Server;
  let takenPort: number;

  beforeAll(async () => {
    // A migrated database with a key: start-up then has nothing to apply or hint at before it fails.
    const ds = new DataSource(dataSourceOptions(sqlite));
    await ds.initialize();
    await ds.runMigrations();
    await AuthService.over(ds)
      .createMerchant('Start-up failures')
      .finally(() => ds.destroy());
    mysql = await mysqlServer();
    holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    takenPort = (holder.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => holder.close(resolve));
    for (const f of [sqliteFile, `${sqliteFile}-wal`, `${sqliteFile}-shm`]) rmSync(f, { force: true });
  });

  it('port in use: names the port and PORT', async () => {
    const r = await runServiceToExit({ ...CONFIGURED, DATABASE_URL: sqlite, PORT: String(takenPort) });
    expectOneLine(r, new RegExp(`^Port ${takenPort} on 127\\.0\\.0\\.1 is already in use: set PORT`));
  });

  it('port in use, in development (pretty logs): the same single line', async () => {
    const r = await runServiceToExit({
      ...CONFIGURED,
      NODE_ENV: 'development',
      LOG_FORMAT: 'pretty',
      DEMO_MERCHANT: 'false',
      DATABASE_URL: sqlite,
      PORT: String(takenPort),
    });
    expectOneLine(r, /already in use: set PORT/);
  });

  it('database unreachable: names the address and DATABASE_URL', async () => {
    const port = await freePort();
    const r = await runServiceToExit({ DATABASE_URL: `mysql://app:secret-pw@127.0.0.1:${port}/app` });
    expectOneLine(r, new RegExp(`^Cannot reach the database at 127\\.0\\.0\\.1:${port} .*DATABASE_URL`));
    expect(r.stderr).not.toContain('secret-pw');
  });

  it('wrong password: names the user and DATABASE_URL, never the password', async () => {
    if (!mysql) return console.warn('skipped: no MySQL/MariaDB server reachable');
    const url = new URL(mysql);
    url.password = 'definitely-wrong-pw';
    url.pathname = '/app';
    const r = await runServiceToExit({ DATABASE_URL: url.toString() });
    expectOneLine(
      r,
      new RegExp(`refused user "${url.username}" .*check the user and password in DATABASE_URL`),
    );
    expect(r.stderr).not.toContain('definitely-wrong-pw');
  });

  it('unknown database: names it and DATABASE_URL, without retrying', async () => {
    if (!mysql) return console.warn('skipped: no MySQL/MariaDB server reachable');
    const url = new URL(mysql);
    url.pathname = `/no_such_db_${randomUUID().slice(0, 8)}`;
    const started = Date.now();
    const r = await runServiceToExit({ DATABASE_URL: url.toString() });
    expectOneLine(r, new RegExp(`^Database "${url.pathname.slice(1)}" does not exist .*DATABASE_URL`));
    // A retry waits a second; an unknown database is not worth one.
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('LOG_LEVEL=debug adds the stack trace after the line', async () => {
    const port = await freePort();
    const r = await runServiceToExit({
      DATABASE_URL: `mysql://app@127.0.0.1:${port}/app`,
      LOG_LEVEL: 'debug',
    });
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toMatch(/^Cannot reach the database/);
    expect(r.stderr).toMatch(/\n\s+at /);
  });
});
