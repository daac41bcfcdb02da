/**
 * What the worker costs the customer writes while an endpoint is dead (README, "Webhooks", "A slow
 * or dead endpoint"): the claims look endpoint by endpoint, so the deliveries of an endpoint that is
 * paused, or has its share of attempts in flight, are never read; a poll that could start nothing
 * runs no claim transaction; on MySQL a claim's locking read does not hold up new deliveries
 * inserted meanwhile; the attempts that fail together pause the endpoint once and rewrite none of
 * its deliveries. The claims: the repository directly, with the app's worker off; the deliveries
 * there are due in 2001, and the claims look at that moment, so other suites' deliveries (a shared
 * MariaDB) are never due to them.
 */
import { randomUUID } from 'node:crypto';
import { DatabaseService } from '../src/database/database.service';
import { NewDelivery, WebhookDeliveriesRepository } from '../src/webhooks/webhook-deliveries.repository';
import { WebhookEndpoint } from '../src/webhooks/webhook-endpoint.entity';
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
    for (const [endpoint, merchant] of queuedFor)
      while ((await repo.failPending(merchant, endpoint, new Date(), 500)) === 500);
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
  /** An endpoint row (the claims find work through the endpoints), deleted at once so no live merchant sees it. */
  const endpoint = async (merchantId: string, fields: Partial<WebhookEndpoint> = {}): Promise<string> => {
    const id = randomUUID();
    await db.transaction(async (tx) =>
      t.app.get(WebhookEndpointsRepository).insert(tx, {
        id,
        merchant_id: merchantId,
        surface: 'v0',
        url: 'https://example.com/hook',
        events: ',*,',
        secret: 'unused',
        previous_secret: null,
        previous_secret_until: null,
        paused_until: null,
        failing_since: null,
        disabled_at: null,
        disabled_reason: null,
        enabled_at: null,
        created_at: past,
        updated_at: past,
        deleted_at: null,
        ...fields,
      }),
    );
    return id;
  };
  /** Every parameter sent to the database while `fn` runs, outside transactions and in them. */
  const parametersSent = async (fn: () => Promise<unknown>): Promise<unknown[]> => {
    const sent: unknown[] = [];
    const query = db.query.bind(db);
    const read = db.read.bind(db);
    const transaction = db.transaction.bind(db);
    const q = jest.spyOn(db, 'query').mockImplementation((sql, params) => {
      sent.push(...(params ?? []));
      return query(sql, params);
    });
    const r = jest.spyOn(db, 'read').mockImplementation((sql, params) => {
      sent.push(...(params ?? []));
      return read(sql, params);
    });
    const tr = jest.spyOn(db, 'transaction').mockImplementation((body, options) =>
      transaction(async (tx) => {
        const inner = tx.query.bind(tx);
        tx.query = (sql: string, params?: unknown[]) => {
          sent.push(...(params ?? []));
          return inner(sql, params);
        };
        return body(tx);
      }, options),
    );
    try {
      await fn();
    } finally {
      q.mockRestore();
      r.mockRestore();
      tr.mockRestore();
    }
    return sent;
  };

  it('a poll whose due deliveries are all of full endpoints runs no claim transaction and reads none of them', async () => {
    const merchant = randomUUID();
    const dead = await endpoint(merchant);
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

  it('a paused endpoint’s due deliveries are not read; they are claimed once the pause is over', async () => {
    const merchant = randomUUID();
    const pausedUntil = new Date(past.getTime() + 5_000);
    const paused = await endpoint(merchant, { paused_until: pausedUntil, failing_since: past });
    const healthy = await endpoint(merchant);
    const due = new Date(past.getTime() - 1000);
    await queue([...[0, 1, 2].map(() => delivery(merchant, paused, due)), delivery(merchant, healthy, due)]);
    let claimed: Awaited<ReturnType<WebhookDeliveriesRepository['claimDue']>> = [];
    const sent = await parametersSent(async () => {
      claimed = await repo.claimDue(past, until, randomUUID(), 10, new Map(), 4);
    });
    expect(claimed.map((d) => d.endpoint_id)).toEqual([healthy]);
    // Not one statement named the paused endpoint: none of its deliveries was read.
    expect(sent).toContain(healthy);
    expect(sent).not.toContain(paused);

    // Once the pause is over, the paused endpoint's deliveries are due again, oldest first, up to its share.
    const later = new Date(pausedUntil.getTime() + 1);
    const after = await repo.claimDue(
      later,
      new Date(later.getTime() + 60_000),
      randomUUID(),
      10,
      new Map(),
      2,
    );
    expect(after.map((d) => d.endpoint_id)).toEqual([paused, paused]);
  });

  it('named endpoints are claimed for without the look; a named endpoint that is paused gets nothing', async () => {
    const merchant = randomUUID();
    const named = await endpoint(merchant);
    const other = await endpoint(merchant);
    const paused = await endpoint(merchant, { paused_until: until, failing_since: past });
    const due = new Date(past.getTime() - 1000);
    await queue([
      delivery(merchant, named, due),
      delivery(merchant, other, due),
      delivery(merchant, paused, due),
    ]);
    const query = jest.spyOn(db, 'query');
    const refs = [named, paused].map((id) => ({ merchant_id: merchant, id }));
    const claimed = await repo.claimDue(past, until, randomUUID(), 10, new Map(), 4, refs);
    // No look: the one statement on its own is the order check of the claim.
    expect(query).toHaveBeenCalledTimes(1);
    expect(claimed.map((d) => d.endpoint_id)).toEqual([named]);
    // The other endpoint's delivery waits for the next look (a poll).
    const polled = await repo.claimDue(past, until, randomUUID(), 10, new Map(), 4);
    expect(polled.map((d) => d.endpoint_id)).toEqual([other]);
  });

  onMysql('a claim’s locking read does not make new deliveries wait for its commit', async () => {
    const merchant = randomUUID();
    const dead = await endpoint(merchant);
    const other = await endpoint(merchant);
    // Due rows of a full endpoint, and one the claim takes.
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
    const claimed = await repo.claimDue(past, until, randomUUID(), 10, new Map([[dead, 2]]), 2);
    expect(await inserted).toBe('inserted');
    expect(claimed.map((d) => d.endpoint_id)).toEqual([other]);
  });

  it('attempts that fail together pause the endpoint once and rewrite none of its deliveries', async () => {
    // An endpoint's share is a quarter of WEBHOOK_CONCURRENCY: 6 attempts in flight at most. Each
    // hangs for WEBHOOK_TIMEOUT_MS (2 s): time enough to queue three more before they fail, even on a
    // loaded machine.
    const s = await startApp({
      ...FAST_WEBHOOKS,
      WEBHOOK_RETRY_BASE_MS: '5000',
      WEBHOOK_CONCURRENCY: '24',
      WEBHOOK_TIMEOUT_MS: '2000',
    });
    const rx = await startReceiver();
    try {
      rx.answer = () => 'hang';
      const pause = jest.spyOn(s.app.get(WebhookEndpointsRepository), 'markFailing');
      const m = await newMerchant(s, WEBHOOK_SCOPES);
      const hook = await v0Webhook(s, m, `${rx.url}/dead`, ['customer.created']);
      // Six attempts in flight at once.
      await Promise.all([0, 1, 2, 3, 4, 5].map(() => createStaxCustomer(s, m)));
      await rx.waitFor((r) => r.length >= 6);
      // Three more while the endpoint has its share in flight: queued, due, not claimed.
      for (let i = 0; i < 3; i++) await createStaxCustomer(s, m);
      expect(pause).not.toHaveBeenCalled();
      const deadline = Date.now() + 10_000;
      while (pause.mock.calls.length < 6 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      // Six failures, each told to the endpoint; the first paused it (about 5 s), the rest found it paused.
      expect(pause).toHaveBeenCalledTimes(6);
      const started = await Promise.all(pause.mock.results.map((r) => r.value as Promise<boolean>));
      expect(started.filter(Boolean)).toHaveLength(1);
      const { rows } = await s.app.get(WebhookDeliveriesRepository).page(m.merchantId, hook.id, 0, 20);
      const waiting = rows.filter((d) => d.attempt_count === 0);
      expect(rows.filter((d) => d.attempt_count === 1)).toHaveLength(6);
      expect(waiting).toHaveLength(3);
      // Not moved past the pause: each still says it was due when queued; the pause is the endpoint's.
      for (const d of waiting) expect(d.next_attempt_at).toEqual(d.created_at);
      expect(rx.received).toHaveLength(6);
      // The API shows when they will be tried: the end of the pause.
      const endpointRow = await s.app.get(WebhookEndpointsRepository).findOne(m.merchantId, hook.id);
      const shown = (await http(s).get(`/api/v0/webhooks/${hook.id}/deliveries`).set(m.keyPair).expect(200))
        .body.data as { attempt_count: number; next_attempt_at: string }[];
      const shownWaiting = shown.filter((d) => d.attempt_count === 0);
      expect(shownWaiting).toHaveLength(3);
      for (const d of shownWaiting) expect(d.next_attempt_at).toBe(endpointRow!.paused_until!.toISOString());
    } finally {
      await settleDeliveries(s);
      await s.close();
      await rx.close();
    }
  });
  it('a redelivery ends the endpoint’s pause: its deliveries are tried again now', async () => {
    // A failure pauses the endpoint for about a minute (WEBHOOK_RETRY_BASE_MS).
    const s = await startApp({ ...FAST_WEBHOOKS, WEBHOOK_RETRY_BASE_MS: '60000' });
    const rx = await startReceiver();
    try {
      rx.answer = () => 500;
      const m = await newMerchant(s, WEBHOOK_SCOPES);
      const hook = await v0Webhook(s, m, `${rx.url}/flaky`, ['customer.created']);
      await createStaxCustomer(s, m);
      await rx.waitFor((r) => r.length >= 1);
      const paused = async () =>
        (await s.app.get(WebhookEndpointsRepository).findOne(m.merchantId, hook.id))!.paused_until;
      const deadline = Date.now() + 5_000;
      while (!(await paused()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect((await paused())!.getTime()).toBeGreaterThan(Date.now() + 30_000);
      // The receiver is fixed; the merchant asks for the delivery again instead of waiting a minute.
      rx.answer = () => 200;
      const [d] = (await http(s).get(`/api/v0/webhooks/${hook.id}/deliveries`).set(m.keyPair).expect(200))
        .body.data as { id: string }[];
      await http(s)
        .post(`/api/v0/webhooks/${hook.id}/deliveries/${d.id}/redeliver`)
        .set(m.keyPair)
        .expect(200);
      const got = await rx.waitFor((r) => r.length >= 2, 5_000);
      expect(got.map((r) => r.headers['webhook-id'])).toEqual([d.id, d.id]);
      expect(await paused()).toBeNull();
    } finally {
      await settleDeliveries(s);
      await s.close();
      await rx.close();
    }
  });
});
