/**
 * The narrow webhook outbox (README, "Webhooks", "Write throughput with a dead endpoint"): a
 * write's events wait in `webhook_outbox` until moved; a move turns them into one delivery per
 * endpoint subscribed at the write, in the order of the writes, each in its endpoint's state at
 * the move; reads and changes of an endpoint's deliveries move first; two movers at once move each
 * row once. The apps' workers are off: the tests move.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source-options';
import { DatabaseService } from '../src/database/database.service';
import { WebhookDeliveriesRepository } from '../src/webhooks/webhook-deliveries.repository';
import { WebhookEndpointsRepository } from '../src/webhooks/webhook-endpoints.repository';
import { WebhookOutbox } from '../src/webhooks/webhook-outbox';
import { createStaxCustomer, http, newMerchant, startApp, TestApp, TestMerchant } from './support/app';
import { startReceiver } from './support/receiver';
import {
  FAST_WEBHOOKS,
  pendingDelivery,
  settleDeliveries,
  staxWebhook,
  v0Webhook,
  WEBHOOK_SCOPES,
} from './support/webhooks';

/** Nothing listens there; nothing is sent either (the workers are off). */
const TARGET = 'http://127.0.0.1:9/hook';
const WORKER_OFF = { ...FAST_WEBHOOKS, WEBHOOK_WORKER: 'false' };

interface Row {
  event_id: string;
  endpoint_id: string;
  customer_id: string;
  event_type: string;
  payload: string;
  status: string;
  next_attempt_at: unknown;
}

