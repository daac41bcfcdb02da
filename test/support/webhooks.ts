/** Webhook helpers for the end-to-end tests. */
import { Webhook } from 'standardwebhooks';
import { DatabaseService } from '../../src/database/database.service';
import { http, TestApp, TestMerchant } from './app';
import type { Received } from './receiver';

/** The settings every webhook test app runs with: receivers on 127.0.0.1, a fast worker, short retries. */
export const FAST_WEBHOOKS = {
  WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
  WEBHOOK_POLL_MS: '20',
  WEBHOOK_RETRY_BASE_MS: '50',
  WEBHOOK_TIMEOUT_MS: '500',
};

export const WEBHOOK_SCOPES = ['customers:read', 'customers:write', 'webhooks:read', 'webhooks:write'];

export async function v0Webhook(t: TestApp, m: TestMerchant, url: string, events?: string[]) {
  const res = await http(t)
    .post('/api/v0/webhooks')
    .set(m.keyPair)
    .send(events ? { url, events } : { url })
    .expect(201);
  return res.body as { id: string; secret: string; events: string[] };
}

export async function staxWebhook(t: TestApp, m: TestMerchant, url: string, event: string) {
  const res = await http(t).post('/webhook').query({ target_url: url, event }).set(m.bearer).expect(200);
  return res.body as { id: string; secret: string; event: string };
}

/** Verifies a received delivery exactly as a receiver would, with the standardwebhooks package; returns the payload. */
export function verify(secret: string, r: Received): unknown {
  return new Webhook(secret).verify(r.body, {
    'webhook-id': String(r.headers['webhook-id']),
    'webhook-timestamp': String(r.headers['webhook-timestamp']),
    'webhook-signature': String(r.headers['webhook-signature']),
  });
}

/**
 * Receivers deduplicate on webhook-id, and so do the tests: a delivery is at least once, and on a
 * busy machine an answer can come after WEBHOOK_TIMEOUT_MS, so the same event may come twice.
 */
export function firstOfEach(received: Received[]): Received[] {
  const seen = new Set<unknown>();
  return received.filter((r) => {
    const id = r.headers['webhook-id'];
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/**
 * Gives up every pending delivery: on a database the test files share (MariaDB), the next file's
 * apps would otherwise keep trying this file's receivers, long closed.
 */
export async function settleDeliveries(t: TestApp): Promise<void> {
  await t.app
    .get(DatabaseService)
    .query(
      "UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL WHERE status = 'pending'",
    );
}
