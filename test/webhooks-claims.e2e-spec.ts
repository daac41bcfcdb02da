/**
 * What the worker costs the customer writes while an endpoint is dead (README, "Webhooks", "Write
 * throughput with a dead endpoint"): a poll that could start nothing (every due delivery is of an
 * endpoint that already has its share of attempts in flight) runs no claim transaction; on MySQL a
 * claim's locking read does not hold up new deliveries inserted meanwhile; the attempts that fail
 * together pause the endpoint, and move its pending deliveries, once. The claims: the repository
 * directly, with the app's worker off; the deliveries there are due in 2001, and the claims look at
 * that moment, so other suites' deliveries (a shared MariaDB) are never due to them.
 */
import { randomUUID } from 'node:crypto';
import { DatabaseService } from '../src/database/database.service';
import { NewDelivery, WebhookDeliveriesRepository } from '../src/webhooks/webhook-deliveries.repository';
import { WebhookEndpointsRepository } from '../src/webhooks/webhook-endpoints.repository';
import { createStaxCustomer, http, newMerchant, startApp, TestApp } from './support/app';
import { startReceiver } from './support/receiver';
import { FAST_WEBHOOKS, settleDeliveries, v0Webhook, WEBHOOK_SCOPES } from './support/webhooks';

const onMysql = process.env.E2E_DATABASE_URL?.startsWith('mysql') ? it : it.skip;

describe('webhook claims', () => {
  let t: TestApp;
  let db: DatabaseService;
  let repo: WebhookDeliveriesRepository;
  const past = new Date('2001-01-01T00:00:00.000Z');
  const until = new Date(past.getTime() + 60_000);

  beforeAll(async () => {
    t = await startApp({ WEBHOOK_WORKER: 'false' });
    db = t.app.get(DatabaseService);
    repo = t.app.get(WebhookDeliveriesRepository);
  });
  afterAll(async () => {
    await t.close();
  });
  /** The endpoints a test queued for: their deliveries are failed afterwards (no longer due to later runs). */
  const queuedFor = new Map<string, string>();
  afterEach(async () => {
    jest.restoreAllMocks();
    for (const [endpoint, merchant] of queuedFor) await repo.failPending(merchant, endpoint, new Date());
    queuedFor.clear();
  });

  const delivery = (merchantId: string, endpointId: string, due: Date): NewDelivery => {
    queuedFor.set(endpointId, merchantId);
    return {
      event_id: randomUUID(),
      merchant_id: merchantId,
      endpoint_id: endpointId,
      customer_id: randomUUID(),
      event_type: 'customer.updated',
      payload: '{}',
      status: 'pending',
      attempt_count: 0,
      attempts: [],
      next_attempt_at: due,
      created_at: due,
      queued_at: due,
    };
  };
  const queue = (rows: NewDelivery[]) => db.transaction(async (tx) => repo.queue(tx, rows));

  it('a poll whose due deliveries are all of full endpoints runs no claim transaction', async () => {
    const merchant = randomUUID();
    const dead = randomUUID();
    const due = new Date(past.getTime() - 1000);
    await queue([0, 1, 2].map(() => delivery(merchant, dead, due)));
    const transaction = jest.spyOn(db, 'transaction');

    expect(await repo.claimDue(past, until, randomUUID(), 10, new Map([[dead, 2]]), 2)).toEqual([]);
    expect(transaction).not.toHaveBeenCalled();

    // With a slot free, the same poll claims one of them.
    const claimed = await repo.claimDue(past, until, randomUUID(), 10, new Map([[dead, 1]]), 2);
    expect(claimed.map((d) => d.endpoint_id)).toEqual([dead]);
    expect(transaction).toHaveBeenCalledTimes(1);
  });

  onMysql('a claim’s locking read does not make new deliveries wait for its commit', async () => {
    const merchant = randomUUID();
    const dead = randomUUID();
    const other = randomUUID();
    // Due rows the claim walks and passes over (a full endpoint), and one it takes.
    await queue([
      ...[0, 1, 2].map(() => delivery(merchant, dead, new Date(past.getTime() - 2000))),
      delivery(merchant, other, new Date(past.getTime() - 1000)),
    ]);
    // A customer write queues a delivery, due in the range the claim read, while the claim is open.
    const original = db.transaction.bind(db);
    let inserted: Promise<'inserted' | 'waited'> | undefined;
    jest.spyOn(db, 'transaction').mockImplementation((fn, options) =>
      original(async (tx) => {
        const out = await fn(tx);
        const insert = original(async (write) =>
          repo.queue(write, [delivery(merchant, other, new Date(past.getTime() - 500))]),
        ).then(() => 'inserted' as const);
        inserted = Promise.race([
          insert,
          new Promise<'waited'>((r) => setTimeout(() => r('waited'), 2_000).unref()),
        ]);
        await inserted;
        return out;
      }, options),
    );
    const claimed = await repo.claimDue(past, until, randomUUID(), 10, new Map([[dead, 2]]), 2, true);
    expect(await inserted).toBe('inserted');
    expect(claimed.map((d) => d.endpoint_id)).toEqual([other]);
  });

  it('attempts that fail together pause the endpoint, and move its pending deliveries, once', async () => {
    const s = await startApp({ ...FAST_WEBHOOKS, WEBHOOK_RETRY_BASE_MS: '5000' });
    const rx = await startReceiver();
    try {
      rx.answer = () => 'hang';
      const postpone = jest.spyOn(s.app.get(WebhookDeliveriesRepository), 'postpone');
      const pause = jest.spyOn(s.app.get(WebhookEndpointsRepository), 'markFailing');
      const m = await newMerchant(s, WEBHOOK_SCOPES);
      const hook = await v0Webhook(s, m, `${rx.url}/dead`, ['customer.created']);
      // Six attempts in flight at once; each times out after WEBHOOK_TIMEOUT_MS (500 ms).
      await Promise.all([0, 1, 2, 3, 4, 5].map(() => createStaxCustomer(s, m)));
      await rx.waitFor((r) => r.length >= 6);
      const failed = async () =>
        (
          (await http(s).get(`/api/v0/webhooks/${hook.id}/deliveries`).set(m.keyPair).expect(200)).body
            .data as { attempt_count: number }[]
        ).filter((d) => d.attempt_count === 1).length;
      const deadline = Date.now() + 10_000;
      while (pause.mock.calls.length < 6 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect(await failed()).toBe(6);
      // Six failures, each told to the endpoint; the first paused it (about 5 s), the rest found it paused.
      expect(pause).toHaveBeenCalledTimes(6);
      const started = await Promise.all(pause.mock.results.map((r) => r.value as Promise<boolean>));
      expect(started.filter(Boolean)).toHaveLength(1);
      expect(postpone).toHaveBeenCalledTimes(1);
    } finally {
      await settleDeliveries(s);
      await s.close();
      await rx.close();
    }
  });
});
