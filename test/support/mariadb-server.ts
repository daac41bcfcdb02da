/**
 * A private MariaDB server on its own port and data directory, for tests that kill the database:
 * the shared server on 3306 is never disturbed.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { freePort } from './service-process';

export const MARIADBD = '/usr/sbin/mariadbd';
export const hasMariadb = () => existsSync(MARIADBD) && existsSync('/usr/bin/mariadb-install-db');

export class PrivateMariadb {
  private proc?: ChildProcess;
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  static async create(): Promise<PrivateMariadb> {
    const dir = mkdtempSync(join(tmpdir(), 'mc-mariadb-'));
    execFileSync(
      'mariadb-install-db',
      ['--no-defaults', `--datadir=${join(dir, 'data')}`, '--auth-root-authentication-method=normal', '--skip-test-db', '--user=root'],
      { stdio: 'ignore' },
    );
    const db = new PrivateMariadb(dir, await freePort());
    await db.start();
    const conn = await createConnection({ host: '127.0.0.1', port: db.port, user: 'root' });
    await conn.query('CREATE DATABASE app');
    await conn.end();
    return db;
  }

  get url(): string {
    return `mysql://root@127.0.0.1:${this.port}/app`;
  }

  async start(): Promise<void> {
    this.proc = spawn(
      MARIADBD,
      [
        '--no-defaults',
        `--datadir=${join(this.dir, 'data')}`,
        `--port=${this.port}`,
        '--bind-address=127.0.0.1',
        `--socket=${join(this.dir, 'sock')}`,
        `--pid-file=${join(this.dir, 'pid')}`,
        '--user=root',
        '--skip-log-bin',
        '--innodb-buffer-pool-size=32M',
      ],
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const conn = await createConnection({ host: '127.0.0.1', port: this.port, user: 'root' });
        await conn.end();
        return;
      } catch {
        if (Date.now() > deadline) throw new Error('private MariaDB did not start');
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** SIGKILL: no clean shutdown, as in a crash. */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
  }

  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
