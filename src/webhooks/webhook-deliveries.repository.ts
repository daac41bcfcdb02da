import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service';
import { EntityRows } from '../database/entity-rows';
import type { SqlTransaction, TransactionOptions } from '../database/sql-transaction';
import { WebhookDelivery } from './webhook-delivery.entity';

/**
 * How many endpoints a claim can pass over (those that already have as many attempts in flight in
 * this process as they may): a fixed number of placeholders, so the statement is always the same.
 */
export const SKIPPED_ENDPOINTS = 4;

/** The columns a new delivery is written with (the rest start empty). */
const NEW_DELIVERY_PROPERTIES = [
  'event_id',
  'merchant_id',
  'endpoint_id',
  'customer_id',
  'event_type',
  'payload',
  'status',
  'attempt_count',
  'attempts',
  'next_attempt_at',
  'created_at',
  'queued_at',
] as const satisfies readonly (keyof WebhookDelivery)[];

export type NewDelivery = Pick<WebhookDelivery, (typeof NEW_DELIVERY_PROPERTIES)[number]>;

/** Claims checked against the order rule per statement: a fixed number of placeholders, padded. */
const ORDER_CHECK_CHUNK = 16;

/** Claims lock only the rows they take (see claimDue). */
const CLAIM_TRANSACTION: TransactionOptions = { readCommitted: true };

/** Rows per INSERT: well under SQLite's limit of 32,766 parameters. */
const QUEUE_CHUNK = 500;

/** How a finished attempt leaves a delivery. */
export type DeliveryUpdate = Pick<
  WebhookDelivery,
  'status' | 'attempt_count' | 'attempts' | 'next_attempt_at' | 'completed_at'
>;

/** All SQL about webhook deliveries (table `webhook_deliveries`, the outbox). */
@Injectable()
export class WebhookDeliveriesRepository {
  private built?: {
    rows: EntityRows<WebhookDelivery>;
    anyDue: string;
    due: string;
    claim: string;
    earlierPending: string;
    complete: string;
    release: string;
    postpone: string;
    failPending: string;
    hold: string;
    resume: string;
    page: string;
    count: string;
    findOne: string;
    redeliver: string;
    backlog: string;
  };

  constructor(private readonly db: DatabaseService) {}

