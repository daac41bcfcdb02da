/**
 * The provisioning CLI, run as a real child process through ts-node, so no build is
 * needed. It provisions into a fresh SQLite file (or E2E_DATABASE_URL), and the keys it prints are
 * then used against the app running on the same database.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source-options';
import { http, startApp, TestApp } from './support/app';

const ROOT = resolve(__dirname, '..');
/** One CLI run: seconds on a quiet machine, many more through ts-node on a loaded one. */
const CLI_TIMEOUT_MS = 60_000;

interface IssuedKey {
  merchant_id: string;
  client_key: string;
  client_secret: string;
  scopes: string[];
}

interface KeyRow {
  client_key: string;
  scopes: string[];
  created_at: string;
  revoked_at: string | null;
}

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(databaseUrl: string, ...args: string[]): Promise<CliResult> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', 'src/cli.ts', ...args],
      {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: databaseUrl, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json') },
        timeout: CLI_TIMEOUT_MS,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** stdout must be exactly one JSON document on one line, and nothing else. */
function onlyJson<T = Record<string, unknown>>(r: CliResult): T {
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  if (lines.length !== 1)
    throw new Error(`expected one line of JSON on stdout, got:\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(lines[0]) as T;
}

async function ok<T = IssuedKey>(databaseUrl: string, ...args: string[]): Promise<T> {
  const r = await cli(databaseUrl, ...args);
  if (r.code !== 0) throw new Error(`cli ${args.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return onlyJson<T>(r);
}

// Each test runs the CLI several times as its own process.
jest.setTimeout(180_000);

describe('provisioning CLI', () => {
  let sqliteFile: string | undefined;
  let databaseUrl: string;
  let t: TestApp | undefined;

  beforeAll(() => {
    if (process.env.E2E_DATABASE_URL) {
      databaseUrl = process.env.E2E_DATABASE_URL;
    } else {
      sqliteFile = join(tmpdir(), `merchant-customers-cli-${randomUUID()}.sqlite`);
      databaseUrl = `sqlite:${sqliteFile}`;
    }
  });

  afterAll(async () => {
    await t?.close();
    if (sqliteFile)
      for (const f of [sqliteFile, `${sqliteFile}-wal`, `${sqliteFile}-shm`]) rmSync(f, { force: true });
  });

  /** Counts merchants straight from the database, to see that a refused command wrote nothing. */
  async function merchantsNamed(name: string): Promise<number> {
    const ds = new DataSource({ ...dataSourceOptions(databaseUrl), migrationsRun: false });
    await ds.initialize();
    try {
      const row = await ds
        .createQueryBuilder()
        .select('COUNT(*)', 'n')
        .from('merchants', 'm')
        .where('m.name = :name', { name })
        .getRawOne<{ n: number | string }>();
      return Number(row?.n);
    } finally {
      await ds.destroy();
    }
  }

  /**
   * The app on the CLI's database; started once, after the CLI has migrated it. Its API-key cache
   * lasts 1 s, so a revocation by the CLI (another process) is seen within that.
   */
  async function app(): Promise<TestApp> {
    t ??= await startApp({ API_KEY_CACHE_TTL_MS: '1000' }, { databaseUrl });
    return t;
  }

  it('merchant:create --json prints exactly {merchant_id, client_key, client_secret, scopes} and nothing else', async () => {
    const r = await cli(databaseUrl, 'merchant:create', '--name', 'Acme', '--json');
    expect(r.code).toBe(0);
    expect(r.stdout.endsWith('\n')).toBe(true);
    const out = onlyJson<IssuedKey>(r);
    expect(Object.keys(out).sort()).toEqual(['client_key', 'client_secret', 'merchant_id', 'scopes']);
    expect(out.merchant_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(out.client_key).toMatch(/^ck_[0-9a-f]{24}$/);
    expect(out.client_secret).toMatch(/^sk_[A-Za-z0-9_-]{43}$/);
    expect(out.scopes).toEqual(['customers:read', 'customers:write']);

    const t = await app();
    const bearer = await http(t).get('/customer').set('Authorization', `Bearer ${out.client_secret}`);
    expect(bearer.status).toBe(200);
    expect(bearer.body.total).toBe(0);
    const pair = await http(t)
      .post('/customer')
      .set({ 'x-client-key': out.client_key, 'x-client-secret': out.client_secret })
      .send({ firstname: 'Ann' });
    expect(pair.status).toBe(200);
    expect(pair.body.firstname).toBe('Ann');
  });

  it('merchant:create --scopes gives a key with only those scopes', async () => {
    const out = await ok(
      databaseUrl,
      'merchant:create',
      '--name',
      'Read only',
      '--scopes',
      'customers:read',
      '--json',
    );
    expect(out.scopes).toEqual(['customers:read']);

    const t = await app();
    const auth = { Authorization: `Bearer ${out.client_secret}` };
    await http(t).get('/customer').set(auth).expect(200);
    const write = await http(t).post('/customer').set(auth).send({ firstname: 'Ann' });
    expect(write.status).toBe(403);
  });

  it('without --json prints the same for a person', async () => {
    const r = await cli(databaseUrl, 'merchant:create', '--name', 'Person');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Merchant [0-9a-f-]{36}\n/);
    expect(r.stdout).toMatch(/client_key: +ck_[0-9a-f]{24}\n/);
    expect(r.stdout).toMatch(/client_secret: +sk_\S{43} \(shown once\)\n/);
    expect(r.stdout).toMatch(/scopes: +customers:read customers:write\n$/);
  });

  it('key:create, key:list (no secrets) and key:revoke (the app then answers 401)', async () => {
    const merchant = await ok(databaseUrl, 'merchant:create', '--name', 'Keys', '--json');
    const second = await ok(
      databaseUrl,
      'key:create',
      '--merchant',
      merchant.merchant_id,
      '--scopes',
      'customers:read customers:write customers:reactivate',
      '--json',
    );
    expect(Object.keys(second).sort()).toEqual(['client_key', 'client_secret', 'merchant_id', 'scopes']);
    expect(second.merchant_id).toBe(merchant.merchant_id);
    expect(second.client_key).not.toBe(merchant.client_key);
    expect(second.client_secret).not.toBe(merchant.client_secret);
    expect(second.scopes).toEqual(['customers:read', 'customers:write', 'customers:reactivate']);

    const listR = await cli(databaseUrl, 'key:list', '--merchant', merchant.merchant_id, '--json');
    expect(listR.code).toBe(0);
    const list = onlyJson<KeyRow[]>(listR);
    expect(list.map((k) => k.client_key).sort()).toEqual([merchant.client_key, second.client_key].sort());
    for (const k of list) {
      expect(Object.keys(k).sort()).toEqual(['client_key', 'created_at', 'revoked_at', 'scopes']);
      expect(k.revoked_at).toBeNull();
    }
    for (const secret of [merchant.client_secret, second.client_secret]) {
      expect(listR.stdout).not.toContain(secret);
      expect(listR.stdout).not.toContain(secret.slice(3));
    }
    expect(listR.stdout).not.toMatch(/secret|hash/i);

    const t = await app();
    const secondAuth = { Authorization: `Bearer ${second.client_secret}` };
    const created = await http(t).post('/customer').set(secondAuth).send({ firstname: 'Bo' }).expect(200);
    // Both keys of one merchant see the same customers.
    const viaFirst = await http(t)
      .get(`/customer/${created.body.id}`)
      .set('Authorization', `Bearer ${merchant.client_secret}`);
    expect(viaFirst.status).toBe(200);

    const revoke = await cli(databaseUrl, 'key:revoke', second.client_key);
    expect(revoke.code).toBe(0);
    expect(revoke.stdout).toBe(`Revoked ${second.client_key}\n`);

    // The app checked this key a moment ago; it may trust it for API_KEY_CACHE_TTL_MS more.
    await new Promise((r) => setTimeout(r, 1100));
    const refused = await http(t).get('/customer').set(secondAuth);
    expect(refused.status).toBe(401);
    expect(refused.body.message).toBe('Invalid API credentials');
    const refusedPair = await http(t)
      .get('/customer')
      .set({ 'x-client-key': second.client_key, 'x-client-secret': second.client_secret });
    expect(refusedPair.status).toBe(401);
    // The merchant's other key still works.
    await http(t).get('/customer').set('Authorization', `Bearer ${merchant.client_secret}`).expect(200);

    const after = await ok<KeyRow[]>(databaseUrl, 'key:list', '--merchant', merchant.merchant_id, '--json');
    const revoked = after.find((k) => k.client_key === second.client_key);
    expect(revoked?.revoked_at).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/));
    const kept = after.find((k) => k.client_key === merchant.client_key);
    expect(kept?.revoked_at).toBeNull();
  });

  it('merchant:list shows every merchant with its count of active keys, and never a secret', async () => {
    const a = await ok(databaseUrl, 'merchant:create', '--name', `List A ${randomUUID()}`, '--json');
    const b = await ok(databaseUrl, 'merchant:create', '--name', `List B ${randomUUID()}`, '--json');
    await ok(databaseUrl, 'key:revoke', a.client_key, '--json');

    const r = await cli(databaseUrl, 'merchant:list', '--json');
    expect(r.code).toBe(0);
    const rows = onlyJson<Array<Record<string, unknown>>>(r);
    const byId = new Map(rows.map((m) => [m.merchant_id, m]));
    expect(byId.get(a.merchant_id)).toMatchObject({ active_keys: 0 });
    expect(byId.get(b.merchant_id)).toMatchObject({ active_keys: 1 });
    expect(Object.keys(rows[0]).sort()).toEqual(['active_keys', 'created_at', 'merchant_id', 'name']);
    expect(r.stdout).not.toContain(a.client_secret);
    expect(r.stdout).not.toMatch(/secret|hash/i);

    const text = await cli(databaseUrl, 'merchant:list');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`${b.merchant_id}  1 active key(s)`);
  }, 90_000);

  it('help and --help print the usage on stdout and exit 0', async () => {
    for (const args of [['help'], ['--help'], ['key:create', '--help'], ['-h']]) {
      const r = await cli(databaseUrl, ...args);
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
      expect(r.stdout).toMatch(/^Usage: npm run -s cli -- <command>/);
      expect(r.stdout).toContain('merchant:list');
    }
  }, 90_000);

  it('exits 2 on every usage error, with the usage on stderr', async () => {
    for (const args of [
      [],
      ['--nope'],
      ['merchant:delete'],
      ['merchant:create'],
      ['key:list'],
      ['merchant:create', '--name'],
    ]) {
      const r = await cli(databaseUrl, ...args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('Usage: npm run -s cli');
    }
  }, 90_000);

  it('key:revoke --json prints one JSON object', async () => {
    const merchant = await ok(databaseUrl, 'merchant:create', '--name', 'Revoke json', '--json');
    const out = await ok<Record<string, unknown>>(databaseUrl, 'key:revoke', merchant.client_key, '--json');
    expect(out).toEqual({ client_key: merchant.client_key, revoked: true });
  });

  it('refuses an unknown scope with a non-zero exit and creates nothing', async () => {
    const name = `Bad scope ${randomUUID()}`;
    const r = await cli(
      databaseUrl,
      'merchant:create',
      '--name',
      name,
      '--scopes',
      'customers:read customers:admin',
      '--json',
    );
    expect(r.code).not.toBe(0);
    const out = onlyJson(r);
    expect(Object.keys(out)).toEqual(['error']);
    expect(out.error).toContain('Unknown scope customers:admin');
    expect(r.stdout).not.toContain('client_secret');
    expect(await merchantsNamed(name)).toBe(0);

    const human = await cli(databaseUrl, 'merchant:create', '--name', name, '--scopes', 'nope');
    expect(human.code).not.toBe(0);
    expect(human.stdout).toBe('');
    expect(human.stderr).toContain('Unknown scope nope');
  });

  it('refuses an unknown merchant with a non-zero exit', async () => {
    const missing = randomUUID();
    const r = await cli(databaseUrl, 'key:create', '--merchant', missing, '--json');
    expect(r.code).not.toBe(0);
    expect(onlyJson(r)).toEqual({ error: `No merchant ${missing}` });
  });

  it('refuses to revoke an unknown key and an unknown command, with non-zero exits', async () => {
    const revoke = await cli(databaseUrl, 'key:revoke', 'ck_doesnotexist');
    expect(revoke.code).not.toBe(0);
    expect(revoke.stderr).toContain('No key ck_doesnotexist');

    const unknown = await cli(databaseUrl, 'merchant:delete', '--json');
    expect(unknown.code).not.toBe(0);
    expect(onlyJson(unknown).error).toMatch(/^Unknown command merchant:delete/);

    const noName = await cli(databaseUrl, 'merchant:create', '--json');
    expect(noName.code).not.toBe(0);
    expect(onlyJson(noName).error).toMatch(/^merchant:create needs --name/);
  });
});
