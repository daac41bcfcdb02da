/**
 * The SQL the repositories send, as text, per database: the per-request statements are built by
 * hand (the plain-SQL fast path, see bench/README.md), so a change to any of them shows up here
 * as a snapshot diff a reviewer reads. Runs on SQLite and on MySQL/MariaDB (E2E_DATABASE_URL);
 * each database has its own snapshot file (__snapshots__/sql-statements.e2e-spec.ts.<database>.snap). The statements' behaviour is tested by the other suites.
 */
import { randomUUID } from 'node:crypto';
import { ApiKeysRepository } from '../src/auth/api-keys.repository';
import { AuditRepository } from '../src/audit/audit.repository';
import type { Customer } from '../src/customers/customer.entity';
import { CustomersRepository } from '../src/customers/customers.repository';
import { DatabaseService } from '../src/database/database.service';
import type { SqlTransaction } from '../src/database/sql-transaction';
import { IdempotencyRepository } from '../src/idempotency/idempotency.repository';
import { NewDelivery, WebhookDeliveriesRepository } from '../src/webhooks/webhook-deliveries.repository';
import type { WebhookEndpoint } from '../src/webhooks/webhook-endpoint.entity';
import { WebhookEndpointsRepository } from '../src/webhooks/webhook-endpoints.repository';
import { startApp, TestApp } from './support/app';