  private get sql() {
    if (!this.built) {
      const rows = new EntityRows(this.db.dataSource, WebhookDelivery);
      const c = (p: keyof WebhookDelivery) => rows.column(p);
      const d = (p: keyof WebhookDelivery) => `d.${rows.column(p)}`;
      const p = (p: keyof WebhookDelivery) => `p.${rows.column(p)}`;
      const earlier = `SELECT 1 FROM ${rows.table} p WHERE ${p('merchant_id')} = ${d('merchant_id')} AND ${p('endpoint_id')} = ${d('endpoint_id')} AND ${p('customer_id')} = ${d('customer_id')} AND ${p('status')} = 'pending' AND ${p('seq')} < ${d('seq')}`;
      const owned = `${c('seq')} = ? AND ${c('lock_owner')} = ?`;
      const byEvent = `${c('merchant_id')} = ? AND ${c('endpoint_id')} = ? AND ${c('event_id')} = ?`;
      const notSkipped = (col: string) => `${col} NOT IN (${Array(SKIPPED_ENDPOINTS).fill('?').join(', ')})`;
      this.built = {
        rows,
        anyDue: `SELECT 1 AS x FROM ${rows.table} WHERE ${c('next_attempt_at')} <= ? AND ${notSkipped(c('endpoint_id'))} LIMIT 1`,
        // Due, not claimed by a live worker, and no earlier delivery of the same customer to the
        // same endpoint still pending (the subquery reads without locking).
        due:
          `SELECT ${rows.selectList
            .split(', ')
            .map((col) => `d.${col}`)
            .join(', ')} FROM ${rows.table} d` +
          ` WHERE ${d('next_attempt_at')} <= ? AND ${d('status')} = 'pending'` +
          ` AND (${d('locked_until')} IS NULL OR ${d('locked_until')} <= ?)` +
          ` AND NOT EXISTS (${earlier})` +
          ` AND ${notSkipped(d('endpoint_id'))}` +
          ` ORDER BY ${d('next_attempt_at')}, ${d('seq')} LIMIT ?${this.db.dialect.skipLocked}`,
        claim: `UPDATE ${rows.table} SET ${c('locked_until')} = ?, ${c('lock_owner')} = ? WHERE ${c('seq')} = ?`,
        // Of the given claims, those with an earlier delivery of the same customer to the same endpoint still pending.
        earlierPending: `SELECT ${d('seq')} AS seq FROM ${rows.table} d WHERE ${d('seq')} IN (${Array(ORDER_CHECK_CHUNK).fill('?').join(', ')}) AND EXISTS (${earlier})`,
        complete: `UPDATE ${rows.table} SET ${c('status')} = ?, ${c('attempt_count')} = ?, ${c('attempts')} = ?, ${c('next_attempt_at')} = ?, ${c('completed_at')} = ?, ${c('locked_until')} = NULL, ${c('lock_owner')} = NULL WHERE ${owned}`,
        postpone: `UPDATE ${rows.table} SET ${c('next_attempt_at')} = ? WHERE ${c('merchant_id')} = ? AND ${c('endpoint_id')} = ? AND ${c('status')} = 'pending' AND ${c('next_attempt_at')} < ? AND (${c('locked_until')} IS NULL OR ${c('locked_until')} <= ?)`,
        release: `UPDATE ${rows.table} SET ${c('locked_until')} = NULL, ${c('lock_owner')} = NULL WHERE ${owned}`,
        failPending: `UPDATE ${rows.table} SET ${c('status')} = 'failed', ${c('next_attempt_at')} = NULL, ${c('completed_at')} = ? WHERE ${c('merchant_id')} = ? AND ${c('endpoint_id')} = ? AND ${c('status')} IN ('pending', 'held')`,
        // Unclaimed pending deliveries wait for the endpoint to be enabled again (one in flight is held by its worker).
        hold: `UPDATE ${rows.table} SET ${c('status')} = 'held', ${c('next_attempt_at')} = NULL WHERE ${c('merchant_id')} = ? AND ${c('endpoint_id')} = ? AND ${c('status')} = 'pending' AND (${c('locked_until')} IS NULL OR ${c('locked_until')} <= ?)`,
        resume: `UPDATE ${rows.table} SET ${c('status')} = 'pending', ${c('next_attempt_at')} = ?, ${c('queued_at')} = ? WHERE ${c('merchant_id')} = ? AND ${c('endpoint_id')} = ? AND ${c('status')} = 'held'`,
        page: `SELECT ${rows.selectList} FROM ${rows.table} WHERE ${c('merchant_id')} = ? AND ${c('endpoint_id')} = ? ORDER BY ${c('seq')} DESC LIMIT ? OFFSET ?`,
        count: `SELECT COUNT(*) AS n FROM ${rows.table} WHERE ${c('merchant_id')} = ? AND ${c('endpoint_id')} = ?`,
        findOne: `SELECT ${rows.selectList} FROM ${rows.table} WHERE ${byEvent}`,
        // Queued again with the same event id and body; a delivery being attempted right now is left alone.
        redeliver: `UPDATE ${rows.table} SET ${c('status')} = 'pending', ${c('next_attempt_at')} = ?, ${c('queued_at')} = ?, ${c('completed_at')} = NULL WHERE ${byEvent} AND (${c('locked_until')} IS NULL OR ${c('locked_until')} <= ?)`,
        backlog: `SELECT COUNT(*) AS n, MIN(${c('queued_at')}) AS oldest FROM ${rows.table} WHERE ${c('next_attempt_at')} IS NOT NULL`,
      };
    }
    return this.built;
  }

