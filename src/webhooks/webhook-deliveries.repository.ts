import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service';
import { EntityRows } from '../database/entity-rows';
import type { SqlTransaction, TransactionOptions } from '../database/sql-transaction';
import { WebhookDelivery } from './webhook-delivery.entity';
import { WebhookEndpoint } from './webhook-endpoint.entity';

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

/** An endpoint, as the claims name it (every index on deliveries leads with merchant_id). */
export interface EndpointRef {
  merchant_id: string;
  id: string;
}

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
    ready: string;
    due: string;
    claim: string;
    earlierPending: string;
    complete: string;
    release: string;
    gone: string;
    failPending: string;
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
      const endpoints = new EntityRows(this.db.dataSource, WebhookEndpoint);
      const e = (p: keyof WebhookEndpoint) => `e.${endpoints.column(p)}`;
      // An endpoint's earliest pending delivery (only pending ones have a next attempt): one index probe.
      const receiving = `(${e('paused_until')} IS NULL OR ${e('paused_until')} <= ?) AND ${e('disabled_at')} IS NULL AND ${e('deleted_at')} IS NULL`;
      const oldest = `SELECT MIN(${d('next_attempt_at')}) FROM ${rows.table} d WHERE ${d('merchant_id')} = ${e('merchant_id')} AND ${d('endpoint_id')} = ${e('id')}`;
      this.built = {
        rows,
        // Endpoints that can receive now (not paused, disabled or deleted) and have a due delivery, oldest first.
        ready:
          `SELECT merchant_id, id FROM (SELECT ${e('merchant_id')} AS merchant_id, ${e('id')} AS id, (${oldest}) AS oldest` +
          ` FROM ${endpoints.table} e WHERE ${receiving}) r` +
          ` WHERE r.oldest <= ? ORDER BY r.oldest, r.id`,
        // One endpoint's deliveries that are due, not claimed by a live worker, and have no earlier
        // delivery of the same customer to the same endpoint still pending (the subquery reads without
        // locking); none unless the endpoint can receive now (it may have been paused, disabled or
        // deleted since it was named).
        due:
          `SELECT ${rows.selectList
            .split(', ')
            .map((col) => `d.${col}`)
            .join(', ')} FROM ${rows.table} d` +
          ` WHERE ${d('merchant_id')} = ? AND ${d('endpoint_id')} = ? AND ${d('next_attempt_at')} <= ? AND ${d('status')} = 'pending'` +
          ` AND EXISTS (SELECT 1 FROM ${endpoints.table} e WHERE ${e('merchant_id')} = ? AND ${e('id')} = ? AND ${receiving})` +
          ` AND (${d('locked_until')} IS NULL OR ${d('locked_until')} <= ?)` +
          ` AND NOT EXISTS (${earlier})` +
          ` ORDER BY ${d('next_attempt_at')}, ${d('seq')} LIMIT ?${this.db.dialect.skipLocked}`,
        claim: `UPDATE ${rows.table} SET ${c('locked_until')} = ?, ${c('lock_owner')} = ? WHERE ${c('seq')} = ?`,
        // Of the given claims, those with an earlier delivery of the same customer to the same endpoint still pending.
        earlierPending: `SELECT ${d('seq')} AS seq FROM ${rows.table} d WHERE ${d('seq')} IN (${Array(ORDER_CHECK_CHUNK).fill('?').join(', ')}) AND EXISTS (${earlier})`,
        complete: `UPDATE ${rows.table} SET ${c('status')} = ?, ${c('attempt_count')} = ?, ${c('attempts')} = ?, ${c('next_attempt_at')} = ?, ${c('completed_at')} = ?, ${c('locked_until')} = NULL, ${c('lock_owner')} = NULL WHERE ${owned}`,
        release: `UPDATE ${rows.table} SET ${c('locked_until')} = NULL, ${c('lock_owner')} = NULL WHERE ${owned}`,
        // Deleted endpoints with a pending delivery left (one index probe each).
        gone: `SELECT ${e('merchant_id')} AS merchant_id, ${e('id')} AS id FROM ${endpoints.table} e WHERE ${e('deleted_at')} IS NOT NULL AND EXISTS (SELECT 1 FROM ${rows.table} d WHERE ${d('merchant_id')} = ${e('merchant_id')} AND ${d('endpoint_id')} = ${e('id')} AND ${d('next_attempt_at')} IS NOT NULL)`,
        // A chunk of an endpoint's pending deliveries not being attempted (one in flight is given up by its worker).
        failPending: `UPDATE ${rows.table} SET ${c('status')} = 'failed', ${c('next_attempt_at')} = NULL, ${c('completed_at')} = ? WHERE ${c('merchant_id')} = ? AND ${c('endpoint_id')} = ? AND ${c('next_attempt_at')} IS NOT NULL AND (${c('locked_until')} IS NULL OR ${c('locked_until')} <= ?) LIMIT ?`,
        page: `SELECT ${rows.selectList} FROM ${rows.table} WHERE ${c('merchant_id')} = ? AND ${c('endpoint_id')} = ? ORDER BY ${c('seq')} DESC LIMIT ? OFFSET ?`,
        count: `SELECT COUNT(*) AS n FROM ${rows.table} WHERE ${c('merchant_id')} = ? AND ${c('endpoint_id')} = ?`,
        findOne: `SELECT ${rows.selectList} FROM ${rows.table} WHERE ${byEvent}`,
        // Queued again with the same event id and body; a delivery being attempted right now is left alone.
        redeliver: `UPDATE ${rows.table} SET ${c('status')} = 'pending', ${c('next_attempt_at')} = ?, ${c('queued_at')} = ?, ${c('completed_at')} = NULL WHERE ${byEvent} AND (${c('locked_until')} IS NULL OR ${c('locked_until')} <= ?)`,
        // Endpoint by endpoint, as the claims look (each one's pending range of the due index); not
        // those of disabled endpoints (they wait for it to be enabled) or deleted ones (to be failed).
        backlog: `SELECT COUNT(*) AS n, MIN(${d('queued_at')}) AS oldest FROM ${endpoints.table} e CROSS JOIN ${rows.table} d WHERE ${e('disabled_at')} IS NULL AND ${e('deleted_at')} IS NULL AND ${d('merchant_id')} = ${e('merchant_id')} AND ${d('endpoint_id')} = ${e('id')} AND ${d('next_attempt_at')} IS NOT NULL`,
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
   * one endpoint counting the attempts `busy` says it has in flight already. No other worker
   * attempts them before then. Then checks the claims against the order rule with one fresh read,
   * which sees every committed delivery (the claiming read may have missed an earlier one committed
   * while it ran), and gives back the claims that must wait.
   *
   * The work is found endpoint by endpoint (README, "Webhooks", "A dead endpoint's backlog costs
   * nothing"). A poll first looks at every endpoint: which can receive now (not paused, disabled or
   * deleted) and have a due delivery (one index probe each), oldest due first. `endpoints` names
   * them instead (a change just committed deliveries for them, or an attempt of theirs just ended):
   * no look. Those with their share in flight are passed over. Only if one is left does a claim
   * transaction read their due deliveries, each its own share. So the backlog of a paused, disabled
   * or full endpoint is never read, and a poll that could start nothing runs no claim transaction
   * (SQLite's one write lock, which the writes wait for). The claim runs
   * in READ COMMITTED on MySQL: under REPEATABLE READ its locking read would hold gap locks on the
   * due range, and every new delivery (inserted in it, due now) would wait for the claim's COMMIT.
   */
  async claimDue(
    now: Date,
    until: Date,
    owner: string,
    limit: number,
    busy: ReadonlyMap<string, number> = new Map(),
    perEndpoint = limit,
    endpoints?: readonly EndpointRef[],
  ): Promise<WebhookDelivery[]> {
    const { rows } = this.sql;
    const [nowValue, untilValue] = rows.values({ next_attempt_at: now, locked_until: until });
    const candidates =
      endpoints ?? (await this.db.query<EndpointRef[]>(this.sql.ready, [nowValue, nowValue]));
    const open = candidates.filter((e) => (busy.get(e.id) ?? 0) < perEndpoint);
    if (open.length === 0) return [];
    const claimed = await this.db.transaction(async (tx) => {
      const picked: WebhookDelivery[] = [];
      for (const e of open) {
        const share = Math.min(limit - picked.length, perEndpoint - (busy.get(e.id) ?? 0));
        if (share <= 0) break;
        const due = await tx.query(this.sql.due, [
          e.merchant_id,
          e.id,
          nowValue,
          e.merchant_id,
          e.id,
          nowValue,
          nowValue,
          share,
        ]);
        for (const r of due) {
          const d = rows.hydrate(r);
          tx.defer(this.sql.claim, [untilValue, owner, d.seq]);
          picked.push(d);
        }
      }
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

  /** Gives a claim back unattempted (shutting down, or an earlier delivery still pending). */
  async release(seq: string, owner: string): Promise<void> {
    await this.db.query(this.sql.release, [seq, owner]);
  }

  /** Deleted endpoints that still have pending deliveries (for failPending). */
  gone(): Promise<EndpointRef[]> {
    return this.db.query<EndpointRef[]>(this.sql.gone);
  }

  /**
   * Fails at most `limit` pending deliveries of an endpoint (deleted) that are not being attempted;
   * how many. One bounded statement: a backlog of millions is failed in many short ones, between
   * which the customer writes go on.
   */
  async failPending(merchantId: string, endpointId: string, now: Date, limit: number): Promise<number> {
    const [at, free] = this.sql.rows.values({ completed_at: now, locked_until: now });
    const res = await this.db.query<{ affectedRows: number }>(this.sql.failPending, [
      at,
      merchantId,
      endpointId,
      free,
      limit,
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

  /**
   * Pending deliveries across all merchants, and when the oldest of them was queued. It reads every
   * pending delivery (a dead endpoint's backlog may be millions), so it is a `read`: on SQLite a read
   * worker's, off the main thread the writes run on.
   */
  async backlog(): Promise<{ pending: number; oldest: Date | null }> {
    const [row] = await this.db.read<{ n: number | string; oldest: unknown }[]>(this.sql.backlog);
    const oldest = row.oldest;
    if (oldest === null || oldest === undefined) return { pending: Number(row.n), oldest: null };
    // MySQL gives a Date (timezone Z); SQLite the stored text, which is UTC.
    const at = oldest instanceof Date ? oldest : new Date(`${(oldest as string).replace(' ', 'T')}Z`);
    return { pending: Number(row.n), oldest: at };
  }
}
