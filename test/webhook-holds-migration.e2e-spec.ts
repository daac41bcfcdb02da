/**
 * The migration that keeps a disabled endpoint's state on the endpoint (1733500000000): deliveries
 * that earlier versions rewrote to `held` become `pending` again, due from when they were queued,
 * and wait, unclaimed, for the endpoint to be enabled. Run down and up again over such a row, on both
 * databases.
 */
import { randomUUID } from 'node:crypto';
import { DatabaseService } from '../src/database/database.service';
import { WebhookHoldsOnEndpoint1733500000000 } from '../src/database/migrations/1733500000000-webhook-holds-on-endpoint';
import { WebhookDeliveriesRepository } from '../src/webhooks/webhook-deliveries.repository';
import { WebhookEndpointsRepository } from '../src/webhooks/webhook-endpoints.repository';
import { startApp, TestApp } from './support/app';

describe('webhook holds migration', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ WEBHOOK_WORKER: 'false' });
  });
  afterAll(() => t.close());

  it('makes held deliveries pending again, due from when they were queued', async () => {
    const db = t.app.get(DatabaseService);
    const deliveries = t.app.get(WebhookDeliveriesRepository);
    const merchant = randomUUID();
    const endpoint = randomUUID();
    const queuedAt = new Date('2026-01-02T03:04:05.678Z');
    const row = {
      merchant_id: merchant,
      endpoint_id: endpoint,
      customer_id: randomUUID(),
      event_type: 'customer.updated',
      payload: '{}',
      attempt_count: 1,
      attempts: [],
      created_at: queuedAt,
      queued_at: queuedAt,
    };
    const held = randomUUID();
    const delivered = randomUUID();
    await db.transaction(async (tx) =>
      deliveries.queue(tx, [
        { ...row, event_id: held, status: 'held', next_attempt_at: null },
        { ...row, event_id: delivered, status: 'delivered', next_attempt_at: null },
      ]),
    );
    const migration = new WebhookHoldsOnEndpoint1733500000000();
    const runner = db.dataSource.createQueryRunner();
    try {
      await migration.down(runner);
      await migration.up(runner);
    } finally {
      await runner.release();
    }
    const after = await deliveries.findOne(merchant, endpoint, held);
    expect(after).toMatchObject({ status: 'pending', next_attempt_at: queuedAt });
    expect(await deliveries.findOne(merchant, endpoint, delivered)).toMatchObject({
      status: 'delivered',
      next_attempt_at: null,
    });
    // The column is back: endpoints read with it.
    expect(await t.app.get(WebhookEndpointsRepository).findOne(merchant, endpoint)).toBeNull();
  });
});