  /** Writes new deliveries inside the change's transaction, sent with its COMMIT. */
  queue(tx: SqlTransaction, deliveries: NewDelivery[]): void {
    const { rows } = this.sql;
    for (let i = 0; i < deliveries.length; i += QUEUE_CHUNK) {
      const insert = rows.insert(NEW_DELIVERY_PROPERTIES, deliveries.slice(i, i + QUEUE_CHUNK));
      tx.defer(insert.sql, insert.params);
    }
  }

  /**
   * Claims due deliveries for `owner` until `until`: at most `limit`, and at most `perEndpoint` of
   * one endpoint counting the attempts `busy` says it has in flight already (an endpoint that is
   * full is passed over; at most SKIPPED_ENDPOINTS of them). No other worker attempts them before
   * then. Then checks the claims against the order rule with one fresh read, which sees every
   * committed delivery (the claiming read may have missed an earlier one committed while it ran),
   * and gives back the claims that must wait. `known` skips the cheap look for any due delivery
   * first (a change just committed some).
   *
   * What a dead endpoint costs the customer writes (README, "Webhooks", "Write throughput with a
   * dead endpoint"): while its attempts hang, its due deliveries pile up at the head of the queue.
   * The look first passes over full endpoints, so a poll that could start nothing is one plain
   * read, not a claim transaction walking those rows under locks (SQLite's one write lock, which
   * the writes wait for). The claim runs in READ COMMITTED on MySQL: under REPEATABLE READ its
   * locking read would hold gap locks on the due range, and every new delivery (inserted in it,
   * due now) would wait for the claim's COMMIT.
   */
  async claimDue(
    now: Date,
    until: Date,
    owner: string,
    limit: number,
    busy: ReadonlyMap<string, number> = new Map(),
    perEndpoint = limit,
    known = false,
  ): Promise<WebhookDelivery[]> {
    const { rows } = this.sql;
    const [nowValue, untilValue] = rows.values({ next_attempt_at: now, locked_until: until });
    const full = [...busy].filter(([, n]) => n >= perEndpoint).map(([id]) => id);
    const skipped = Array.from({ length: SKIPPED_ENDPOINTS }, (_, i) => full[i] ?? '');
    // Most polls find nothing they could start: a plain read then, not a claim transaction.
    if (!known && (await this.db.query(this.sql.anyDue, [nowValue, ...skipped])).length === 0) return [];
    const claimed = await this.db.transaction(async (tx) => {
      const found = (await tx.query(this.sql.due, [nowValue, nowValue, ...skipped, limit])).map((r) =>
        rows.hydrate(r),
      );
      // Only what can start now is claimed: the rest stays free for another instance, or the next round.
      const taken = new Map(busy);
      const picked = found.filter((d) => {
        const n = taken.get(d.endpoint_id) ?? 0;
        if (n >= perEndpoint) return false;
        taken.set(d.endpoint_id, n + 1);
        return true;
      });
      for (const d of picked) tx.defer(this.sql.claim, [untilValue, owner, d.seq]);
      return picked;
    }, CLAIM_TRANSACTION);
    const waiting = new Set<string>();
    for (let i = 0; i < claimed.length; i += ORDER_CHECK_CHUNK) {
      const seqs = claimed.slice(i, i + ORDER_CHECK_CHUNK).map((d) => d.seq);
      const padded = Array.from({ length: ORDER_CHECK_CHUNK }, (_, j) => seqs[j] ?? -1);
      const found = await this.db.query<{ seq: unknown }[]>(this.sql.earlierPending, padded);
      for (const r of found) waiting.add(String(r.seq));
    }
    const ready: WebhookDelivery[] = [];
    for (const d of claimed) {
      if (waiting.has(String(d.seq))) await this.release(d.seq, owner);
      else ready.push({ ...d, locked_until: until, lock_owner: owner });
    }
    return ready;
  }