describe('webhook outbox', () => {
  let a: TestApp;
  let b: TestApp;
  let db: DatabaseService;

  beforeAll(async () => {
    a = await startApp(WORKER_OFF);
    // A second instance on the same database: a second mover.
    b = await startApp(WORKER_OFF, { databaseUrl: a.databaseUrl });
    db = a.app.get(DatabaseService);
  });
  afterAll(async () => {
    await settleDeliveries(a);
    await b.close();
    await a.close();
  });

  const waiting = async (m: TestMerchant) =>
    Number(
      (
        await db.query<{ n: number | string }[]>(
          'SELECT COUNT(*) AS n FROM webhook_outbox WHERE merchant_id = ?',
          [m.merchantId],
        )
      )[0].n,
    );
  const deliveries = (m: TestMerchant) =>
    db.query<Row[]>(
      'SELECT event_id, endpoint_id, customer_id, event_type, payload, status, next_attempt_at FROM webhook_deliveries WHERE merchant_id = ? ORDER BY seq',
      [m.merchantId],
    );
  const move = (t: TestApp) => t.app.get(WebhookOutbox).move();
  const endpoints = () => a.app.get(WebhookEndpointsRepository);

  it('a write’s events wait in the outbox, then become one delivery per subscribed endpoint, in the order of the writes', async () => {
    const m = await newMerchant(a, WEBHOOK_SCOPES);
    const v0 = await v0Webhook(a, m, TARGET);
    const stax = await staxWebhook(a, m, TARGET, 'update_customer');
    const c = await createStaxCustomer(a, m);
    for (const name of ['v1', 'v2', 'v3'])
      await http(a).put(`/customer/${c.id}`).set(m.bearer).send({ firstname: name }).expect(200);
    await http(a).delete(`/customer/${c.id}`).set(m.bearer).expect(200);

    // One narrow row per write (the create too: the v0 endpoint takes every event); no delivery yet.
    expect(await waiting(m)).toBe(5);
    expect(await deliveries(m)).toEqual([]);

    expect(await move(a)).toBeGreaterThanOrEqual(5);
    expect(await waiting(m)).toBe(0);
    const rows = await deliveries(m);
    const of = (id: string) => rows.filter((r) => r.endpoint_id === id);
    expect(of(v0.id).map((r) => r.event_type)).toEqual([
      'customer.created',
      'customer.updated',
      'customer.updated',
      'customer.updated',
      'customer.deleted',
    ]);
    // The Stax endpoint subscribed to update_customer only: a delete is an update too.
    expect(of(stax.id).map((r) => r.event_type)).toEqual(Array(4).fill('update_customer'));
    const staxBodies = of(stax.id).map(
      (r) => JSON.parse(r.payload) as { firstname: string; deleted_at: unknown },
    );
    expect(staxBodies.map((p) => p.firstname)).toEqual(['v1', 'v2', 'v3', 'v3']);
    expect(staxBodies[3].deleted_at).not.toBeNull();
    const v0Bodies = of(v0.id).map((r) => JSON.parse(r.payload) as { id: string; type: string });
    expect(v0Bodies.map((p) => p.id)).toEqual(of(v0.id).map((r) => r.event_id));
    expect(new Set(rows.map((r) => r.event_id)).size).toBe(rows.length);
    expect(rows.every((r) => r.customer_id === c.id && r.status === 'pending')).toBe(true);
  });

  it('a delivery takes its endpoint’s state at the move: held while disabled, due at the end of a pause', async () => {
    const m = await newMerchant(a, WEBHOOK_SCOPES);
    const disabled = await v0Webhook(a, m, TARGET, ['customer.created']);
    const paused = await v0Webhook(a, m, `${TARGET}/paused`, ['customer.created']);
    await createStaxCustomer(a, m);
    // Both were live when the write committed; by the move one is disabled and the other paused.
    const until = new Date(Date.now() + 3_600_000);
    await endpoints().update(m.merchantId, disabled.id, { disabled_at: new Date(), disabled_reason: 'test' });
    await endpoints().update(m.merchantId, paused.id, { paused_until: until });
    await move(a);
    const rows = await deliveries(m);
    const held = rows.find((r) => r.endpoint_id === disabled.id);
    const later = rows.find((r) => r.endpoint_id === paused.id);
    expect(held).toMatchObject({ status: 'held', next_attempt_at: null });
    expect(later?.status).toBe('pending');
    const listed = await http(a).get(`/api/v0/webhooks/${paused.id}/deliveries`).set(m.keyPair).expect(200);
    expect(listed.body.data[0].next_attempt_at).toBe(until.toISOString());

    // Enabled again: what was held is due now.
    await http(a).post(`/api/v0/webhooks/${disabled.id}/enable`).set(m.keyPair).expect(200);
    expect((await deliveries(m)).find((r) => r.endpoint_id === disabled.id)?.status).toBe('pending');
  });

  it('listing, enabling and deleting an endpoint move the outbox first', async () => {
    const m = await newMerchant(a, WEBHOOK_SCOPES);
    const hook = await v0Webhook(a, m, TARGET, ['customer.created']);
    await createStaxCustomer(a, m);
    expect(await waiting(m)).toBe(1);
    // The listing shows the write committed a moment ago.
    const page = await http(a).get(`/api/v0/webhooks/${hook.id}/deliveries`).set(m.keyPair).expect(200);
    expect(page.body.total).toBe(1);
    expect(await waiting(m)).toBe(0);

    // Disabled, then a write: enabling moves it, and it is pending (not held for ever).
    await endpoints().update(m.merchantId, hook.id, { disabled_at: new Date(), disabled_reason: 'test' });
    await createStaxCustomer(a, m);
    expect(await waiting(m)).toBe(1);
    await http(a).post(`/api/v0/webhooks/${hook.id}/enable`).set(m.keyPair).expect(200);
    expect(await waiting(m)).toBe(0);
    expect((await deliveries(m)).map((r) => r.status)).toEqual(['pending', 'pending']);

    // A write, then the endpoint deleted: its events are moved and failed with the rest.
    await createStaxCustomer(a, m);
    expect(await waiting(m)).toBe(1);
    await http(a).delete(`/api/v0/webhooks/${hook.id}`).set(m.keyPair).expect(200);
    expect(await waiting(m)).toBe(0);
    expect((await deliveries(m)).map((r) => r.status)).toEqual(['failed', 'failed', 'failed']);
  });

  it('two instances moving at once, while writes commit, move each row once and keep each customer’s order', async () => {
    const m = await newMerchant(a, WEBHOOK_SCOPES);
    const hook = await v0Webhook(a, m, TARGET, ['customer.updated']);
    const customers = await Promise.all(Array.from({ length: 10 }, () => createStaxCustomer(a, m)));
    const VERSIONS = 25;
    let writing = true;
    const writes = Promise.all(
      customers.map(async (c, i) => {
        // Half the customers written through each instance.
        const via = i % 2 ? a : b;
        for (let v = 1; v <= VERSIONS; v++)
          await http(via)
            .put(`/customer/${c.id}`)
            .set(m.bearer)
            .send({ firstname: `v${v}` })
            .expect(200);
      }),
    ).finally(() => (writing = false));
    let rounds = 0;
    const movers = [a, b].map(async (t) => {
      while (writing) {
        await move(t);
        rounds++;
        await new Promise((r) => setTimeout(r, 5));
      }
    });
    await writes;
    await Promise.all(movers);
    await Promise.all([move(a), move(b)]);
    expect(rounds).toBeGreaterThan(2);

    expect(await waiting(m)).toBe(0);
    const rows = (await deliveries(m)).filter((r) => r.endpoint_id === hook.id);
    expect(rows).toHaveLength(customers.length * VERSIONS);
    expect(new Set(rows.map((r) => r.event_id)).size).toBe(rows.length);
    for (const c of customers) {
      const names = rows
        .filter((r) => r.customer_id === c.id)
        .map(
          (r) =>
            (JSON.parse(r.payload) as { data: { object: { first_name: string } } }).data.object.first_name,
        );
      expect(names).toEqual(Array.from({ length: VERSIONS }, (_, v) => `v${v + 1}`));
    }
  });

  it('a move that fails does not stop the deliveries already queued', async () => {
    // The earlier tests' deliveries are not this instance's to send.
    await settleDeliveries(a);
    const rx = await startReceiver();
    // An instance with its worker on, whose every move fails.
    const s = await startApp(FAST_WEBHOOKS, { databaseUrl: a.databaseUrl });
    try {
      const move = jest.spyOn(s.app.get(WebhookOutbox), 'move').mockRejectedValue(new Error('no move'));
      const m = await newMerchant(s, WEBHOOK_SCOPES);
      const hook = await v0Webhook(s, m, `${rx.url}/${m.merchantId}`, ['customer.created']);
      const eventId = randomUUID();
      await s.app
        .get(DatabaseService)
        .transaction(async (tx) =>
          s.app
            .get(WebhookDeliveriesRepository)
            .queue(tx, [pendingDelivery(m.merchantId, hook.id, new Date(), eventId)]),
        );
      await rx.waitFor((r) => r.some((x) => x.headers['webhook-id'] === eventId));
      expect(move).toHaveBeenCalled();
    } finally {
      await s.close();
      await rx.close();
    }
  });
});

describe('the outbox migration', () => {
  it('cannot be reverted while events wait in the outbox, and can once they are moved', async () => {
    const file = join(tmpdir(), `merchant-customers-outbox-${randomUUID()}.sqlite`);
    const ds = new DataSource(dataSourceOptions(`sqlite:${file}`));
    try {
      await ds.initialize();
      await ds.runMigrations();
      await ds.query(
        "INSERT INTO webhook_outbox (merchant_id, created_at, events) VALUES ('m', '2026-01-01 00:00:00.000', '[]')",
      );
      await expect(ds.undoLastMigration()).rejects.toThrow(/webhook_outbox still holds 1 writes' events/);
      expect(await ds.query('SELECT COUNT(*) AS n FROM webhook_outbox')).toEqual([{ n: 1 }]);
      await ds.query('DELETE FROM webhook_outbox');
      await ds.undoLastMigration();
      const left = await ds.query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'webhook_outbox'",
      );
      expect(left).toEqual([]);
    } finally {
      await ds.destroy().catch(() => undefined);
      for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
    }
  });
});