describe('SQL statements', () => {
  let t: TestApp;
  let db: DatabaseService;

  beforeAll(async () => {
    // No webhook worker: on a shared database (MariaDB) it would claim other test files' pending
    // deliveries, and its statements would land among the ones recorded here.
    t = await startApp({ WEBHOOK_WORKER: 'false' });
    db = t.app.get(DatabaseService);
  });

  afterAll(() => t.close());
  afterEach(() => jest.restoreAllMocks());

  /** A transaction that records what it is given and runs nothing. */
  function recorder(answer: Record<string, unknown>[] = []): { tx: SqlTransaction; statements: string[] } {
    const statements: string[] = [];
    const tx: SqlTransaction = {
      query: <R>(sql: string) => {
        statements.push(sql);
        return Promise.resolve(answer as R);
      },
      afterCommit: () => undefined,
      defer: (sql: string) => {
        statements.push(`${sql} -- deferred`);
      },
    };
    return { tx, statements };
  }

  /**
   * The statements `fn` sends on its own (autocommit), run for real, in the order sent; those sent
   * through `read` (on SQLite a read worker: README, "What runs where") marked `-- read`.
   */
  async function sent(fn: () => Promise<unknown>): Promise<string[]> {
    const query = jest.spyOn(db, 'query');
    const read = jest.spyOn(db, 'read');
    await fn();
    const calls = (spy: typeof query, mark: string) =>
      spy.mock.calls.map((c, i) => ({ sql: c[0] + mark, order: spy.mock.invocationCallOrder[i] }));
    return [...calls(query, ''), ...calls(read as unknown as typeof query, ' -- read')]
      .sort((a, b) => a.order - b.order)
      .map((c) => c.sql);
  }

  const merchant = randomUUID();
  const id = randomUUID();
  const now = new Date();

  it('customers: a write', async () => {
    const customers = t.app.get(CustomersRepository);
    const { tx, statements } = recorder();
    await customers.findForUpdate(tx, merchant, id);
    const values = { firstname: 'A', email_key: null, version: 2, updated_at: now };
    customers.update(tx, merchant, [{ id, values }]);
    customers.insert(tx, [{ id, merchant_id: merchant } as Customer]);
    customers.addToCounts(tx, merchant, { live: 1, deleted: 0 });
    // Its words (customer_words): a renamed customer's old word out, its new one in.
    const before = { id, firstname: 'Ann', lastname: 'Lee' } as Customer;
    customers.writeWords(tx, merchant, [{ before, after: { ...before, firstname: 'Bo' } }]);
    expect(statements).toMatchSnapshot();
  });

  it('customers: a batch writes its rows in a few statements', async () => {
    const customers = t.app.get(CustomersRepository);
    const { tx, statements } = recorder();
    const other = randomUUID();
    customers.update(tx, merchant, [
      { id, values: { firstname: 'A', version: 2, updated_at: now } },
      { id: other, values: { firstname: 'B', version: 3, updated_at: now } },
      { id: randomUUID(), values: { lastname: 'C', version: 2, updated_at: now } },
    ]);
    customers.insert(tx, [
      { id, merchant_id: merchant } as Customer,
      { id: other, merchant_id: merchant } as Customer,
    ]);
    customers.writeWords(tx, merchant, [
      { before: null, after: { id, firstname: 'A' } as Customer },
      { before: null, after: { id: other, firstname: 'B', email: 'b@example.com' } as Customer },
    ]);
    expect(statements).toMatchSnapshot();
  });

  it('customers: a batch locks its rows up front, one savepoint per item when careful', async () => {
    const customers = t.app.get(CustomersRepository);
    const { tx, statements } = recorder();
    await customers.lockMany(tx, merchant, 'id', [id, randomUUID()]);
    await customers.lockMany(tx, merchant, 'email_key', ['a@example.com']);
    await customers.lockMany(tx, merchant, 'reference', ['R1']);
    const { savepoint, rollbackToSavepoint, releaseSavepoint } = db.dialect;
    tx.defer(savepoint('bulk_item'));
    tx.defer(rollbackToSavepoint('bulk_item'));
    await tx.query(releaseSavepoint('bulk_item'));
    expect(statements).toMatchSnapshot();
  });

  it('customers: reads and searches', async () => {
    const customers = t.app.get(CustomersRepository);
    const none = { startsWith: [], keywords: [], trashed: 'without', take: 50 } as const;
    const newest = { sort: 'created_at', order: 'DESC' } as const;
    expect(
      await sent(async () => {
        await customers.findOne(merchant, id);
        await customers.exists(merchant, id);
        await customers.search(merchant, { ...none, ...newest, start: { skip: 0 } }, 10_000);
        await customers.search(
          merchant,
          {
            startsWith: [
              { column: 'lastname', text: 'smith' },
              { column: 'phone', text: '+1 407' },
            ],
            keywords: ['jo'],
            status: 'ACTIVE',
            sort: 'lastname',
            order: 'ASC',
            trashed: 'only',
            start: { skip: 50 },
            take: 50,
          },
          10_000,
        );
        await customers.search(
          merchant,
          {
            ...none,
            ...newest,
            name: 'john s',
            emailKey: 'j@x.com',
            start: { after: { id, created_at: now } },
          },
          10_000,
        );
        // Keywords: the capped count through customer_words, then few matches' page from it…
        const keywords = { ...none, ...newest, keywords: ['smith', '(407) 555'], start: { skip: 0 } };
        await customers.search(merchant, keywords, 10_000);
        // …or many matches' page from the live index.
        jest.replaceProperty(customers, 'sparseMax', -1);
        await customers.search(merchant, keywords, 10_000);
      }),
    ).toMatchSnapshot();
  });

  it('audit entries', async () => {
    const audit = t.app.get(AuditRepository);
    const { tx, statements } = recorder();
    const entry = {
      id,
      merchant_id: merchant,
      customer_id: id,
      action: 'customer.updated' as const,
      changes: {},
      actor: 'ck_x',
      request_id: 'r',
      idempotency_key: null,
      created_at: now,
    };
    audit.insert(tx, [entry, { ...entry, id: randomUUID() }]);
    expect(statements).toMatchSnapshot('written');
    expect(await sent(() => audit.page(merchant, id, 0, 10))).toMatchSnapshot('read');
  });

  it('idempotency keys', async () => {
    const keys = t.app.get(IdempotencyRepository);
    const owned = { merchantId: merchant, key: 'k', owner: randomUUID() };
    const { tx, statements } = recorder();
    await keys.completeIn(tx, owned, { status: 200, body: {}, etag: '"1"' });
    expect(statements).toMatchSnapshot('in a write');
    expect(
      await sent(async () => {
        await keys.insert({
          merchant_id: merchant,
          idem_key: 'k',
          fingerprint: 'f'.repeat(64),
          state: 'in_flight',
          response_status: null,
          response_body: null,
          response_etag: null,
          owner: owned.owner,
          locked_until: now,
          created_at: now,
          expires_at: now,
        });
        await keys.find(merchant, 'k');
        await keys.takeOver(merchant, 'k', now, {
          owner: owned.owner,
          until: new Date(now.getTime() + 1000),
        });
        await keys.renew(owned, new Date(now.getTime() + 2000));
        await keys.completeNow(owned, { status: 404, body: {}, etag: null });
        await keys.deleteOwned(owned);
        await keys.deleteExpiredKey(merchant, 'k', now);
        await keys.deleteExpired(now);
      }),
    ).toMatchSnapshot('on their own');
  });

  it('API keys', async () => {
    const keys = t.app.get(ApiKeysRepository);
    expect(
      await sent(async () => {
        await keys.findByClientKey('ck_x');
        await keys.findBySecretHash('0'.repeat(64));
        await keys.listKeys(merchant);
        await keys.hasAnyMerchant();
      }),
    ).toMatchSnapshot();
  });

  it('webhooks', async () => {
    const endpoints = t.app.get(WebhookEndpointsRepository);
    const deliveries = t.app.get(WebhookDeliveriesRepository);
    const { tx, statements } = recorder();
    await endpoints.subscribers(tx, merchant);
    const delivery: NewDelivery = {
      event_id: id,
      merchant_id: merchant,
      endpoint_id: id,
      customer_id: id,
      event_type: 'customer.updated',
      payload: '{}',
      status: 'pending',
      attempt_count: 0,
      attempts: [],
      next_attempt_at: now,
      created_at: now,
      queued_at: now,
    };
    deliveries.queue(tx, [delivery, { ...delivery, event_type: 'customer.deleted' }]);
    await endpoints.lockMerchant(tx, merchant);
    await endpoints.countLive(tx, merchant).catch(() => 0); // the recorder answers no rows
    endpoints.insert(tx, { id, merchant_id: merchant, created_at: now, updated_at: now } as WebhookEndpoint);
    expect(statements).toMatchSnapshot('in a transaction');
    // One endpoint has something due (the first read says so), so the claim opens its transaction,
    // claims the one delivery it finds and checks it against the order rule (nothing earlier is pending).
    const querySpy = jest
      .spyOn(db, 'query')
      .mockResolvedValueOnce([{ merchant_id: merchant, id }])
      .mockResolvedValueOnce([]);
    const txSpy = jest.spyOn(db, 'transaction').mockImplementation(async (fn) => {
      const r = recorder([{ seq: '1', endpoint_id: id }]);
      const out = await fn(r.tx);
      statements.length = 0;
      statements.push(...r.statements);
      return out;
    });
    expect(await deliveries.claimDue(now, now, 'owner', 5)).toHaveLength(1);
    const claimRead = querySpy.mock.calls.map((c) => c[0]);
    querySpy.mockRestore();
    expect(
      await sent(async () => {
        await endpoints.findOne(merchant, id);
        await endpoints.page(merchant, 'v0', 0, 10);
        await endpoints.update(merchant, id, { deleted_at: now, updated_at: now });
        await endpoints.updateLive(merchant, id, {
          url: 'https://example.com/',
          events: ',*,',
          updated_at: now,
        });
        await endpoints.markFailing(merchant, id, now, now);
        await endpoints.markSucceeded(merchant, id);
        await endpoints.endPause(merchant, id);
        await endpoints.disableIfFailingSince(merchant, id, now, now, 'r');
        await deliveries.complete('1', 'owner', {
          status: 'delivered',
          attempt_count: 1,
          attempts: [],
          next_attempt_at: null,
          completed_at: now,
        });
        await deliveries.release('1', 'owner');
        await deliveries.gone();
        await deliveries.failPending(merchant, id, now, 500);
        await deliveries.page(merchant, id, 0, 10);
        await deliveries.findOne(merchant, id, id);
        await deliveries.redeliver(merchant, id, id, now);
        await deliveries.backlog();
      }),
    ).toMatchSnapshot('on their own');
    expect(txSpy).toHaveBeenCalledTimes(1);
    expect([claimRead[0], ...statements, ...claimRead.slice(1)]).toMatchSnapshot('claiming');
  });
});