  /** Records an attempt's outcome, if the claim is still this owner's; whether it was. */
  async complete(seq: string, owner: string, update: DeliveryUpdate): Promise<boolean> {
    const v = this.sql.rows.values({
      status: update.status,
      attempt_count: update.attempt_count,
      attempts: update.attempts,
      next_attempt_at: update.next_attempt_at,
      completed_at: update.completed_at,
    });
    const res = await this.db.query<{ affectedRows: number }>(this.sql.complete, [...v, seq, owner]);
    return res.affectedRows > 0;
  }

  /** Moves the endpoint's due, unclaimed pending deliveries to `until` (the endpoint is failing). */
  async postpone(merchantId: string, endpointId: string, until: Date, now: Date): Promise<void> {
    const [u, n] = this.sql.rows.values({ next_attempt_at: until, locked_until: now });
    await this.db.query(this.sql.postpone, [u, merchantId, endpointId, u, n]);
  }

  /** Gives a claim back unattempted (shutting down, or an earlier delivery still pending). */
  async release(seq: string, owner: string): Promise<void> {
    await this.db.query(this.sql.release, [seq, owner]);
  }

  /** Fails every pending or held delivery of an endpoint (deleted). */
  async failPending(merchantId: string, endpointId: string, now: Date): Promise<void> {
    const [at] = this.sql.rows.values({ completed_at: now });
    await this.db.query(this.sql.failPending, [at, merchantId, endpointId]);
  }

  /** Holds every unclaimed pending delivery of an endpoint (disabled) until it is enabled again. */
  async holdPending(merchantId: string, endpointId: string, now: Date): Promise<void> {
    const [at] = this.sql.rows.values({ locked_until: now });
    await this.db.query(this.sql.hold, [merchantId, endpointId, at]);
  }

  /**
   * Queues again, due now and in their order (seq), what an endpoint missed while disabled: the
   * deliveries held for it. Their retry window starts again. How many.
   */
  async resume(merchantId: string, endpointId: string, now: Date): Promise<number> {
    const [at] = this.sql.rows.values({ queued_at: now });
    const res = await this.db.query<{ affectedRows: number }>(this.sql.resume, [
      at,
      at,
      merchantId,
      endpointId,
    ]);
    return res.affectedRows;
  }

  /** An endpoint's deliveries, newest first, and how many there are. */
  async page(
    merchantId: string,
    endpointId: string,
    skip: number,
    take: number,
  ): Promise<{ rows: WebhookDelivery[]; total: number }> {
    const [found, counted] = await Promise.all([
      this.db.query(this.sql.page, [merchantId, endpointId, take, skip]),
      this.db.query<{ n: number | string }[]>(this.sql.count, [merchantId, endpointId]),
    ]);
    return { rows: found.map((r) => this.sql.rows.hydrate(r)), total: Number(counted[0].n) };
  }

  async findOne(merchantId: string, endpointId: string, eventId: string): Promise<WebhookDelivery | null> {
    const found = await this.db.query(this.sql.findOne, [merchantId, endpointId, eventId]);
    return found.length ? this.sql.rows.hydrate(found[0]) : null;
  }

  /** Queues a delivery again, due now; false if it is being attempted at this moment. */
  async redeliver(merchantId: string, endpointId: string, eventId: string, now: Date): Promise<boolean> {
    const [at] = this.sql.rows.values({ queued_at: now });
    const res = await this.db.query<{ affectedRows: number }>(this.sql.redeliver, [
      at,
      at,
      merchantId,
      endpointId,
      eventId,
      at,
    ]);
    return res.affectedRows > 0;
  }

  /** Pending deliveries across all merchants, and when the oldest of them was queued. */
  async backlog(): Promise<{ pending: number; oldest: Date | null }> {
    const [row] = await this.db.query<{ n: number | string; oldest: unknown }[]>(this.sql.backlog);
    const oldest = row.oldest;
    if (oldest === null || oldest === undefined) return { pending: Number(row.n), oldest: null };
    // MySQL gives a Date (timezone Z); SQLite the stored text, which is UTC.
    const at = oldest instanceof Date ? oldest : new Date(`${(oldest as string).replace(' ', 'T')}Z`);
    return { pending: Number(row.n), oldest: at };
  }
}
