import type { AuditAction } from '../audit/audit-entry.entity';
import type { CustomerChange } from '../customers/customer-changes';
import { toStaxCustomer, toV0Customer, v0Changes } from '../customers/customer.views';
import type { WebhookEndpoint, WebhookSurface } from './webhook-endpoint.entity';

export const STAX_EVENTS = ['create_customer', 'update_customer'] as const;
export type StaxEvent = (typeof STAX_EVENTS)[number];

/** The v0 event types are the audit actions. */
export const V0_EVENTS = [
  'customer.created',
  'customer.updated',
  'customer.deleted',
  'customer.restored',
  'customer.status_changed',
] as const satisfies readonly AuditAction[];
export type V0Event = (typeof V0_EVENTS)[number];

/** Subscribes a v0 endpoint to every event, present and future. */
export const ALL_EVENTS = '*';

/** One event of one surface, rendered: what every subscribed endpoint of that surface receives. */
export interface OutboxEvent {
  id: string;
  surface: WebhookSurface;
  type: string;
  customerId: string;
  payload: string;
}

/** The stored form of a subscription list: the names between commas, so one LIKE matches a name. */
export function storedEvents(events: readonly string[]): string {
  return `,${events.join(',')},`;
}

export function eventsOf(stored: string): string[] {
  return stored.split(',').filter(Boolean);
}

/** What the outbox needs of an endpoint: its surface, what it subscribes to, and whether it can receive now. */
export type Subscriber = Pick<WebhookEndpoint, 'id' | 'surface' | 'events' | 'paused_until' | 'disabled_at'>;

/** Whether the endpoint subscribes to events of this type. */
export function subscribes(endpoint: Pick<WebhookEndpoint, 'events'>, type: string): boolean {
  return endpoint.events === storedEvents([ALL_EVENTS]) || endpoint.events.includes(`,${type},`);
}

/**
 * The events one customer change makes, for the surfaces given (a surface no endpoint of the
 * merchant uses is not rendered). Stax: `create_customer` for a new customer, otherwise one
 * `update_customer` (a delete and a restore change the customer too), with the customer as
 * `GET /customer/{id}` shows it at that version. v0: one event per audit entry, with the v0
 * customer and the entry's changes in v0 field names.
 */
export function eventsOfChange(
  change: CustomerChange,
  surfaces: ReadonlySet<WebhookSurface>,
  newId: () => string,
): OutboxEvent[] {
  const { customer, audit } = change;
  const events: OutboxEvent[] = [];
  if (surfaces.has('stax')) {
    const created = audit.some((a) => a.action === 'customer.created');
    events.push({
      id: newId(),
      surface: 'stax',
      type: created ? 'create_customer' : 'update_customer',
      customerId: customer.id,
      payload: JSON.stringify(toStaxCustomer(customer)),
    });
  }
  if (!surfaces.has('v0')) return events;
  const object = toV0Customer(customer);
  for (const entry of audit) {
    const id = newId();
    events.push({
      id,
      surface: 'v0',
      type: entry.action,
      customerId: customer.id,
      payload: JSON.stringify({
        id,
        type: entry.action,
        createdAt: customer.updated_at.toISOString(),
        data: { object, changes: v0Changes(entry.changes) },
      }),
    });
  }
  return events;
}
