/**
 * The data-migration commands of the CLI (README, "Moving customers in and out"), run as real child
 * processes through ts-node against the database the app under test uses (a fresh SQLite file, or
 * E2E_DATABASE_URL): import/export round trips, the rejects file, dry runs, --match, resume after
 * SIGKILL, files that are not CSV at all, progress on a pseudo-terminal, demo:seed.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { DatabaseService } from '../src/database/database.service';
import { createStaxCustomer, http, newMerchant, startApp, TestApp, TestMerchant } from './support/app';

const ROOT = resolve(__dirname, '..');
const NODE_ARGS = ['-r', 'ts-node/register/transpile-only', 'src/cli.ts'];

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The demo seed picks among fewer cities than this (src/migration-tools/demo-seed.ts). */
const CITY_COUNT_UPPER_BOUND = 20;

// Each test runs the CLI several times as its own process: seconds each on a loaded machine.
jest.setTimeout(120_000);

describe('migration CLI: customers:import, customers:export, demo:seed', () => {
  let t: TestApp;
  let dir: string;
  const env = () => ({
    ...process.env,
    DATABASE_URL: t.databaseUrl,
    TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
  });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'migration-cli-'));
    t = await startApp({ RATE_LIMIT_PER_MINUTE: '0' });
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function cli(...args: string[]): Promise<CliResult> {
    return new Promise((done) => {
      execFile(
        process.execPath,
        [...NODE_ARGS, ...args],
        { cwd: ROOT, env: env(), timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
          done({ code, stdout, stderr });
        },
      );
    });
  }

  const file = (name: string, content: string | Buffer) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  async function total(m: TestMerchant): Promise<number> {
    const res = await http(t).get('/customer').set(m.bearer).expect(200);
    return (res.body as { total: number }).total;
  }

  /** The exported rows without what differs between merchants (id and times). */
  function comparable(csvOrNdjson: string, format: 'csv' | 'ndjson') {
    const rows: Record<string, unknown>[] =
      format === 'csv'
        ? parse(csvOrNdjson, { columns: true })
        : csvOrNdjson
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as Record<string, unknown>);
    return rows
      .map(({ id: _id, created_at: _c, updated_at: _u, deleted_at: _d, ...rest }) => rest)
      .sort((a, b) => String(a.reference).localeCompare(String(b.reference)));
  }

  it.each(['csv', 'ndjson'] as const)(
    '%s: export, import into another merchant, export again: the same customers',
    async (format) => {
      const a = await newMerchant(t);
      const run = randomUUID().slice(0, 8);
      await createStaxCustomer(t, a, {
        reference: `${run}-1`,
        cc_emails: ['billing@example.com', 'ops@example.com'],
        options: { tier: 'gold', n: 3 },
        allow_invoice_credit_card_payments: false,
        notes: 'Line one\nline "two", with a comma',
        address_country: 'gbr',
        company: ' spaced ',
      });
      await createStaxCustomer(t, a, { reference: `${run}-2`, firstname: 'Zoë', phone: '+44 20 7946 0958' });
      const v0 = await http(t)
        .post('/api/v0/customers')
        .set(a.keyPair)
        .send({
          first_name: 'Vee',
          last_name: 'Zero',
          phone_number: '+1 555 123 4567',
          customer_type: 'Enterprise',
          status: 'DEACTIVATED',
        })
        .expect(201);
      await http(t)
        .put(`/customer/${(v0.body as { id: string }).id}`)
        .set(a.bearer)
        .send({ reference: `${run}-3` })
        .expect(200);

      const first = await cli('customers:export', '--merchant', a.merchantId, '--format', format);
      expect(first.code).toBe(0);
      expect(first.stderr).toContain('Exported 3 customers');
      const exported = file(`export-${run}.${format}`, first.stdout);

      const b = await newMerchant(t);
      const imported = await cli('customers:import', '--merchant', b.merchantId, '--json', exported);
      expect(imported.code).toBe(0);
      expect(JSON.parse(imported.stdout)).toMatchObject({ rows_done: 3, created: 3, rejected: 0 });
      const second = await cli('customers:export', '--merchant', b.merchantId, '--format', format);
      expect(comparable(second.stdout, format)).toEqual(comparable(first.stdout, format));
      expect(comparable(first.stdout, format)).toHaveLength(3);

      // Read back into the same merchant by id: nothing to change.
      const again = await cli(
        'customers:import',
        '--merchant',
        a.merchantId,
        '--match',
        'id',
        '--json',
        exported,
      );
      expect(JSON.parse(again.stdout)).toMatchObject({ created: 0, updated: 0, unchanged: 3, rejected: 0 });
    },
  );

  it('refused rows go to the rejects file with row, line, reason and raw text; a dry run writes nothing', async () => {
    const m = await newMerchant(t);
    const taken = await createStaxCustomer(t, m);
    const csv = [
      'firstname,lastname,email,address_country,notes',
      'Ann,Lee,ann@example.com,USA,fine',
      'Bob,Ray,bob@example.com,US,alpha-2',
      'Cid,Sun,ann@example.com,,same email as row 1',
      'Dee,Kay,dee@example.com,,"broken "quote" here"',
      `Eve,Ode,${String(taken.email)},,taken by a stored customer`,
      `Fay,${'x'.repeat(300)},,,too long`,
      'Gus,Lam,gus@example.com,,five,six',
      'Hal,Ivy,hal@example.com,,ok',
    ].join('\n');
    const path = file(
      'rejects.csv',
      Buffer.concat([Buffer.from(csv + '\n'), Buffer.from('Ida,\xff\xfe,,,bad bytes\n', 'latin1')]),
    );
    const rejectsPath = `${path}.rejects.csv`;

    const dry = await cli('customers:import', '--merchant', m.merchantId, '--dry-run', '--json', path);
    expect(dry.code).toBe(3);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dry_run: true, created: 2, rejected: 7 });
    expect(await total(m)).toBe(1);

    const real = await cli('customers:import', '--merchant', m.merchantId, '--json', path);
    expect(real.code).toBe(3);
    expect(JSON.parse(real.stdout)).toMatchObject({
      rows_done: 9,
      created: 2,
      rejected: 7,
      rejects_file: rejectsPath,
    });
    expect(await total(m)).toBe(3);

    const rejects: Record<string, string>[] = parse(readFileSync(rejectsPath), { columns: true });
    expect(rejects.map((r) => r.row)).toEqual(['2', '3', '4', '5', '6', '7', '9']);
    const byRow = Object.fromEntries(rejects.map((r) => [r.row, r]));
    expect(byRow['2']).toMatchObject({
      line: '3',
      raw: 'Bob,Ray,bob@example.com,US,alpha-2',
      reason: 'address_country must be an ISO 3166-1 alpha-3 code (did you mean USA?)',
    });
    expect(byRow['3'].reason).toBe('A customer with this email already exists');
    expect(byRow['4'].reason).toMatch(/^malformed CSV: Invalid Closing Quote/);
    expect(byRow['5'].reason).toBe('A customer with this email already exists');
    expect(byRow['6'].reason).toBe('lastname must be shorter than or equal to 255 characters');
    expect(byRow['7'].reason).toBe('the row has 6 fields, the header has 5');
    expect(byRow['9'].reason).toBe('the row is not valid UTF-8 text (save the file as UTF-8)');

    // Every imported customer's audit entry names the CLI.
    const list = await http(t).get('/customer?email=hal@example.com').set(m.bearer).expect(200);
    const hal = (list.body as { data: { id: string }[] }).data[0];
    const log = await http(t).get(`/customer/${hal.id}/audit-log`).set(m.bearer).expect(200);
    expect((log.body as { data: { actor: string; action: string }[] }).data[0]).toMatchObject({
      action: 'customer.created',
      actor: 'cli:import',
    });
  });

  it('--match email and --match reference update existing customers instead of creating duplicates', async () => {
    const m = await newMerchant(t);
    const byEmail = await createStaxCustomer(t, m, { reference: 'R-1' });
    const byRef = await createStaxCustomer(t, m, { reference: 'R-2' });
    const emails = file(
      'match-email.csv',
      `email,company\n${String(byEmail.email).toUpperCase()},Matched Co\nnew.one@example.com,New Co\n`,
    );
    const r1 = await cli(
      'customers:import',
      '--merchant',
      m.merchantId,
      '--match',
      'email',
      '--json',
      emails,
    );
    expect(JSON.parse(r1.stdout)).toMatchObject({ created: 1, updated: 1 });
    const refs = file(
      'match-ref.ndjson',
      '{"reference":"R-2","notes":"by reference"}\n{"reference":"R-9","company":"Nine"}\n',
    );
    const r2 = await cli(
      'customers:import',
      '--merchant',
      m.merchantId,
      '--match',
      'reference',
      '--json',
      refs,
    );
    expect(JSON.parse(r2.stdout)).toMatchObject({ created: 1, updated: 1 });
    expect(await total(m)).toBe(4);
    const a = await http(t).get(`/customer/${byEmail.id}`).set(m.bearer).expect(200);
    expect(a.body).toMatchObject({ company: 'Matched Co' });
    const b = await http(t).get(`/customer/${byRef.id}`).set(m.bearer).expect(200);
    expect(b.body).toMatchObject({ notes: 'by reference', firstname: 'John' });
    // The import keeps the keywords' word table: updated and created customers are found by their new words.
    const found = async (keyword: string) =>
      (
        (await http(t).get(`/customer?keywords[]=${keyword}`).set(m.bearer).expect(200)).body as {
          data: { id: string; reference: string | null }[];
        }
      ).data;
    expect((await found('matched')).map((c) => c.id)).toEqual([byEmail.id]);
    expect((await found('nine')).map((c) => c.reference)).toEqual(['R-9']);
    expect((await found('reference')).map((c) => c.id)).toEqual([byRef.id]);
  });

  it('a file that is not CSV or NDJSON stops with one clear line (exit 2)', async () => {
    const m = await newMerchant(t);
    const png = file('picture.csv', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0]));
    const r = await cli('customers:import', '--merchant', m.merchantId, png);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([`${png} is not a CSV or NDJSON file: it holds binary data`]);
    const prose = file('notes.txt', 'Dear team,\nhere are our customers.\n');
    const p = await cli('customers:import', '--merchant', m.merchantId, prose);
    expect(p.code).toBe(2);
    expect(p.stderr.trim().split('\n')).toHaveLength(1);
    expect(p.stderr).toContain('does not start with a header of customer fields');
    const unknown = await cli('customers:import', '--merchant', randomUUID(), prose);
    expect(unknown.code).toBe(2);
    expect(await total(m)).toBe(0);
  });

  it('resume after SIGKILL mid-import imports every row exactly once', async () => {
    const m = await newMerchant(t);
    const n = 6000;
    const lines = ['firstname,reference'];
    for (let i = 1; i <= n; i++) lines.push(`Row ${i},K-${i}`);
    const path = file('big.csv', lines.join('\n') + '\n');
    const db = t.app.get(DatabaseService);
    const done = async () => {
      const rows = await db.query<{ rows_done: number }[]>(
        'SELECT rows_done FROM import_runs WHERE merchant_id = ?',
        [m.merchantId],
      );
      return rows.length ? Number(rows[0].rows_done) : 0;
    };

    const child: ChildProcess = spawn(
      process.execPath,
      [...NODE_ARGS, 'customers:import', '--merchant', m.merchantId, path],
      {
        cwd: ROOT,
        env: env(),
        stdio: 'ignore',
      },
    );
    const exited = new Promise((r) => child.once('exit', r));
    // Kill it once at least two batches committed, while it is still working.
    for (let i = 0; i < 600 && (await done()) < 1000; i++) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await exited;
    const settled = await done();
    expect(settled).toBeGreaterThanOrEqual(1000);
    expect(settled).toBeLessThan(n);
    expect(await total(m)).toBe(settled);

    const refused = await cli('customers:import', '--merchant', m.merchantId, path);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`stopped after ${settled} rows: run it again with --resume`);

    const resumed = await cli('customers:import', '--merchant', m.merchantId, '--resume', '--json', path);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ resumed_from: settled, rows_done: n, created: n });
    expect(await total(m)).toBe(n);
    const refs = await db.query<{ n: number }[]>(
      'SELECT COUNT(DISTINCT reference) AS n FROM customers WHERE merchant_id = ?',
      [m.merchantId],
    );
    expect(Number(refs[0].n)).toBe(n);
  });

  it('progress: a bar on a terminal, plain lines otherwise; demo:seed makes listable customers', async () => {
    const m = await newMerchant(t);
    const plain = await cli('demo:seed', '--merchant', m.merchantId, '--count', '600', '--seed', '42');
    expect(plain.code).toBe(0);
    expect(plain.stdout).toBe('Created 600 demo customers (seed 42)\n');
    expect(plain.stderr).toMatch(/^seeding: 600\/600 rows \(100%\), \d+ rows\/s, ETA 0s$/m);
    expect(await total(m)).toBe(600);
    // The demo book spreads over a handful of cities: a city filter finds a real share of it.
    const search = await http(t).get('/customer?address_city=orl&per_page=1').set(m.bearer).expect(200);
    const inOrlando = (search.body as { total: number }).total;
    expect(inOrlando).toBeGreaterThan(600 / CITY_COUNT_UPPER_BOUND);
    expect(inOrlando).toBeLessThan(600);

    // On a pseudo-terminal (script(1)): the cli-progress bar, redrawn in place.
    const command = [
      process.execPath,
      ...NODE_ARGS,
      'demo:seed',
      '--merchant',
      m.merchantId,
      '--count',
      '1000',
    ]
      .map((a) => `'${a}'`)
      .join(' ');
    const tty = await new Promise<CliResult>((done) =>
      execFile(
        'script',
        ['-qec', command, '/dev/null'],
        { cwd: ROOT, env: env(), timeout: 60_000 },
        (err, stdout, stderr) => done({ code: err ? -1 : 0, stdout, stderr }),
      ),
    );
    expect(tty.code).toBe(0);
    expect(tty.stdout).toMatch(/seeding \[[█░]+\] 100% \| 1000\/1000 rows \| \d+ rows\/s \| ETA 0s/);
    expect(tty.stdout).toContain('Created 1000 demo customers');
  });
});
