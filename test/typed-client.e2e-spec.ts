/**
 * A typed client, as a new user would make one: types generated from the committed openapi.json
 * with openapi-typescript, calls through openapi-fetch (test/typed-client/customers-client.ts).
 * The client is type-checked with strict tsc first, so a call the document makes impossible to
 * write (a partial update that the schema turns into a full one, a lower-case `order` missing from
 * an enum) fails here; then the compiled client runs against the real service.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { newMerchant, startApp, TestApp, TestMerchant } from './support/app';

const ROOT = join(__dirname, '..');

function bin(pkg: string, name: string): string {
  const manifest = require.resolve(`${pkg}/package.json`, { paths: [ROOT] });
  const { bin: bins } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin: Record<string, string> };
  return join(manifest, '..', bins[name]);
}

function run(file: string, args: string[]): void {
  try {
    execFileSync(process.execPath, [file, ...args], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`${file} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

interface Customer {
  id: string;
  updated_at?: string;
  [field: string]: unknown;
}
interface Listing {
  total: number;
  data: Customer[];
}

/** The compiled client module (test/typed-client/customers-client.ts), as the test calls it. */
interface ClientModule {
  staxClient(baseUrl: string, secret: string): unknown;
  v0Client(baseUrl: string, clientKey: string, secret: string): unknown;
  staxCreate(c: unknown, email: string): Promise<Customer>;
  staxSetCompany(c: unknown, id: string, company: string): Promise<Customer>;
  staxPutBack(c: unknown, id: string, merchantId: string): Promise<Customer>;
  staxListByEmail(c: unknown, email: string): Promise<Listing>;
  staxCreateInvalid(c: unknown): Promise<{ status: number; error: unknown }>;
  v0Create(c: unknown, email: string): Promise<Customer>;
  v0SetPhone(c: unknown, id: string, phone: string): Promise<Customer>;
  v0ListByEmail(c: unknown, email: string): Promise<Listing>;
}

describe('a client generated from openapi.json (openapi-typescript + openapi-fetch)', () => {
  let t: TestApp;
  let m: TestMerchant;
  let dir: string;
  let client: ClientModule;

  beforeAll(async () => {
    mkdirSync(join(ROOT, 'test-output'), { recursive: true });
    // Inside the repository, so the compiled client finds openapi-fetch in node_modules.
    dir = mkdtempSync(join(ROOT, 'test-output', 'typed-client-'));
    run(bin('openapi-typescript', 'openapi-typescript'), [
      join(ROOT, 'openapi.json'),
      '--output',
      join(dir, 'api.ts'),
    ]);
    copyFileSync(join(ROOT, 'test/typed-client/customers-client.ts'), join(dir, 'customers-client.ts'));
    run(bin('typescript', 'tsc'), [
      '--strict',
      '--noEmitOnError',
      '--target',
      'ES2022',
      '--module',
      'node16',
      '--moduleResolution',
      'node16',
      '--types',
      'node',
      '--skipLibCheck',
      '--rootDir',
      dir,
      '--outDir',
      dir,
      join(dir, 'customers-client.ts'),
    ]);
    client = (await import(join(dir, 'customers-client.js'))) as ClientModule;
    t = await startApp();
    m = await newMerchant(t);
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('creates, updates one field, puts back the whole object and lists on the Stax surface', async () => {
    const api = client.staxClient(t.url, m.secret);
    const email = `ada.${randomUUID()}@example.com`;
    const created = await client.staxCreate(api, email);
    expect(created).toMatchObject({ firstname: 'Ada', email, allow_invoice_credit_card_payments: true });

    const updated = await client.staxSetCompany(api, created.id, 'Analytical Engines');
    expect(updated).toMatchObject({ id: created.id, firstname: 'Ada', company: 'Analytical Engines', email });

    const putBack = await client.staxPutBack(api, created.id, m.merchantId);
    expect(putBack).toMatchObject({ id: created.id, company: 'Analytical Engines', email });
    expect(putBack.updated_at).toBe(updated.updated_at);

    const page = await client.staxListByEmail(api, email);
    expect(page.total).toBe(1);
    expect(page.data[0].id).toBe(created.id);
  });

  it('gets the typed error envelope for a refused create', async () => {
    const api = client.staxClient(t.url, m.secret);
    const { status, error } = await client.staxCreateInvalid(api);
    expect(status).toBe(400);
    expect(error).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: ['address_country must be an ISO 3166-1 alpha-3 code (did you mean USA?)'],
      requestId: expect.any(String),
    });
  });

  it('creates with the required fields only and updates one field on the v0 surface', async () => {
    const api = client.v0Client(t.url, m.clientKey, m.secret);
    const email = `grace.${randomUUID()}@example.com`;
    const created = await client.v0Create(api, email);
    expect(created).toMatchObject({ first_name: 'Grace', customer_type: 'Individual', status: 'ACTIVE' });

    const updated = await client.v0SetPhone(api, created.id, '+1 555 555 0199');
    expect(updated).toMatchObject({ id: created.id, first_name: 'Grace', phone_number: '+1 555 555 0199' });

    const list = await client.v0ListByEmail(api, email);
    expect(list.total).toBe(1);
    expect(list.data[0].id).toBe(created.id);
  });
});
