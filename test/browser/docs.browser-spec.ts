/**
 * Swagger UI as a new user meets it, in real headless Chromium: open /docs, authorize with an API
 * key, create a customer with "Try it out", update its country, and see a 400 with its hint.
 *
 * Needs Debian's chromium (/usr/bin/chromium; CHROMIUM_PATH overrides). Screenshots go to
 * test-output/. Always runs on a fresh SQLite file, whatever E2E_DATABASE_URL says.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { BrowserContext, chromium, Locator, Page } from 'playwright-core';
import { createApp } from '../../src/app.factory';
import { AuthService } from '../../src/auth/auth.service';
import { loadConfig } from '../../src/config/config';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUTPUT = join(__dirname, '..', '..', 'test-output');

describe('Swagger UI at /docs, in headless Chromium', () => {
  let workDir: string;
  let app: INestApplication;
  let url: string;
  let secret: string;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'merchant-customers-browser-'));
    const config = loadConfig({
      NODE_ENV: 'test',
      DEMO_MERCHANT: 'false',
      DATABASE_URL: `sqlite:${join(workDir, 'customers.sqlite')}`,
    });
    app = await createApp(config, { logger: false });
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
    secret = (await app.get(AuthService).createMerchant('Browser test merchant')).client_secret;

    context = await chromium.launchPersistentContext(join(workDir, 'chromium-profile'), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 1000 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(`console: ${msg.text()}`);
    });
    mkdirSync(OUTPUT, { recursive: true });
  });

  afterAll(async () => {
    await context?.close();
    await app?.close();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  /** The operation block of one operationId, expanded and in "Try it out" mode. */
  async function tryOut(operationId: string): Promise<Locator> {
    const block = page.locator('.opblock').filter({
      has: page.locator('.opblock-summary-operation-id', { hasText: new RegExp(`^${operationId}$`) }),
    });
    await block.locator('.opblock-summary').first().click();
    await block.locator('button.try-out__btn').click();
    return block;
  }

  async function execute(block: Locator, status: number): Promise<{ body: unknown; headers: string }> {
    await block.locator('button.execute').click();
    const live = block.locator('.live-responses-table');
    const row = live.locator('tr.response');
    await row.locator('.response-col_status', { hasText: new RegExp(`^\\s*${status}\\s*$`) }).waitFor();
    const bodyText = await row.locator('.response-col_description .highlight-code pre').first().innerText();
    const headers = await row.locator('.response-col_description').innerText();
    return { body: JSON.parse(bodyText) as unknown, headers };
  }

  it('explores, authorizes, creates and updates a customer, and shows a 400 with its hint', async () => {
    const response = await page.goto(`${url}/docs`);
    expect(response?.status()).toBe(200);
    await page.locator('.swagger-ui .info .title', { hasText: 'merchant-customers' }).waitFor();
    await page.screenshot({ path: join(OUTPUT, 'docs.png') });

    // Both credential styles are offered; authorize with the Bearer secret.
    await page.locator('.scheme-container button.authorize').click();
    const modal = page.locator('.modal-ux');
    for (const scheme of ['bearer', 'x-client-key', 'x-client-secret']) {
      await modal.locator('.auth-container h4', { hasText: scheme }).first().waitFor();
    }
    const bearer = modal
      .locator('.auth-container')
      .filter({ has: page.locator('h4', { hasText: 'bearer' }) });
    await bearer.locator('input').fill(secret);
    await bearer.locator('button.authorize').click();
    await bearer.locator('button', { hasText: 'Logout' }).waitFor();
    await bearer.locator('button.btn-done').click();
    await modal.waitFor({ state: 'detached' });

    // POST /customer: Stax answers 200 with the new customer.
    const create = await tryOut('staxCreateCustomer');
    await create.locator('textarea.body-param__text').fill(
      JSON.stringify({
        firstname: 'Ada',
        lastname: 'Lovelace',
        email: 'ada@example.com',
        address_country: 'usa',
      }),
    );
    const created = (await execute(create, 200)).body as Record<string, unknown>;
    expect(created).toMatchObject({ firstname: 'Ada', lastname: 'Lovelace', address_country: 'USA' });
    expect(typeof created.id).toBe('string');

    // GET /customer as pre-filled (defaults only, no example filters) lists it.
    const list = await tryOut('staxListCustomers');
    expect((await execute(list, 200)).body).toMatchObject({ total: 1, data: [{ id: created.id }] });

    // PUT /customer/{id} with a new country: 200, only that field changed.
    const update = await tryOut('staxUpdateCustomer');
    await update.locator('tr[data-param-name="id"] input').fill(created.id as string);
    await update.locator('textarea.body-param__text').fill(JSON.stringify({ address_country: 'GBR' }));
    const updated = await execute(update, 200);
    expect(updated.body).toMatchObject({
      id: created.id,
      firstname: 'Ada',
      lastname: 'Lovelace',
      email: 'ada@example.com',
      address_country: 'GBR',
    });
    expect(updated.headers).toContain('etag: "2"');
    await update
      .locator('.live-responses-table')
      .screenshot({ path: join(OUTPUT, 'docs-put-customer-200.png') });

    // The documented 400 shows the alpha-2 hint as its example ...
    await expect(
      update.locator('.responses-table tr.response[data-code="400"]').innerText(),
    ).resolves.toContain('did you mean USA?');

    // So far Swagger UI loaded and ran without script errors or blocked resources (CSP included).
    expect(pageErrors).toEqual([]);

    // ... and so does the live answer to an alpha-2 code.
    await update.locator('textarea.body-param__text').fill(JSON.stringify({ address_country: 'US' }));
    const refused = await execute(update, 400);
    expect(refused.body).toMatchObject({
      statusCode: 400,
      error: 'Bad Request',
      message: [expect.stringContaining('did you mean USA?')],
    });
    await update
      .locator('.live-responses-table')
      .screenshot({ path: join(OUTPUT, 'docs-put-customer-400.png') });

    // The only error Chromium logged since is that deliberate 400.
    expect(pageErrors).toEqual([expect.stringContaining('status of 400')]);
  });
});
