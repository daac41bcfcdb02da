/** Webhook helpers for the end-to-end tests. */
import { Webhook } from 'standardwebhooks';
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
