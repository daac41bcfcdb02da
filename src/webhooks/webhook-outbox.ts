import { randomUUID } from 'node:crypto';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { CustomerChange, CustomerChanges } from '../customers/customer-changes';
import { DatabaseService } from '../database/database.service';
import type { SqlTransaction, TransactionOptions } from '../database/sql-transaction';
import { NewDelivery, WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WebhookEndpointsRepository } from './webhook-endpoints.repository';
import { eventsOfChange, OutboxEvent, Subscriber, subscribes } from './webhook-events';
import { WebhookOutboxRepository } from './webhook-outbox.repository';

/** One event in an outbox row: rendered, with when its change was made and who subscribed then. */
interface OutboxEntry extends Omit<OutboxEvent, 'surface'> {
  /** The change's updated_at (ISO): the delivery is due from then. */
  at: string;
  endpoints: string[];
}

/** Outbox rows moved per transaction. */
const MOVE_CHUNK = 200;

/** The mover locks the head rows only: new rows (the writes') are not held up by gap locks on MySQL. */
const MOVE_TRANSACTION: TransactionOptions = { readCommitted: true };

/**
 * A customer write's webhook events, from its transaction to the deliveries. Two steps:
 *
 * 1. `queue`, the write path's before-commit step: one read of the merchant's endpoints; if any
 *    subscribes, the events are rendered and written as one narrow row (`webhook_outbox`) in the
 *    write's transaction: no change without its events, no events of a change that rolled back,
 *    and a write pays for one B-tree page, not a delivery row per endpoint with its four indexes.
 * 2. `move`, run by the worker before each claim (and by anything that reads or changes an
 *    endpoint's deliveries, so that it sees every committed change): turns the oldest rows, in
 *    order, into one delivery per subscribed endpoint in `webhook_deliveries`, in one transaction
 *    with their deletion. Each delivery's state comes from its endpoint as it is then: held while
 *    disabled, due at the end of a failing endpoint's pause, else due from its change.
 *
 * README, "Webhooks", "Write throughput with a dead endpoint", for what this costs and saves.
 */
@Injectable()
export class WebhookOutbox implements OnModuleInit {
  /** Set by this process's worker: a change committed events for these endpoints, which can take them now. */
  onQueued?: (endpointIds: ReadonlySet<string>) => void;

  constructor(
    private readonly db: DatabaseService,
    private readonly outbox: WebhookOutboxRepository,
    private readonly endpoints: WebhookEndpointsRepository,
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly changes: CustomerChanges,
  ) {}

  onModuleInit(): void {
    this.changes.beforeCommit((tx, changes) => this.queue(tx, changes));
  }

  /**
   * The before-commit step: one read of the merchant's endpoints, then one queued INSERT, so a
   * customer write never waits on a receiver. A merchant without endpoints pays that read alone.
   */
  private async queue(tx: SqlTransaction, changes: readonly CustomerChange[]): Promise<void> {
    const merchantId = changes[0].ctx.principal.merchantId;
    const subscribers = await this.endpoints.subscribers(tx, merchantId);
    if (subscribers.length === 0) return;
    const surfaces = new Set(subscribers.map((e) => e.surface));
    const entries: OutboxEntry[] = [];
    const ready = new Set<string>();
    for (const change of changes) {
      const at = change.customer.updated_at;
      for (const { surface, ...event } of eventsOfChange(change, surfaces, randomUUID)) {
        const to = subscribers.filter((e) => e.surface === surface && subscribes(e, event.type));
        if (to.length === 0) continue;
        for (const e of to) if (!e.disabled_at && !(e.paused_until && e.paused_until > at)) ready.add(e.id);
        entries.push({ ...event, at: at.toISOString(), endpoints: to.map((e) => e.id) });
      }
    }
    if (entries.length === 0) return;
    this.outbox.add(tx, {
      merchant_id: merchantId,
      created_at: changes[0].customer.updated_at,
      events: JSON.stringify(entries),
    });
    // Movable and due once committed: the worker takes them then, not at its next poll. Not for a
    // paused (failing) or disabled endpoint: its deliveries wait anyway, and are moved at a poll.
    if (ready.size > 0)
      tx.afterCommit(() => {
        this.onQueued?.(ready);
      });
  }

  /**
   * Moves every row committed so far into deliveries, oldest first; how many rows. `known`: a
   * change has just committed some, so no plain read first.
   */
  async move(known = false): Promise<number> {
    let moved = 0;
    if (!known && !(await this.outbox.any())) return moved;
    for (;;) {
      const n = await this.db.transaction((tx) => this.moveHead(tx), MOVE_TRANSACTION);
      moved += n;
      if (n < MOVE_CHUNK) return moved;
    }
  }

  private async moveHead(tx: SqlTransaction): Promise<number> {
    const rows = await this.outbox.head(tx, MOVE_CHUNK);
    if (rows.length === 0) return 0;
    const live = new Map<string, Map<string, Subscriber>>();
    const deliveries: NewDelivery[] = [];
    for (const row of rows) {
      let endpoints = live.get(row.merchant_id);
      if (!endpoints) {
        endpoints = new Map((await this.endpoints.subscribers(tx, row.merchant_id)).map((e) => [e.id, e]));
        live.set(row.merchant_id, endpoints);
      }
      for (const entry of JSON.parse(row.events) as OutboxEntry[]) {
        const at = new Date(entry.at);
        for (const id of entry.endpoints)
          deliveries.push(newDelivery(entry, row.merchant_id, id, endpoints.get(id), at));
      }
    }
    this.deliveries.queue(tx, deliveries);
    this.outbox.remove(tx, rows[0].seq, rows[rows.length - 1].seq);
    return rows.length;
  }

  /** How many writes' events wait to be moved, and since when. */
  backlog() {
    return this.outbox.backlog();
  }
}

/**
 * One endpoint's delivery of an event, by the endpoint's state now: held while it is disabled,
 * due when a paused (failing) one is next tried, else due from the change. An endpoint deleted
 * meanwhile (not live) gets a due delivery that the worker fails, saying why.
 */
function newDelivery(
  entry: OutboxEntry,
  merchantId: string,
  endpointId: string,
  endpoint: Subscriber | undefined,
  at: Date,
): NewDelivery {
  const held = !!endpoint?.disabled_at;
  const pausedUntil = endpoint?.paused_until && endpoint.paused_until > at ? endpoint.paused_until : null;
  return {
    event_id: entry.id,
    merchant_id: merchantId,
    endpoint_id: endpointId,
    customer_id: entry.customerId,
    event_type: entry.type,
    payload: entry.payload,
    status: held ? 'held' : 'pending',
    attempt_count: 0,
    attempts: [],
    next_attempt_at: held ? null : (pausedUntil ?? at),
    created_at: at,
    queued_at: at,
  };
}
