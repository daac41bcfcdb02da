/** Explicit mapping from stored endpoints and deliveries to each surface's response shape. */
import { staxTimestamp } from '../customers/customer.views';
import type { WebhookDelivery } from './webhook-delivery.entity';
import type { WebhookEndpoint } from './webhook-endpoint.entity';
import { eventsOf } from './webhook-events';

/** The Stax webhook object; `secret` only in the answer that made it (create, rotate-secret). */
export function toStaxWebhook(e: WebhookEndpoint, secret?: string) {
  return {
    id: e.id,
    merchant_id: e.merchant_id,
    url: e.url,
    event: eventsOf(e.events)[0],
    created_at: staxTimestamp(e.created_at),
    updated_at: staxTimestamp(e.updated_at),
    deleted_at: staxTimestamp(e.deleted_at),
    disabled_at: staxTimestamp(e.disabled_at),
    disabled_reason: e.disabled_reason,
    ...(secret !== undefined ? { secret } : {}),
  };
}

export function toV0Webhook(e: WebhookEndpoint, secret?: string) {
  return {
    id: e.id,
    url: e.url,
    events: eventsOf(e.events),
    enabled: e.disabled_at === null,
    disabled_reason: e.disabled_reason,
    createdAt: e.created_at.toISOString(),
    updatedAt: e.updated_at.toISOString(),
    deletedAt: e.deleted_at ? e.deleted_at.toISOString() : null,
    ...(secret !== undefined ? { secret } : {}),
  };
}

/** One delivery with its attempts: the same shape on both surfaces. */
export function toDeliveryView(d: WebhookDelivery) {
  return {
    id: d.event_id,
    event: d.event_type,
    customer_id: d.customer_id,
    status: d.status,
    attempt_count: d.attempt_count,
    next_attempt_at: d.next_attempt_at ? d.next_attempt_at.toISOString() : null,
    created_at: d.created_at.toISOString(),
    completed_at: d.completed_at ? d.completed_at.toISOString() : null,
    attempts: d.attempts,
  };
}

/** What the idempotency layer keeps of an answer that showed a secret: the same answer, secret null. */
export function withoutSecret(body: unknown): unknown {
  return body && typeof body === 'object' && 'secret' in body ? { ...body, secret: null } : body;
}
